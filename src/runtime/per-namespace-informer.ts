import type { KubernetesObject } from '@kubernetes/client-node';
import type { ChangeHandler, Informer } from './informer.ts';

/**
 * One cache of a namespaced kind over several namespaces, each its own list+watch on that
 * namespace's path. An install given the namespaces it watches then needs Roles in them only:
 * a cluster-wide watch filtered here would need the right to list the kind (Secrets included)
 * in every namespace, which the chart's namespaced install does not grant.
 */
export class PerNamespaceInformer<T extends KubernetesObject> implements Informer<T> {
  readonly name: string;
  private readonly byNamespace: ReadonlyMap<string, Informer<T>>;

  /** `make(namespace)` builds the informer of one namespace (its path in that namespace). */
  constructor(name: string, namespaces: readonly string[], make: (namespace: string) => Informer<T>) {
    this.name = name;
    this.byNamespace = new Map([...new Set(namespaces)].map((ns) => [ns, make(ns)]));
  }

  /** The namespaces watched, in the order given. */
  get namespaces(): string[] {
    return [...this.byNamespace.keys()];
  }

  onChange(handler: ChangeHandler<T>): void {
    for (const informer of this.byNamespace.values()) informer.onChange(handler);
  }

  /** Synced once every namespace's list is: a controller started earlier would judge a half-empty cache. */
  hasSynced(): boolean {
    return [...this.byNamespace.values()].every((i) => i.hasSynced());
  }

  get(namespace: string, name: string): T | undefined {
    return this.byNamespace.get(namespace)?.get(namespace, name);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return this.byNamespace.get(namespace)?.list(namespace) ?? [];
    return [...this.byNamespace.values()].flatMap((i) => i.list());
  }

  get size(): number {
    let n = 0;
    for (const informer of this.byNamespace.values()) n += informer.size;
    return n;
  }

  async start(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.stop()));
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.byNamespace.values()].map((i) => i.waitForSync(signal)));
  }
}

/**
 * The informer of a kind in the namespaces an install watches: none named is one cluster-wide
 * list+watch (`make(undefined)`), one is that namespace's, several are one each (a
 * PerNamespaceInformer). Never a cluster-wide watch when namespaces are named.
 */
export function scopedInformer<T extends KubernetesObject>(
  name: string,
  namespaces: readonly string[],
  make: (namespace: string | undefined) => Informer<T>,
): Informer<T> {
  const distinct = [...new Set(namespaces)];
  if (distinct.length === 0) return make(undefined);
  if (distinct.length === 1) return make(distinct[0]);
  return new PerNamespaceInformer<T>(name, distinct, make);
}
