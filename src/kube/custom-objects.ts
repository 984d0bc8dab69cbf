import { GROUP, VERSION } from '../api/types.ts';
import type { KubeClient } from './kube-client.ts';
import { listAll } from './list-pages.ts';

/**
 * Typed, thin access to one custom resource (namespace '' for a cluster-scoped kind). Writes are PUTs of the whole object
 * carrying its resourceVersion, so a write based on a stale read fails with 409 instead of
 * overwriting someone else's change.
 */
export class CustomObjects<T extends { metadata: { name?: string; namespace?: string } }> {
  constructor(
    private readonly kube: KubeClient,
    private readonly plural: string,
    /** Told about every object a write returns, with the resourceVersion it replaced (see runtime/own-writes.ts). */
    private readonly onWrite?: (obj: T, replacedVersion: string | undefined) => void,
  ) {}

  private noted(obj: T, sent: T): T {
    this.onWrite?.(obj, (sent.metadata as { resourceVersion?: string }).resourceVersion);
    return obj;
  }

  private path(namespace: string, name?: string, sub?: string): string {
    const scope = namespace === '' ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
    const base = `/apis/${GROUP}/${VERSION}${scope}/${this.plural}`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`;
  }

  get(namespace: string, name: string): Promise<T> {
    return this.kube.request<T>({ path: this.path(namespace, name) });
  }

  list(namespace: string): Promise<T[]> {
    return listAll(this.kube, this.path(namespace)) as unknown as Promise<T[]>;
  }

  async replace(obj: T): Promise<T> {
    const { namespace = '', name = '' } = obj.metadata;
    return this.noted(await this.kube.request<T>({ method: 'PUT', path: this.path(namespace, name), body: obj }), obj);
  }

  async replaceStatus(obj: T): Promise<T> {
    const { namespace = '', name = '' } = obj.metadata;
    return this.noted(await this.kube.request<T>({ method: 'PUT', path: this.path(namespace, name, 'status'), body: obj }), obj);
  }
}
