import { sleepWith, type Clock } from '../../src/runtime/clock.ts';

/**
 * The histories' time: moves only when told, by a millisecond per API call (tick, synchronous
 * and cheap: it is called thousands of times per run) or by a step of the history (advance).
 * The reconcilers read it and set no timers, but the Clock interface has them: due timers fire
 * when time passes them.
 */
export class HistoryClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: Array<{ id: number; due: number; fn: () => void }> = [];

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, due: this.current + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  tick(ms = 1): void {
    this.current += ms;
    const due = this.timers.filter((t) => t.due <= this.current).sort((a, b) => a.due - b.due);
    this.timers = this.timers.filter((t) => t.due > this.current);
    for (const t of due) t.fn();
  }

  /** A step of time that a history event takes (awaited, as FakeClock.advance is). */
  advance(ms: number): Promise<void> {
    this.tick(ms);
    return Promise.resolve();
  }
}
