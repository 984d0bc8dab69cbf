import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from './clock.ts';

/**
 * The time a reconcile may take, carried with it through every await: the controllers run each
 * reconcile inside `run`, and the Ops Manager transport cuts each call's waits and requests to
 * `leftMs()`. One reconcile against a slow server that answers just inside each call's own
 * deadline still ends, and frees its worker, within the budget.
 */
export class ReconcileDeadline {
  private readonly at = new AsyncLocalStorage<number>();

  constructor(private readonly clock: Clock, readonly budgetMs: number) {
    if (!(budgetMs > 0)) throw new RangeError('the reconcile budget must be > 0');
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.at.run(this.clock.now() + this.budgetMs, fn);
  }

  /** What is left of the current reconcile's budget; undefined outside a reconcile. */
  leftMs(): number | undefined {
    const at = this.at.getStore();
    return at === undefined ? undefined : at - this.clock.now();
  }
}
