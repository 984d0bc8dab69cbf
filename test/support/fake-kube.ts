import type { V1Secret } from '@kubernetes/client-node';
import type { ObjectMeta, OpsManagerApiKey, ProjectKeyBinding } from '../../src/api/types.ts';
import type { ObjectStore, SecretStore } from '../../src/controllers/shared/ports.ts';
import { FencedError, KubeApiError } from './fake-kube-errors.ts';
import { fakeSecretStore } from './fake-kube-secrets.ts';

// An in-memory Kubernetes API for the controllers' ports, faithful where the controllers'
// correctness depends on it: optimistic concurrency (409 on a stale resourceVersion), the
// status subresource, generation, finalizers and deletionTimestamp, garbage collection of
// owned Secrets, namespace deletion. Everything else (validation, admission, watch lag) is out.

export type Kind = 'OpsManagerApiKey' | 'ProjectKeyBinding' | 'Secret';
export type Verb = 'create' | 'replace' | 'replaceStatus' | 'delete';
export type ChangeKind = 'add' | 'update' | 'delete';

export interface WriteRecord {
  seq: number;
  verb: Verb;
  kind: Kind;
  namespace: string;
  name: string;
  /** `operator` for writes through the adapters, `user` for the test's own. */
  by: 'operator' | 'user';
  /** The object as stored after the write (as it was, for a removal). */
  obj: KubeObject;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

type Handler = (obj: KubeObject, change: ChangeKind, old?: KubeObject) => void;

const CUSTOM: ReadonlySet<Kind> = new Set(['OpsManagerApiKey', 'ProjectKeyBinding']);
const clone = <T>(v: T): T => structuredClone(v);
const id = (kind: Kind, ns: string, name: string): string => `${kind}/${ns}/${name}`;
const nsName = (o: KubeObject): [string, string] => [o.metadata?.namespace ?? '', o.metadata?.name ?? ''];

export class FakeKube {
  readonly writes: WriteRecord[] = [];
  private readonly objects = new Map<string, KubeObject>();
  /** Namespaces being deleted: creates there are refused (403) until the last object is gone. */
  private readonly terminating = new Set<string>();
  private readonly handlers = new Map<Kind, Handler[]>();
  private counter = 0;
  private epoch = 0;
  private frozen: Map<string, KubeObject> | undefined;
  /** Objects a DELETE read without finalizers: the next write that adds one lands, then the DELETE removes the object anyway. */
  private readonly racingDeletes = new Set<string>();

  /** `latency` is awaited by every call through an adapter: a fake clock may move as it does during real API calls. */
  constructor(private readonly now: () => number = Date.now, private readonly latency: () => Promise<void> = () => Promise.resolve()) {}

  get(kind: Kind, namespace: string, name: string): KubeObject | undefined {
    const o = this.objects.get(id(kind, namespace, name));
    return o ? clone(o) : undefined;
  }

  list(kind: Kind, namespace?: string): KubeObject[] {
    return [...this.objects.entries()].filter(([k, o]) => k.startsWith(`${kind}/`) && (namespace === undefined || o.metadata?.namespace === namespace)).map(([, o]) => clone(o));
  }

  isTerminating(namespace: string): boolean {
    return this.terminating.has(namespace);
  }

  /** Change notifications of one kind; existing objects are replayed as `add`, as an informer's first list does. */
  onChange(kind: Kind, handler: Handler): void {
    const list = this.handlers.get(kind) ?? [];
    list.push(handler);
    this.handlers.set(kind, list);
    for (const o of this.list(kind)) handler(o, 'add');
  }

  create(kind: Kind, input: KubeObject, by: WriteRecord['by'] = 'user'): KubeObject {
    const [ns, name] = nsName(input);
    if (this.terminating.has(ns)) throw new KubeApiError(403, `namespace ${ns} is being terminated`);
    if (this.objects.has(id(kind, ns, name))) throw new KubeApiError(409, `${kind} ${ns}/${name} already exists`);
    const obj = clone(input);
    obj.metadata = { ...obj.metadata, uid: `uid-${++this.counter}`, resourceVersion: String(++this.counter), creationTimestamp: new Date(this.now()).toISOString() };
    delete obj.metadata.deletionTimestamp;
    if (CUSTOM.has(kind)) {
      obj.metadata.generation = 1;
      delete obj.status; // the status subresource: a create's status is dropped
      if (kind === 'OpsManagerApiKey') obj.spec = { deletionPolicy: 'Delete', ...(obj.spec as object) };
    }
    return this.store(kind, obj, 'create', by, 'add');
  }

  replace(kind: Kind, input: KubeObject, by: WriteRecord['by'] = 'user'): KubeObject {
    const current = this.current(kind, input);
    const meta = input.metadata ?? {};
    const next: KubeObject = CUSTOM.has(kind) ? { ...clone(input), status: clone(current.status) } : clone(input);
    if (next.status === undefined) delete next.status;
    const deleting = current.metadata?.deletionTimestamp;
    const finalizers = meta.finalizers ?? [];
    if (deleting && finalizers.some((f) => !(current.metadata?.finalizers ?? []).includes(f))) {
      throw new KubeApiError(422, 'no new finalizers can be added if the object is being deleted');
    }
    let generation = current.metadata?.generation;
    if (CUSTOM.has(kind) && JSON.stringify(current.spec) !== JSON.stringify(next.spec)) generation = (generation ?? 0) + 1;
    const { uid, creationTimestamp } = current.metadata ?? {};
    next.metadata = { ...meta, uid, creationTimestamp, resourceVersion: String(++this.counter), ...(generation !== undefined ? { generation } : {}) };
    if (deleting) next.metadata.deletionTimestamp = deleting;
    if (!deleting) delete next.metadata.deletionTimestamp;
    if (deleting && finalizers.length === 0) {
      this.record('replace', kind, next, by);
      this.remove(kind, next, by, false);
      return clone(next);
    }
    const stored = this.store(kind, next, 'replace', by, 'update');
    if (this.racingDeletes.delete(id(kind, ...nsName(next))) && finalizers.some((f) => !(current.metadata?.finalizers ?? []).includes(f))) {
      this.remove(kind, next, 'user', true);
    }
    return stored;
  }

  replaceStatus(kind: Kind, input: KubeObject, by: WriteRecord['by'] = 'user'): KubeObject {
    if (!CUSTOM.has(kind)) throw new KubeApiError(404, `${kind} has no status subresource`);
    const current = this.current(kind, input);
    const next: KubeObject = { ...clone(current), status: clone(input.status) };
    if (next.status === undefined) delete next.status;
    next.metadata = { ...current.metadata, resourceVersion: String(++this.counter) };
    return this.store(kind, next, 'replaceStatus', by, 'update');
  }

  /** With finalizers: deletionTimestamp set (and generation bumped, as the API server does); without: gone, dependents collected. */
  delete(kind: Kind, namespace: string, name: string, by: WriteRecord['by'] = 'user'): void {
    const current = this.objects.get(id(kind, namespace, name));
    if (!current) throw new KubeApiError(404, `${kind} ${namespace}/${name} not found`);
    if ((current.metadata?.finalizers ?? []).length === 0) {
      this.remove(kind, current, by, true);
      return;
    }
    if (current.metadata?.deletionTimestamp) return;
    const next = clone(current);
    const meta = next.metadata ?? {};
    next.metadata = { ...meta, deletionTimestamp: new Date(this.now()).toISOString(), resourceVersion: String(++this.counter), ...(meta.generation !== undefined ? { generation: meta.generation + 1 } : {}) };
    this.store(kind, next, 'delete', by, 'update');
  }

  /**
   * A DELETE racing a finalizer's addition, as kube-apiserver lets it (kubernetes/kubernetes#77988):
   * with finalizers it is an ordinary delete; without, the object stays until the next write that
   * adds a finalizer, which succeeds, and is then removed outright, the finalizer ignored.
   */
  deleteRacingFinalizer(kind: Kind, namespace: string, name: string): void {
    const current = this.objects.get(id(kind, namespace, name));
    if (!current) throw new KubeApiError(404, `${kind} ${namespace}/${name} not found`);
    if ((current.metadata?.finalizers ?? []).length > 0) this.delete(kind, namespace, name);
    else this.racingDeletes.add(id(kind, namespace, name));
  }

  /** Deletes everything in the namespace; it stays terminating until the last finalizer is gone. */
  deleteNamespace(namespace: string): void {
    this.terminating.add(namespace);
    for (const kind of ['OpsManagerApiKey', 'ProjectKeyBinding', 'Secret'] as const) {
      for (const o of this.list(kind, namespace)) if (this.objects.has(id(kind, namespace, o.metadata?.name ?? ''))) this.delete(kind, namespace, o.metadata?.name ?? '');
    }
    this.settleNamespaces();
  }

  /** Every adapter made before this call refuses to write from now on: a crashed instance writes nothing more. */
  fence(): void {
    this.epoch++;
  }

  keys = (): ObjectStore<OpsManagerApiKey> => this.objectStore<OpsManagerApiKey>('OpsManagerApiKey');
  bindings = (): ObjectStore<ProjectKeyBinding> => this.objectStore<ProjectKeyBinding>('ProjectKeyBinding');

  /** src/kube/core-objects.ts semantics (fake-kube-secrets.ts); a crashed instance's store writes nothing. */
  secrets(): SecretStore {
    const guard = this.guard();
    return fakeSecretStore(this, <T>(write: boolean, fn: () => T): Promise<T> => this.async(() => (write && guard(), fn())));
  }

  /** The informers' caches: the API server's state, or the snapshot taken by freezeCache() until syncCache(). */
  readonly cache = {
    key: (ns: string, name: string): OpsManagerApiKey | undefined => this.cached('OpsManagerApiKey', ns, name) as OpsManagerApiKey | undefined,
    binding: (ns: string, name: string): ProjectKeyBinding | undefined => this.cached('ProjectKeyBinding', ns, name) as ProjectKeyBinding | undefined,
    secret: (ns: string, name: string): V1Secret | undefined => this.cached('Secret', ns, name) as V1Secret | undefined,
    keys: (): OpsManagerApiKey[] => [...(this.frozen ?? this.objects)].filter(([k]) => k.startsWith('OpsManagerApiKey/')).map(([, o]) => clone(o) as unknown as OpsManagerApiKey),
  };

  /** Informers that lag: from now on the cache views show the state of this moment, the operator's own writes included. */
  freezeCache(): void {
    this.frozen ??= new Map([...this.objects].map(([k, o]) => [k, clone(o)]));
  }

  /** The informers catch up, and stay current. */
  syncCache(): void {
    this.frozen = undefined;
  }

  private cached(kind: Kind, ns: string, name: string): KubeObject | undefined {
    const o = (this.frozen ?? this.objects).get(id(kind, ns, name));
    return o ? clone(o) : undefined;
  }

  private objectStore<T>(kind: Kind): ObjectStore<T> {
    const guard = this.guard();
    return {
      get: (ns, name) =>
        this.async(() => {
          const o = this.get(kind, ns, name);
          if (!o) throw new KubeApiError(404, `${kind} ${ns}/${name} not found`);
          return o as T;
        }),
      replace: (obj) => this.async(() => (guard(), this.replace(kind, obj as KubeObject, 'operator') as T)),
      replaceStatus: (obj) => this.async(() => (guard(), this.replaceStatus(kind, obj as KubeObject, 'operator') as T)),
    };
  }

  private guard(): () => void {
    const epoch = this.epoch;
    return () => {
      if (this.epoch !== epoch) throw new FencedError();
    };
  }

  /** API calls answer asynchronously, as over the network, and fail as rejected promises. */
  private async async<T>(fn: () => T): Promise<T> {
    await this.latency();
    return fn();
  }

  private current(kind: Kind, input: KubeObject): KubeObject {
    const [ns, name] = nsName(input);
    const current = this.objects.get(id(kind, ns, name));
    if (!current) throw new KubeApiError(404, `${kind} ${ns}/${name} not found`);
    const meta = input.metadata ?? {};
    if (meta.uid !== undefined && meta.uid !== current.metadata?.uid) throw new KubeApiError(409, `${kind} ${ns}/${name}: uid precondition failed`);
    if (meta.resourceVersion === undefined && CUSTOM.has(kind)) throw new KubeApiError(422, 'metadata.resourceVersion must be specified for an update');
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== current.metadata?.resourceVersion) {
      throw new KubeApiError(409, `${kind} ${ns}/${name}: the object has been modified; please apply your changes to the latest version and try again`);
    }
    return current;
  }

  private store(kind: Kind, obj: KubeObject, verb: Verb, by: WriteRecord['by'], change: ChangeKind): KubeObject {
    const [ns, name] = nsName(obj);
    const old = this.objects.get(id(kind, ns, name));
    this.objects.set(id(kind, ns, name), obj);
    this.record(verb, kind, obj, by);
    this.emit(kind, obj, change, old);
    this.collect();
    return clone(obj);
  }

  private remove(kind: Kind, obj: KubeObject, by: WriteRecord['by'], recordIt: boolean): void {
    const [ns, name] = nsName(obj);
    const old = this.objects.get(id(kind, ns, name));
    this.objects.delete(id(kind, ns, name));
    if (recordIt) this.record('delete', kind, obj, by);
    this.emit(kind, obj, 'delete', old);
    this.collect();
    this.settleNamespaces();
  }

  /** Garbage collection: a Secret all of whose owners are gone goes too (here at once, in the cluster shortly after). */
  private collect(): void {
    const uids = new Set([...this.objects.values()].map((o) => o.metadata?.uid));
    for (const s of this.list('Secret')) {
      const owners = s.metadata?.ownerReferences ?? [];
      const [ns, name] = nsName(s);
      if (!this.objects.has(id('Secret', ns, name))) continue; // collected by an earlier round of this sweep
      if (owners.length > 0 && owners.every((r) => !uids.has(r.uid))) this.delete('Secret', ns, name, 'user');
    }
  }

  private settleNamespaces(): void {
    for (const ns of [...this.terminating]) {
      if (![...this.objects.values()].some((o) => o.metadata?.namespace === ns)) this.terminating.delete(ns);
    }
  }

  private record(verb: Verb, kind: Kind, obj: KubeObject, by: WriteRecord['by']): void {
    const [namespace, name] = nsName(obj);
    this.writes.push({ seq: this.writes.length + 1, verb, kind, namespace, name, by, obj: clone(obj) });
  }

  private emit(kind: Kind, obj: KubeObject, change: ChangeKind, old?: KubeObject): void {
    for (const h of this.handlers.get(kind) ?? []) h(clone(obj), change, old ? clone(old) : undefined);
  }
}
