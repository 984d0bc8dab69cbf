import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, LABEL_MANAGED_BY, MANAGED_BY_VALUE, OPS_MANAGER_API_KEY_PLURAL, PROJECT_KEY_BINDING_PLURAL, VERSION } from '../../src/api/types.ts';

export type TrackedKind = 'omkey' | 'secret' | 'binding' | 'event';

/** One change the API server told a watch about; ADDED/MODIFIED/DELETED are writes. */
export interface WatchEvent { t: number; kind: TrackedKind; key: string; type: string; resourceVersion: string }

interface Obj {
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string };
  status?: { keyId?: string; conditions?: Array<{ type: string; status: string; observedGeneration?: number }> };
  data?: Record<string, string>;
}

interface Waiter { kind: 'omkey' | 'binding'; key: string; resolve: (t: number) => void }

const PATHS: Record<TrackedKind, { path: string; query: Record<string, string> }> = {
  omkey: { path: `/apis/${GROUP}/${VERSION}/${OPS_MANAGER_API_KEY_PLURAL}`, query: {} },
  binding: { path: `/apis/${GROUP}/${VERSION}/${PROJECT_KEY_BINDING_PLURAL}`, query: {} },
  secret: { path: '/api/v1/secrets', query: { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` } },
  // Events the operator records are Kubernetes writes too.
  event: { path: '/apis/events.k8s.io/v1/events', query: {} },
};

/**
 * Watches (no polling) the keys, the operator's Secrets and the bindings across namespaces,
 * stamping each event with performance.now() on arrival: when a key became usable (Ready at
 * its generation AND its Secret holds a keyId), and every write, to count writes in a window.
 */
export class ResourceTracker {
  readonly events: WatchEvent[] = [];
  /** key -> first moment Ready=True at the current generation. */
  private readonly readyAt = { omkey: new Map<string, number>(), binding: new Map<string, number>() };
  /** Secret key -> first moment it held a keyId, and which. */
  private readonly secretKeyId = new Map<string, { t: number; keyId: string }>();
  private readonly statusKeyId = new Map<string, string>();
  /** By `<kind> <key>`: an event wakes only the waiters of its own object (20,000 of them at scale). */
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly aborts = new Map<TrackedKind, AbortController>();
  private readonly lastRv = new Map<TrackedKind, string>();
  private stopped = false;
  /** Keys whose Secret's first keyId differed from the resource's status.keyId (an unexpected replacement). */
  readonly mismatched = new Set<string>();
  watchErrors: string[] = [];

  constructor(private readonly kc: KubeConfig) {}

  async start(): Promise<void> {
    await Promise.all((Object.keys(PATHS) as TrackedKind[]).map((k) => this.watch(k)));
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.aborts.values()) a.abort();
  }

  /** Resolves with the time the key was usable (Ready and its Secret's keyId seen), or rejects after timeoutMs. */
  whenKeyReady(key: string, timeoutMs: number): Promise<number> {
    return this.when('omkey', key, timeoutMs);
  }

  whenBindingReady(key: string, timeoutMs: number): Promise<number> {
    return this.when('binding', key, timeoutMs);
  }

  /** Writes seen in [from, to) by kind, optionally only for keys accepted by `filter`. */
  writesBetween(from: number, to: number, filter: (e: WatchEvent) => boolean = () => true): Record<TrackedKind, number> {
    const out: Record<TrackedKind, number> = { omkey: 0, secret: 0, binding: 0, event: 0 };
    for (const e of this.events) if (e.t >= from && e.t < to && e.type !== 'BOOKMARK' && filter(e)) out[e.kind]++;
    return out;
  }

  private when(kind: 'omkey' | 'binding', key: string, timeoutMs: number): Promise<number> {
    const done = this.doneAt(kind, key);
    if (done !== undefined) return Promise.resolve(done);
    const slot = `${kind} ${key}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const rest = (this.waiters.get(slot) ?? []).filter((w) => w !== waiter);
        if (rest.length > 0) this.waiters.set(slot, rest);
        else this.waiters.delete(slot);
        reject(new Error(`${kind} ${key} not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = { kind, key, resolve: (t) => (clearTimeout(timer), resolve(t)) };
      this.waiters.set(slot, [...(this.waiters.get(slot) ?? []), waiter]);
    });
  }

  private doneAt(kind: 'omkey' | 'binding', key: string): number | undefined {
    const ready = this.readyAt[kind].get(key);
    if (ready === undefined) return undefined;
    if (kind === 'binding') return ready;
    const secret = this.secretKeyId.get(key);
    return secret === undefined ? undefined : Math.max(ready, secret.t);
  }

  private async watch(kind: TrackedKind): Promise<void> {
    const { path, query } = PATHS[kind];
    const rv = this.lastRv.get(kind);
    const abort = await new Watch(this.kc).watch(
      path,
      { ...query, allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) },
      (type: string, obj: Obj) => this.onEvent(kind, type, obj),
      (err: unknown) => {
        if (this.stopped) return;
        if (err) this.watchErrors.push(`${kind}: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
        // The server ends watches now and then; resume from the last version seen.
        setTimeout(() => void this.watch(kind).catch((e: unknown) => this.watchErrors.push(`${kind} restart: ${String(e)}`)), 200);
      },
    );
    this.aborts.set(kind, abort);
  }

  private onEvent(kind: TrackedKind, type: string, obj: Obj): void {
    const t = performance.now();
    const rv = obj.metadata?.resourceVersion ?? '';
    if (type === 'ERROR') {
      this.watchErrors.push(`${kind}: watch ERROR ${JSON.stringify(obj).slice(0, 200)}`);
      this.lastRv.delete(kind);
      return;
    }
    if (rv) this.lastRv.set(kind, rv);
    if (type === 'BOOKMARK') return;
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    this.events.push({ t, kind, key, type, resourceVersion: rv });
    if (type === 'DELETED' || kind === 'event') return;
    if (kind === 'secret') {
      const enc = obj.data?.keyId;
      if (enc && !this.secretKeyId.has(key)) {
        const keyId = Buffer.from(enc, 'base64').toString('utf8');
        this.secretKeyId.set(key, { t, keyId });
        this.checkMismatch(key);
      }
    } else {
      const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
      const map = this.readyAt[kind];
      if (ready?.status === 'True' && ready.observedGeneration === obj.metadata?.generation && !map.has(key)) map.set(key, t);
      if (kind === 'omkey' && obj.status?.keyId) {
        this.statusKeyId.set(key, obj.status.keyId);
        this.checkMismatch(key);
      }
    }
    // A Secret is named after its key in the bench, so its event may complete that key.
    this.wake(kind === 'binding' ? 'binding' : 'omkey', key);
  }

  private checkMismatch(key: string): void {
    const s = this.secretKeyId.get(key);
    const st = this.statusKeyId.get(key);
    if (s && st && s.keyId !== st) this.mismatched.add(key);
  }

  private wake(kind: 'omkey' | 'binding', key: string): void {
    const slot = `${kind} ${key}`;
    const list = this.waiters.get(slot);
    if (!list) return;
    const done = this.doneAt(kind, key);
    if (done === undefined) return;
    this.waiters.delete(slot);
    for (const w of list) w.resolve(done);
  }
}
