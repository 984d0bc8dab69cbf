/** What the first pass over the objects present at start came to. */
export interface InitialPassSummary {
  /** Objects enqueued when the controller started. */
  objects: number;
  /** Of those, how many ended their first reconcile in an error (retried later, as usual). */
  failed: number;
  /** Controller start -> the last of them finished its first reconcile. */
  ms: number;
}

/**
 * Tracks the objects a controller found when it started until each has finished one
 * reconcile, whatever the outcome: "every object reconciled once" is the end of a cold start
 * (an operator restarted over thousands of keys), which nothing else in the process marks.
 * Keys that arrive later are not waited for.
 */
export class InitialPass {
  readonly objects: number;
  private readonly pending: Set<string>;
  private failed = 0;
  private finished = false;

  constructor(
    keys: Iterable<string>,
    private readonly startedAt: number,
    private readonly onDone: (summary: InitialPassSummary) => void,
    now: number = startedAt,
  ) {
    this.pending = new Set(keys);
    this.objects = this.pending.size;
    this.check(now);
  }

  get remaining(): number {
    return this.pending.size;
  }

  /** A reconcile of `key` finished; `ok` is false when it failed. */
  settle(key: string, ok: boolean, now: number): void {
    if (!this.pending.delete(key)) return;
    if (!ok) this.failed++;
    this.check(now);
  }

  private check(now: number): void {
    if (this.finished || this.pending.size > 0) return;
    this.finished = true;
    this.onDone({ objects: this.objects, failed: this.failed, ms: now - this.startedAt });
  }
}
