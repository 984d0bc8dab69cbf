import type { V1ConfigMap, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import { isNotFound } from './api-errors.ts';
import type { KubeClient } from './kube-client.ts';

interface CoreCalls<T> {
  read(namespace: string, name: string): Promise<T>;
  create(namespace: string, body: T): Promise<T>;
  replace(namespace: string, name: string, body: T): Promise<T>;
  jsonPatch(namespace: string, name: string, ops: unknown[]): Promise<T>;
}

/**
 * Reads and writes of one core kind (Secrets, ConfigMaps) that bypass the cache, for the
 * moments when a stale view would be dangerous. `update` keeps the labels and annotations the
 * operator does not own, and carries the resourceVersion of the copy it replaces.
 */
export class CoreObjects<T extends { metadata?: V1ObjectMeta }> {
  constructor(
    private readonly calls: CoreCalls<T>,
    /** Told about every object a write returns (see runtime/own-writes.ts). */
    private readonly onWrite?: (obj: T) => void,
  ) {}

  private noted(obj: T): T {
    this.onWrite?.(obj);
    return obj;
  }

  async get(namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.calls.read(namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(obj: T): Promise<T> {
    return this.noted(await this.calls.create(obj.metadata?.namespace ?? '', obj));
  }

  async update(current: T, desired: T): Promise<T> {
    const body: T = {
      ...desired,
      metadata: {
        ...desired.metadata,
        resourceVersion: current.metadata?.resourceVersion,
        labels: { ...current.metadata?.labels, ...desired.metadata?.labels },
        annotations: { ...current.metadata?.annotations, ...desired.metadata?.annotations },
        // Another controller's finalizers stay; ours come with `desired`.
        ...finalizersOf(current, desired),
      },
    };
    return this.noted(await this.calls.replace(body.metadata?.namespace ?? '', body.metadata?.name ?? '', body));
  }

  /**
   * Takes `finalizer` off the object, by a JSON patch that first tests the list `current`
   * shows: a list changed since (by anyone) fails the patch (422) rather than being overwritten.
   * An object already gone is undefined: nothing is left to release.
   */
  async removeFinalizer(current: T, finalizer: string): Promise<T | undefined> {
    const list = current.metadata?.finalizers ?? [];
    if (!list.includes(finalizer)) return current;
    const ops = [
      { op: 'test', path: '/metadata/finalizers', value: list },
      { op: 'replace', path: '/metadata/finalizers', value: list.filter((f) => f !== finalizer) },
    ];
    try {
      return this.noted(await this.calls.jsonPatch(current.metadata?.namespace ?? '', current.metadata?.name ?? '', ops));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** See SecretStore.releaseOwner. */
  async releaseOwner(current: T, ownerUid: string): Promise<T | undefined> {
    const ops = releaseOwnerPatch(current, ownerUid);
    if (!ops) return current;
    try {
      return this.noted(await this.calls.jsonPatch(current.metadata?.namespace ?? '', current.metadata?.name ?? '', ops));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}

/**
 * The patch that takes the ownerReference to `ownerUid` off `current`, or undefined when it has
 * none. The resourceVersion it carries is a precondition: a changed object fails with 409.
 */
export function releaseOwnerPatch(current: { metadata?: V1ObjectMeta }, ownerUid: string): unknown[] | undefined {
  const refs = current.metadata?.ownerReferences ?? [];
  const kept = refs.filter((r) => r.uid !== ownerUid);
  if (kept.length === refs.length) return undefined;
  const rv = { op: 'replace', path: '/metadata/resourceVersion', value: current.metadata?.resourceVersion ?? '' };
  return [rv, kept.length > 0 ? { op: 'replace', path: '/metadata/ownerReferences', value: kept } : { op: 'remove', path: '/metadata/ownerReferences' }];
}

function finalizersOf(current: { metadata?: V1ObjectMeta }, desired: { metadata?: V1ObjectMeta }): { finalizers?: string[] } {
  const all = [...new Set([...(current.metadata?.finalizers ?? []), ...(desired.metadata?.finalizers ?? [])])];
  return all.length > 0 ? { finalizers: all } : {};
}

/** Secrets and ConfigMaps as the API server has them: `kube` requests, no cache. */
function coreCalls<T>(kube: KubeClient, resource: 'secrets' | 'configmaps'): CoreCalls<T> {
  const path = (namespace: string, name?: string): string =>
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  return {
    read: (namespace, name) => kube.request<T>({ path: path(namespace, name) }),
    create: (namespace, body) => kube.request<T>({ method: 'POST', path: path(namespace), body }),
    replace: (namespace, name, body) => kube.request<T>({ method: 'PUT', path: path(namespace, name), body }),
    jsonPatch: (namespace, name, ops) => kube.request<T>({ method: 'PATCH', path: path(namespace, name), body: ops, contentType: 'application/json-patch+json' }),
  };
}

export function secretsOf(kube: KubeClient, onWrite?: (s: V1Secret) => void): CoreObjects<V1Secret> {
  return new CoreObjects<V1Secret>(coreCalls<V1Secret>(kube, 'secrets'), onWrite);
}

export function configMapsOf(kube: KubeClient, onWrite?: (c: V1ConfigMap) => void): CoreObjects<V1ConfigMap> {
  return new CoreObjects<V1ConfigMap>(coreCalls<V1ConfigMap>(kube, 'configmaps'), onWrite);
}
