import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/kube-client.ts';
import { ListWatch } from '../kube/list-watch.ts';
import type { Clock } from './clock.ts';
import { summarizeError } from './errors.ts';
import { StringInterner } from './intern.ts';

export type ChangeKind = 'add' | 'update' | 'delete';
export type ChangeHandler<T> = (obj: T, kind: ChangeKind, old?: T) => void;

/**
 * What controllers, indexes and the manager use of a cache of one kind: a ManagedInformer (one
 * list+watch) or a PerNamespaceInformer (one per watched namespace, runtime/per-namespace-informer.ts).
 */
export interface Informer<T extends KubernetesObject> {
  readonly name: string;
  onChange(handler: ChangeHandler<T>): void;
  hasSynced(): boolean;
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
  readonly size: number;
  /** Starts listing and watching; resolves after the first attempt (synced or not). */
  start(): Promise<void>;
  stop(): Promise<void>;
  waitForSync(signal?: AbortSignal): Promise<void>;
}

/** The part of a ListWatch (src/kube/list-watch.ts) this class drives; tests substitute a fake. */
export interface ListWatchLike<T extends KubernetesObject> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagedInformerOptions<T extends KubernetesObject> {
  kube: KubeClient;
  /** Collection path, e.g. /api/v1/namespaces/x/secrets or /apis/omkeys.io/v1alpha1/opsmanagerapikeys. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  clock: Clock;
  logger: Logger;
  name: string;
  /** Restart backoff after an error: initial and maximum delay (defaults 500 ms and 30 s). */
  minRestartDelayMs?: number;
  maxRestartDelayMs?: number;
  random?: () => number;
  /**
   * Applied to every object the API server sends before it is stored or handed to handlers,
   * e.g. to keep only what the operator reads of a large kind. It must keep metadata
   * (namespace, name, resourceVersion: re-lists compare it) and may return its argument.
   */
  transform?: (obj: T) => T;
  /**
   * Where repeated texts of the cached objects are shared (see intern.ts). One table for all the
   * operator's informers (a key's organization id, names and condition texts recur across
   * kinds); without one, the informer keeps a table of its own.
   */
  strings?: StringInterner;
  createListWatch?: (opts: ManagedInformerOptions<T>, held: Held<T>) => ListWatchLike<T>;
}

/** What the informer holds, as a ListWatch compares a re-list with it. */
export interface Held<T> {
  get(namespace: string, name: string): T | undefined;
  list(): T[];
}

function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

function defaultListWatch<T extends KubernetesObject>(o: ManagedInformerOptions<T>, held: Held<T>): ListWatchLike<T> {
  return new ListWatch<T>({
    client: o.kube,
    path: o.path,
    held,
    ...(o.labelSelector !== undefined ? { labelSelector: o.labelSelector } : {}),
    ...(o.fieldSelector !== undefined ? { fieldSelector: o.fieldSelector } : {}),
  });
}

/**
 * An informer that keeps going. A ListWatch run ends on any error other than 410 Gone (an
 * apiserver restart, a dropped connection, a 5xx); this wrapper starts it again with backoff,
 * resuming the watch from the last resourceVersion (a 410 then re-lists).
 */
export class ManagedInformer<T extends KubernetesObject> implements Informer<T> {
  readonly name: string;
  private readonly opts: ManagedInformerOptions<T>;
  private readonly strings: StringInterner;
  private readonly log: Logger;
  private readonly store = new Map<string, T>();
  private readonly handlers: Array<ChangeHandler<T>> = [];
  private readonly syncWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private lw: ListWatchLike<T> | undefined;
  private running = false;
  private synced = false;
  private failures = 0;
  private errorInAttempt = false;
  private attempt: Promise<void> | undefined;
  private restartHandle: unknown;

  constructor(opts: ManagedInformerOptions<T>) {
    this.opts = opts;
    this.strings = opts.strings ?? new StringInterner();
    this.name = opts.name;
    this.log = opts.logger.child({ informer: opts.name });
  }

  onChange(handler: ChangeHandler<T>): void {
    this.handlers.push(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts listing and watching; resolves after the first attempt (synced or not). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (!this.lw) this.lw = this.createListWatch();
    await this.runAttempt();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.restartHandle !== undefined) this.opts.clock.clearTimeout(this.restartHandle);
    this.restartHandle = undefined;
    await this.lw?.stop();
    // A list in flight when stop() was called would still open a watch: stop it again after.
    if (this.attempt) {
      await this.attempt.catch(() => undefined);
      await this.lw?.stop();
    }
    const err = new Error(`informer ${this.name} stopped before it synced`);
    for (const w of this.syncWaiters) w.reject(err);
    this.syncWaiters.clear();
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        this.syncWaiters.delete(waiter);
        reject(new Error(`waiting for informer ${this.name} to sync was aborted`, { cause: signal?.reason }));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.add(waiter);
    });
  }

  private createListWatch(): ListWatchLike<T> {
    const held: Held<T> = { get: (namespace, name) => this.get(namespace, name), list: () => this.list() };
    const lw = (this.opts.createListWatch ?? defaultListWatch)(this.opts, held);
    lw.on('add', (obj: T) => this.apply(obj, 'add'));
    lw.on('update', (obj: T) => this.apply(obj, 'update'));
    lw.on('delete', (obj: T) => this.apply(obj, 'delete'));
    lw.on('error', (err?: unknown) => this.onError(err));
    return lw;
  }

  private async runAttempt(): Promise<void> {
    const lw = this.lw;
    if (!lw || !this.running) return;
    this.errorInAttempt = false;
    this.attempt = lw.start().catch((err: unknown) => this.onError(err));
    await this.attempt;
    this.attempt = undefined;
    if (!this.running) {
      await lw.stop();
      return;
    }
    // ListWatch.start() resolves once the list is applied and the watch is open, or right after
    // it reported an error; only the former counts as synced.
    if (this.errorInAttempt) return;
    if (this.failures > 0) this.log.info({ afterFailures: this.failures }, 'informer recovered');
    this.failures = 0;
    if (!this.synced) {
      this.synced = true;
      this.log.debug({ objects: this.store.size }, 'informer synced');
      for (const w of this.syncWaiters) w.resolve();
      this.syncWaiters.clear();
    }
  }

  private shaped(obj: T): T {
    // managedFields (server-side apply bookkeeping) is often the larger part of an object and
    // nothing here reads it. Objects in the cache are never written back whole.
    if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
    // One copy of each repeated text (see intern.ts): at 10,000 keys most cached strings were copies.
    return this.strings.internAll(this.opts.transform ? this.opts.transform(obj) : obj);
  }

  private onError(err: unknown): void {
    this.errorInAttempt = true;
    if (!this.running || this.restartHandle !== undefined) return;
    this.failures++;
    const min = this.opts.minRestartDelayMs ?? 500;
    const max = this.opts.maxRestartDelayMs ?? 30_000;
    const exp = Math.min(max, min * 2 ** Math.min(this.failures - 1, 30));
    const delay = Math.round(exp * (0.8 + 0.4 * (this.opts.random ?? Math.random)()));
    this.log.warn({ err: summarizeError(err), failures: this.failures, retryInMs: delay }, 'informer failed; restarting');
    this.restartHandle = this.opts.clock.setTimeout(() => {
      this.restartHandle = undefined;
      this.runAttempt().catch((e: unknown) => this.onError(e));
    }, delay);
  }

  private apply(received: T, kind: ChangeKind): void {
    const key = keyOf(received);
    const old = this.store.get(key);
    // A re-list reports a deletion with the object held here: it was transformed already.
    const obj = received === old ? received : this.shaped(received);
    if (kind === 'delete') this.store.delete(key);
    else this.store.set(key, obj);
    const effective: ChangeKind = kind === 'delete' ? 'delete' : old ? 'update' : 'add';
    for (const handler of this.handlers) {
      try {
        handler(obj, effective, old);
      } catch (e) {
        this.log.error({ err: summarizeError(e) }, 'informer change handler threw');
      }
    }
  }
}
