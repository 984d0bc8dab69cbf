import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/types.ts';

/**
 * Typed, thin access to one namespaced custom resource. Writes are PUTs of the whole object
 * carrying its resourceVersion, so a write based on a stale read fails with 409 instead of
 * overwriting someone else's change.
 */
export class CustomObjects<T extends { metadata: { name?: string; namespace?: string } }> {
  private readonly api: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    private readonly plural: string,
    /** Told about every object a write returns (see runtime/own-writes.ts). */
    private readonly onWrite?: (obj: T) => void,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  private noted(obj: T): T {
    this.onWrite?.(obj);
    return obj;
  }

  async get(namespace: string, name: string): Promise<T> {
    return (await this.api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: this.plural, name })) as T;
  }

  async list(namespace: string): Promise<T[]> {
    const res = (await this.api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: this.plural })) as { items: T[] };
    return res.items;
  }

  async replace(obj: T): Promise<T> {
    const { namespace = '', name = '' } = obj.metadata;
    return this.noted((await this.api.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: this.plural, name, body: obj })) as T);
  }

  async replaceStatus(obj: T): Promise<T> {
    const { namespace = '', name = '' } = obj.metadata;
    return this.noted((await this.api.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: this.plural,
      name,
      body: obj,
    })) as T);
  }
}
