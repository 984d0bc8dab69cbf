import type { V1Secret } from '@kubernetes/client-node';
import { LEGACY_SECRET_FINALIZER, type Condition } from '../../../src/api/types.ts';
import type { EventSink, ObjectStore, SecretStore } from '../../../src/controllers/shared/ports.ts';

type Obj = { metadata: { name?: string; namespace?: string; resourceVersion?: string; finalizers?: string[] }; status?: { conditions?: Condition[] } };

const apiError = (code: number, message: string): Error => Object.assign(new Error(message), { code });

/** Ready, and how kstatus would read the rest: ` +Reconciling` or ` +Stalled` when one of them is True. */
function ready(o: Obj): string {
  const c = o.status?.conditions?.find((x) => x.type === 'Ready');
  const on = (type: string): string => (o.status?.conditions?.some((x) => x.type === type && x.status === 'True') ? ` +${type}` : '');
  return `${c ? `Ready=${c.status} ${c.reason}` : 'no Ready'}${on('Reconciling')}${on('Stalled')}`;
}

/**
 * Kubernetes objects of one kind in memory, as the API server treats them where the
 * controllers care: resourceVersion checked on every write (409 when stale), a new one on
 * every write. Every write is recorded as one line in the shared list.
 */
export class RecordingObjects<T extends Obj> implements ObjectStore<T> {
  readonly items = new Map<string, T>();
  private rv = 100;

  constructor(private readonly writes: string[], private readonly kind: string) {}

  put(obj: T): T {
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } });
    this.items.set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`, stored);
    return structuredClone(stored);
  }

  async get(namespace: string, name: string): Promise<T> {
    const o = this.items.get(`${namespace}/${name}`);
    if (!o) throw apiError(404, 'not found');
    return Promise.resolve(structuredClone(o));
  }

  private current(obj: T): T {
    const o = this.items.get(`${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`);
    if (!o) throw apiError(404, 'not found');
    if (o.metadata.resourceVersion !== obj.metadata.resourceVersion) throw apiError(409, 'conflict');
    return o;
  }

  async replace(obj: T): Promise<T> {
    const was = this.current(obj);
    const mark = (o: Obj): string | undefined => (o.metadata as { annotations?: Record<string, string> }).annotations?.['omkeys.io/create-pending'];
    const marked = mark(obj) !== undefined && mark(obj) !== mark(was) ? ' +pending-mark' : '';
    this.writes.push(`${this.kind} replace finalizers=${(obj.metadata.finalizers ?? []).join(',') || '-'}${marked}`);
    return Promise.resolve(this.put({ ...obj, status: was.status }));
  }

  async replaceStatus(obj: T): Promise<T> {
    const was = this.current(obj);
    const settled = (o: Obj): unknown => (o.status as { createSettled?: unknown } | undefined)?.createSettled;
    const settles = settled(obj) !== undefined && settled(obj) !== settled(was) ? ' settles-mark' : '';
    this.writes.push(`${this.kind} status ${ready(obj)}${settles}`);
    return Promise.resolve(this.put({ ...was, status: obj.status }));
  }
}

/** Secrets (or, with kind `configmap`, ConfigMaps: the same calls) in memory, every write recorded. */
export class RecordingSecrets implements SecretStore {
  readonly items = new Map<string, V1Secret>();
  /** Live reads (`namespace/name`): the cache is meant to serve a reconcile at rest. */
  readonly gets: string[] = [];
  private rv = 500;

  constructor(private readonly writes: string[], private readonly kind = 'secret') {}

  put(s: V1Secret): V1Secret {
    const stored = structuredClone({ ...s, metadata: { ...s.metadata, resourceVersion: String(++this.rv) } });
    this.items.set(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, stored);
    return structuredClone(stored);
  }

  async get(namespace: string, name: string): Promise<V1Secret | undefined> {
    this.gets.push(`${namespace}/${name}`);
    const s = this.items.get(`${namespace}/${name}`);
    return Promise.resolve(s ? structuredClone(s) : undefined);
  }

  async create(secret: V1Secret): Promise<V1Secret> {
    this.writes.push(`${this.kind} create ${secret.metadata?.name ?? ''}${guarded(secret)}`);
    if (this.items.has(`${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`)) throw apiError(409, 'exists');
    return Promise.resolve(this.put(secret));
  }

  async update(current: V1Secret, desired: V1Secret): Promise<V1Secret> {
    this.writes.push(`${this.kind} update ${desired.metadata?.name ?? ''}${guarded(desired)}`);
    const was = this.items.get(`${desired.metadata?.namespace ?? ''}/${desired.metadata?.name ?? ''}`);
    if (!was) throw apiError(404, 'not found');
    if (was.metadata?.resourceVersion !== current.metadata?.resourceVersion) throw apiError(409, 'conflict');
    const labels = { ...current.metadata?.labels, ...desired.metadata?.labels };
    const annotations = { ...current.metadata?.annotations, ...desired.metadata?.annotations };
    const finalizers = [...new Set([...(was.metadata?.finalizers ?? []), ...(desired.metadata?.finalizers ?? [])])];
    return Promise.resolve(this.put({ ...desired, metadata: { ...desired.metadata, labels, annotations, ...(finalizers.length > 0 ? { finalizers } : {}) } }));
  }

  /** Recorded as `secret disown <name>`; checks current's resourceVersion like the real patch. */
  async releaseOwner(current: V1Secret, ownerUid: string): Promise<V1Secret | undefined> {
    const key = `${current.metadata?.namespace ?? ''}/${current.metadata?.name ?? ''}`;
    this.writes.push(`${this.kind} disown ${current.metadata?.name ?? ''}`);
    const was = this.items.get(key);
    if (!was) return Promise.resolve(undefined);
    if (was.metadata?.resourceVersion !== current.metadata?.resourceVersion) throw apiError(409, 'conflict');
    const ownerReferences = (was.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
    return Promise.resolve(this.put({ ...was, metadata: { ...was.metadata, ownerReferences } }));
  }

  /** Recorded as `secret release <name>`; a Secret being deleted goes once no finalizer is left. */
  async removeFinalizer(current: V1Secret, finalizer: string): Promise<V1Secret | undefined> {
    const key = `${current.metadata?.namespace ?? ''}/${current.metadata?.name ?? ''}`;
    this.writes.push(`${this.kind} release ${current.metadata?.name ?? ''}`);
    const was = this.items.get(key);
    if (!was) return Promise.resolve(undefined);
    const finalizers = (was.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    if (was.metadata?.deletionTimestamp && finalizers.length === 0) {
      this.items.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(this.put({ ...was, metadata: { ...was.metadata, finalizers } }));
  }
}

/** ` +protected` on the write of a Secret that carries the finalizer earlier versions wrote: this one never must. */
function guarded(s: V1Secret): string {
  return (s.metadata?.finalizers ?? []).includes(LEGACY_SECRET_FINALIZER) ? ' +protected' : '';
}

export class RecordingEvents implements EventSink {
  readonly messages: string[] = [];

  constructor(private readonly writes: string[]) {}

  async record(_obj: unknown, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    this.writes.push(`event ${type} ${reason}`);
    this.messages.push(message);
    return Promise.resolve();
  }
}
