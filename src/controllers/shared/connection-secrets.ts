import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../runtime/clock.ts';
import type { SecretStore } from './ports.ts';

/**
 * A watch of one Secret (list+watch with fieldSelector=metadata.name): the part of
 * runtime/informer.ts ManagedInformer used here, so the wiring passes a factory and tests a fake.
 */
export interface SecretWatch {
  start(): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<void>;
  get(namespace: string, name: string): V1Secret | undefined;
}

export type SecretWatchFactory = (namespace: string, name: string) => SecretWatch;

export interface ConnectionSecretsDeps {
  /** Live reads: the only source without a watch factory, and the fallback while a watch has not synced. */
  live: Pick<SecretStore, 'get'>;
  /** One watch per connection Secret in use; without it every read is live (shared for `liveTtlMs`). */
  watch?: SecretWatchFactory;
  clock?: Clock;
  logger: Logger;
  /** How long a live read is reused (default 5 s): a burst of reconciles reads each Secret once. */
  liveTtlMs?: number;
  /**
   * A watch no reconcile asked for in this long is stopped (default 2 h). Every resource that
   * names a Secret resolves its connection at least once per resync period, so twice that
   * period means no resource references it any more; one that does restarts it on its next use.
   */
  idleMs?: number;
  /** How long a read waits for a new watch to sync before it reads live instead (default 5 s). */
  syncTimeoutMs?: number;
}

interface Watched {
  watch: SecretWatch;
  lastUsed: number;
  synced: Promise<boolean>;
}

/**
 * Where the connections' credentials and CA Secrets (credentialsSecretRef, caSecretRef of
 * ClusterOpsManagerConnection and OpsManagerConnection) are read from. With a watch factory: a small watch per Secret, started on
 * first use, so that a resync at rest makes no live GETs and a rotated Secret is seen as soon as
 * the API server sends the change. Only these few Secrets are held, never every Secret in a namespace.
 */
export class ConnectionSecrets {
  private readonly watches = new Map<string, Watched>();
  private readonly recent = new Map<string, { at: number; read: Promise<V1Secret | undefined> }>();
  private readonly clock: Clock;

  constructor(private readonly deps: ConnectionSecretsDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  async get(namespace: string, name: string): Promise<V1Secret | undefined> {
    const factory = this.deps.watch;
    if (!factory) return this.readLive(namespace, name);
    const now = this.clock.now();
    this.stopIdle(now);
    const id = `${namespace}/${name}`;
    let w = this.watches.get(id);
    if (!w) {
      const watch = factory(namespace, name);
      w = { watch, lastUsed: now, synced: this.started(watch) };
      this.watches.set(id, w);
    }
    w.lastUsed = now;
    if (w.watch.hasSynced() || (await this.syncedInTime(w))) return w.watch.get(namespace, name);
    return this.readLive(namespace, name);
  }

  /** The Secrets watched now (`namespace/name`), for tests and diagnostics. */
  watched(): string[] {
    return [...this.watches.keys()];
  }

  async close(): Promise<void> {
    const all = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(all.map((w) => w.watch.stop().catch(() => undefined)));
  }

  private started(watch: SecretWatch): Promise<boolean> {
    // start() resolves after the first attempt whether or not it synced; the informer retries on its own.
    watch.start().catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, 'connection Secret watch failed to start'));
    return watch.waitForSync().then(() => true, () => false);
  }

  private async syncedInTime(w: Watched): Promise<boolean> {
    let handle: unknown;
    const timeout = new Promise<boolean>((resolve) => {
      handle = this.clock.setTimeout(() => resolve(false), this.deps.syncTimeoutMs ?? 5000);
    });
    try {
      return await Promise.race([w.synced, timeout]);
    } finally {
      this.clock.clearTimeout(handle);
    }
  }

  private stopIdle(now: number): void {
    const idleMs = this.deps.idleMs ?? 2 * 60 * 60 * 1000;
    for (const [id, w] of this.watches) {
      if (now - w.lastUsed < idleMs) continue;
      this.watches.delete(id);
      w.watch.stop().catch(() => undefined);
    }
  }

  /** One read in flight per Secret, its answer reused for a few seconds. */
  private readLive(namespace: string, name: string): Promise<V1Secret | undefined> {
    const id = `${namespace}/${name}`;
    const now = this.clock.now();
    const hit = this.recent.get(id);
    if (hit && now - hit.at < (this.deps.liveTtlMs ?? 5000)) return hit.read;
    const read = this.deps.live.get(namespace, name);
    this.recent.set(id, { at: now, read });
    // A failed read is not reused: the next reconcile tries again.
    read.catch(() => {
      if (this.recent.get(id)?.read === read) this.recent.delete(id);
    });
    return read;
  }
}
