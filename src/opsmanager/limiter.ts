/** Client-wide limits: how many requests may be in flight, and how many may start per second. */

export class ConcurrencyLimiter {
  private active = 0;
  private peakActive = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError('maxConcurrency must be >= 1');
  }

  get inFlight(): number {
    return this.active;
  }

  /** The highest number of holders seen at once, for tests and metrics. */
  get peak(): number {
    return this.peakActive;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.active++;
    }
    return this.holder();
  }

  /**
   * A slot, or undefined once `maxWaitMs` passed without one: a slow connection must not hold
   * its callers (and the workers they run on) for as long as its slowest requests take.
   */
  async acquireWithin(maxWaitMs: number): Promise<(() => void) | undefined> {
    if (this.active < this.max) return this.acquire();
    let timer: NodeJS.Timeout | undefined;
    const granted = await new Promise<boolean>((resolve) => {
      const take = (): void => resolve(true);
      this.queue.push(take);
      timer = setTimeout(() => {
        const at = this.queue.indexOf(take);
        // Handed a slot in the same turn as the timer fired: keep it.
        if (at < 0) return;
        this.queue.splice(at, 1);
        resolve(false);
      }, Math.max(0, maxWaitMs));
    });
    clearTimeout(timer);
    return granted ? this.holder() : undefined;
  }

  private holder(): () => void {
    this.peakActive = Math.max(this.peakActive, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next !== undefined) next();
      else this.active--;
    };
  }
}

export interface RateLimiterOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Requests that may start back to back before spacing applies. */
  burst?: number;
}

/**
 * Generic cell rate algorithm: each caller reserves the next start time synchronously, so
 * waiting callers are served in order and the long-run rate never exceeds `perSecond`.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private readonly burst: number;
  private tat = 0; // theoretical arrival time of the next request

  constructor(perSecond: number, private readonly o: RateLimiterOptions) {
    if (!(perSecond > 0)) throw new RangeError('maxRequestsPerSecond must be > 0');
    this.intervalMs = 1000 / perSecond;
    this.burst = Math.max(1, Math.floor(o.burst ?? 1));
  }

  /** Resolves when the caller may start; returns how long it had to wait. */
  async take(): Promise<number> {
    const now = this.o.now();
    this.tat = Math.max(this.tat, now);
    const startAt = this.tat - (this.burst - 1) * this.intervalMs;
    this.tat += this.intervalMs;
    const wait = Math.max(0, startAt - now);
    if (wait > 0) await this.o.sleep(wait);
    return wait;
  }
}
