import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { codeOf, isTerminal, summarizeError, TransientError } from './errors.ts';
import type { Informer } from './informer.ts';
import { InitialPass } from './initial-pass.ts';
import { initControllerSeries, type Metrics } from './metrics.ts';
import type { OwnWrites } from './own-writes.ts';
import type { ReconcileDeadline } from './reconcile-deadline.ts';
import { WorkQueue } from './work-queue.ts';

export interface ReconcileResult {
  /** Run this key again after this long (a planned check such as a rotation). */
  requeueAfterMs?: number;
}

export interface ControllerSpec<T extends KubernetesObject> {
  name: string;
  primary: Informer<T>;
  /** Makes the world match the object `namespace/name`; never branches on what event caused it. */
  reconcile(key: string, log: Logger): Promise<ReconcileResult | void>;
  /**
   * Other informers whose objects map to primary keys (e.g. owned Secrets to their owner). An
   * update that `changed` (when given) finds no news for the primary objects enqueues nothing.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  watches?: Array<{ informer: Informer<any>; map: (obj: any) => string[]; changed?: (obj: any, old: any) => boolean }>;
  concurrency?: number;
  /** Echoes of this controller's own writes (see OwnWrites): not enqueued, except deletions. */
  ownWrites?: OwnWrites;
  /** Namespaces this controller serves; keys elsewhere are never enqueued, whatever an informer or a mapping hands it. */
  inScope?: (namespace: string) => boolean;
  /** Every period, every primary object is reconciled again (drift in Ops Manager). Default 10 min; 0 disables. */
  resyncPeriodMs?: number;
}

export interface ControllerDeps {
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** Backoff tuning for the controller's queue. */
  queue?: { baseDelayMs?: number; maxDelayMs?: number; jitter?: number; random?: () => number };
  /** Each reconcile runs inside it, so the Ops Manager calls it makes end within its budget. */
  deadline?: ReconcileDeadline;
}

function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/**
 * Feeds a keyed work queue from informer events and a periodic resync, and runs reconcile for
 * each key with the error contract: success forgets the key's backoff, a TerminalError waits
 * for the object to change, anything else is retried with per-key backoff.
 */
export class Controller<T extends KubernetesObject> {
  readonly name: string;
  private readonly spec: ControllerSpec<T>;
  private readonly deps: ControllerDeps;
  private readonly log: Logger;
  private queue: WorkQueue | undefined;
  private resyncHandle: unknown;
  /** The objects found at start until each has been reconciled once (logged: the end of a cold start). */
  private initialPass: InitialPass | undefined;
  /**
   * Keys being reconciled, with the events that arrived meanwhile: the watch may deliver the
   * echo of a write before the write's own answer has been read, so whether an event is an
   * echo is judged once the reconcile is over, not as it arrives.
   */
  private readonly inFlight = new Map<string, KubernetesObject[]>();
  /** Keys that failed terminally, with the primary's resourceVersion at the time. */
  private readonly terminal = new Map<string, string | undefined>();
  /**
   * Once the controller has run and stopped (its leader lost the Lease), the keys that still
   * need a reconcile: what the queue held at the stop and every key an event touched since. The
   * informers keep watching meanwhile, so a rival leader's writes show up here too: a restart
   * reconciles these instead of every object, which at 10,000 keys is minutes of work the
   * process already did (and, on a loaded API server, makes it lose the Lease again).
   */
  private missed: Set<string> | undefined;

  constructor(spec: ControllerSpec<T>, deps: ControllerDeps) {
    this.spec = spec;
    this.deps = deps;
    this.name = spec.name;
    this.log = deps.logger.child({ controller: spec.name });
    if (deps.metrics) initControllerSeries(deps.metrics, spec.name);
    const echo = (obj: KubernetesObject, kind: string): boolean => {
      if (kind === 'delete') {
        spec.ownWrites?.forget(obj);
        return false;
      }
      return spec.ownWrites?.isEcho(obj) ?? false;
    };
    spec.primary.onChange((obj, kind) => {
      const key = objectKey(obj);
      if (kind === 'delete') this.terminal.delete(key);
      if (kind !== 'delete' && this.hold(key, obj)) return;
      if (echo(obj, kind)) return;
      this.enqueue(key);
    });
    for (const w of spec.watches ?? []) {
      w.informer.onChange((obj: KubernetesObject, kind, old?: KubernetesObject) => {
        if (kind === 'update' && old && w.changed && !w.changed(obj, old)) return;
        const keys = new Set(w.map(obj));
        if (old) for (const k of w.map(old)) keys.add(k);
        const free = kind === 'delete' ? [...keys] : [...keys].filter((k) => !this.hold(k, obj));
        if (free.length === 0 || echo(obj, kind)) return;
        for (const k of free) this.enqueue(k);
      });
    }
  }

  get running(): boolean {
    return this.queue !== undefined;
  }

  /** Starts workers and enqueues every primary object; informers should have synced. */
  start(): void {
    if (this.queue) return;
    const metrics = this.deps.metrics;
    const labels = { controller: this.name };
    const queue = new WorkQueue({
      clock: this.deps.clock,
      concurrency: this.spec.concurrency ?? 2,
      ...this.deps.queue,
      onMetrics: (e) => {
        if (!metrics) return;
        if (e.type === 'depth') metrics.queueDepth.set(labels, e.depth);
        else metrics.queueWait.observe(labels, e.ms / 1000);
      },
    });
    this.queue = queue;
    queue.run((key) => this.process(queue, key));
    const missed = this.missed;
    this.missed = undefined;
    this.resync(true, missed);
    this.log.info({ concurrency: this.spec.concurrency ?? 2 }, 'controller started');
  }

  /** Stops taking keys and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.missed = new Set(queue.pendingKeys());
    this.queue = undefined;
    if (this.resyncHandle !== undefined) this.deps.clock.clearTimeout(this.resyncHandle);
    this.resyncHandle = undefined;
    await queue.shutdown();
    this.log.info('controller stopped');
  }

  /** Keeps an event for a key being reconciled, to be judged when the reconcile ends. */
  private hold(key: string, obj: KubernetesObject): boolean {
    const held = this.inFlight.get(key);
    if (!held) return false;
    held.push(obj);
    return true;
  }

  /** Before the first start ignored (start() enqueues everything); after a stop, kept for the restart. */
  enqueue(key: string): void {
    if (this.spec.inScope && !this.spec.inScope(splitKey(key).namespace)) return;
    if (this.queue) this.queue.add(key);
    else this.missed?.add(key);
  }

  /** Enqueues every primary object, or on a restart only `only` (see `missed`), and plans the next resync. */
  private resync(initial: boolean, only?: ReadonlySet<string>): void {
    const keys: string[] = [];
    for (const obj of this.spec.primary.list()) {
      const key = objectKey(obj);
      if (only && !only.has(key)) continue;
      // A terminal failure is not retried by resync until the object itself changes.
      if (!initial && this.terminal.has(key) && this.terminal.get(key) === obj.metadata?.resourceVersion) continue;
      if (this.spec.inScope && !this.spec.inScope(splitKey(key).namespace)) continue;
      keys.push(key);
    }
    if (initial) {
      const now = this.deps.clock.now();
      const what = only ? 'restart reconcile pass done (the keys missed while stopped)' : 'initial reconcile pass done';
      this.initialPass = new InitialPass(keys, now, (summary) => this.log.info(summary, what));
    }
    for (const key of keys) this.enqueue(key);
    const period = this.spec.resyncPeriodMs ?? 600_000;
    if (period > 0 && this.queue) {
      this.resyncHandle = this.deps.clock.setTimeout(() => this.resync(false), period);
    }
  }

  private async process(queue: WorkQueue, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const log = this.log.child({ namespace, name });
    const clock = this.deps.clock;
    const metrics = this.deps.metrics;
    const started = clock.now();
    this.inFlight.set(key, []);
    let result: 'success' | 'requeue' | 'error' | 'terminal';
    try {
      const run = (): Promise<ReconcileResult | void> => this.spec.reconcile(key, log);
      const res = await (this.deps.deadline ? this.deps.deadline.run(run) : run());
      queue.forget(key);
      this.terminal.delete(key);
      if (res?.requeueAfterMs !== undefined && res.requeueAfterMs >= 0) {
        queue.addAfter(key, res.requeueAfterMs);
        result = 'requeue';
      } else {
        result = 'success';
      }
    } catch (err) {
      const code = codeOf(err);
      metrics?.reconcileErrors.inc({ controller: this.name, code });
      if (isTerminal(err)) {
        queue.forget(key);
        this.terminal.set(key, this.spec.primary.get(namespace, name)?.metadata?.resourceVersion);
        log.warn({ err: summarizeError(err) }, 'reconcile failed terminally; waiting for the object to change');
        result = 'terminal';
      } else {
        const retryAfter = err instanceof TransientError ? err.retryAfterMs : undefined;
        queue.addRateLimited(key, retryAfter ?? 0);
        const failures = queue.failures(key);
        log[failures > 5 ? 'error' : 'warn']({ err: summarizeError(err), failures }, 'reconcile failed; retrying with backoff');
        result = 'error';
      }
    }
    const held = this.inFlight.get(key) ?? [];
    this.inFlight.delete(key);
    // Anything but the echoes of this reconcile's own writes is news: reconcile again.
    if (held.some((o) => !(this.spec.ownWrites?.isEcho(o) ?? false))) this.enqueue(key);
    this.initialPass?.settle(key, result === 'success' || result === 'requeue', clock.now());
    metrics?.reconcileTotal.inc({ controller: this.name, result });
    metrics?.reconcileDuration.observe({ controller: this.name }, (clock.now() - started) / 1000);
  }
}
