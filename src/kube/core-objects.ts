import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1ObjectMeta, type V1Secret } from '@kubernetes/client-node';
import { isNotFound } from './api-errors.ts';

interface CoreCalls<T> {
  read(namespace: string, name: string): Promise<T>;
  create(namespace: string, body: T): Promise<T>;
  replace(namespace: string, name: string, body: T): Promise<T>;
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
      },
    };
    return this.noted(await this.calls.replace(body.metadata?.namespace ?? '', body.metadata?.name ?? '', body));
  }
}

export function secretsOf(kc: KubeConfig, onWrite?: (s: V1Secret) => void): CoreObjects<V1Secret> {
  const api = kc.makeApiClient(CoreV1Api);
  return new CoreObjects<V1Secret>(
    {
      read: (namespace, name) => api.readNamespacedSecret({ namespace, name }),
      create: (namespace, body) => api.createNamespacedSecret({ namespace, body }),
      replace: (namespace, name, body) => api.replaceNamespacedSecret({ namespace, name, body }),
    },
    onWrite,
  );
}

export function configMapsOf(kc: KubeConfig, onWrite?: (c: V1ConfigMap) => void): CoreObjects<V1ConfigMap> {
  const api = kc.makeApiClient(CoreV1Api);
  return new CoreObjects<V1ConfigMap>(
    {
      read: (namespace, name) => api.readNamespacedConfigMap({ namespace, name }),
      create: (namespace, body) => api.createNamespacedConfigMap({ namespace, body }),
      replace: (namespace, name, body) => api.replaceNamespacedConfigMap({ namespace, name, body }),
    },
    onWrite,
  );
}
