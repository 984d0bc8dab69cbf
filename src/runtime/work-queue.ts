import type { Clock } from './clock.ts';

export type QueueMetricsEvent = { type: 'depth'; depth: number } | { type: 'wait'; ms: number };

export interface WorkQueueOptions {
  clock: Clock;
  /** How many different keys may be processed at once. */
  concurrency: number;
  /** First retry delay after a failure (default 5 ms). */
  baseDelayMs?: number;
  /** Upper bound of the per-key backoff (default 5 minutes). */
  maxDelayMs?: number;
  /** Spread of the backoff, as a fraction of it: 0.1 means +-10 % (default 0.1). */
  jitter?: number;
  random?: () => number;
  onMetrics?: (event: QueueMetricsEvent) => void;
}

interface Delayed {
  due: number;
  handle: unknown;
}

/**
 * A keyed work queue with the semantics of client-go's workqueue: a key waits at most once
 * (dirty set), is never handed to two workers at once (processing set), and a key added while
 * it is being processed runs again once the current run ends.
 */
/** Longest single wait; well below setTimeout's 2^31-1 ms limit. */
export const MAX_TIMER_MS = 24 * 3_600_000;

export class WorkQueue {
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly onMetrics: ((event: QueueMetricsEvent) => void) | undefined;

  private readonly ready: string[] = [];
  private readyHead = 0;
  private readonly dirty = new Map<string, number>(); // key -> time it became dirty
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly failureCounts = new Map<string, number>();
  private worker: ((key: string) => Promise<void>) | undefined;
  private active = 0;
  private shuttingDown = false;
  private drained: (() => void) | undefined;

  constructor(opts: WorkQueueOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
    }
    this.clock = opts.clock;
    this.concurrency = opts.concurrency;
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
    this.jitter = opts.jitter ?? 0.1;
    this.random = opts.random ?? Math.random;
    this.onMetrics = opts.onMetrics;
  }

  /** Keys waiting to be processed (not counting delayed ones or those in flight). */
  get length(): number {
    return this.ready.length - this.readyHead;
  }

  get inFlight(): number {
    return this.active;
  }

  get delayedCount(): number {
    return this.delayed.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.set(key, this.clock.now());
    // A key being processed is re-queued by finish(), so it never runs twice at once.
    if (this.processing.has(key)) return;
    this.ready.push(key);
    this.reportDepth();
    this.pump();
  }

  /**
   * Adds the key after `ms`; of several pending delays for one key the earliest wins. Node
   * timers cannot wait longer than 2^31-1 ms (they fire at once instead), so a longer delay
   * (a 30-day rotation) is cut to a day: the reconcile that runs then plans the rest again.
   */
  addAfter(key: string, requestedMs: number): void {
    if (this.shuttingDown) return;
    const ms = Math.min(requestedMs, MAX_TIMER_MS);
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.due <= due) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { due, handle });
  }

  /**
   * Adds the key after its per-key backoff: base * 2^(failures-1), jittered, capped at the
   * maximum. `minDelayMs` raises the delay (a server's Retry-After).
   */
  addRateLimited(key: string, minDelayMs = 0): void {
    const n = (this.failureCounts.get(key) ?? 0) + 1;
    this.failureCounts.set(key, n);
    this.addAfter(key, Math.max(minDelayMs, this.backoff(n)));
  }

  /** Every key that is waiting, delayed or being processed: the work a shutdown leaves undone. */
  pendingKeys(): string[] {
    return [...new Set([...this.dirty.keys(), ...this.delayed.keys(), ...this.processing])];
  }

  /** Resets the key's backoff (after a success or a terminal failure). */
  forget(key: string): void {
    this.failureCounts.delete(key);
  }

  failures(key: string): number {
    return this.failureCounts.get(key) ?? 0;
  }

  /**
   * Starts handing keys to `worker`, at most `concurrency` at a time. A worker that rejects
   * has its key retried with backoff, so a bug cannot drop a key silently.
   */
  run(worker: (key: string) => Promise<void>): void {
    if (this.worker) throw new Error('WorkQueue.run called twice');
    this.worker = worker;
    this.pump();
  }

  /** Stops taking keys and timers, then resolves once the in-flight keys are done. */
  shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.handle);
    this.delayed.clear();
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = this.drained;
      this.drained = () => {
        previous?.();
        resolve();
      };
    });
  }

  private backoff(failures: number): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(failures - 1, 62));
    const spread = exp * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.min(this.maxDelayMs, Math.round(exp + spread)));
  }

  private pump(): void {
    const worker = this.worker;
    if (!worker) return;
    while (!this.shuttingDown && this.active < this.concurrency && this.length > 0) {
      const key = this.ready[this.readyHead]!;
      this.readyHead++;
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      const since = this.dirty.get(key) ?? this.clock.now();
      this.dirty.delete(key);
      this.processing.add(key);
      this.active++;
      this.onMetrics?.({ type: 'wait', ms: this.clock.now() - since });
      this.reportDepth();
      // Always asynchronous, so that a synchronous throw or a long chain never recurses here.
      Promise.resolve()
        .then(() => worker(key))
        .then(
          () => this.finish(key),
          () => {
            this.finish(key);
            this.addRateLimited(key);
          },
        );
    }
  }

  private finish(key: string): void {
    this.processing.delete(key);
    this.active--;
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.ready.push(key);
      this.reportDepth();
    }
    if (this.shuttingDown && this.active === 0) {
      const drained = this.drained;
      this.drained = undefined;
      drained?.();
    }
    this.pump();
  }

  private reportDepth(): void {
    this.onMetrics?.({ type: 'depth', depth: this.length });
  }
}
