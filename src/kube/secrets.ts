import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { isNotFound } from './api-errors.ts';

/** Secret reads and writes that bypass the cache, for the moments when a stale view would be dangerous. */
export class Secrets {
  private readonly api: CoreV1Api;

  constructor(
    kc: KubeConfig,
    /** Told about every Secret a write returns (see runtime/own-writes.ts). */
    private readonly onWrite?: (secret: V1Secret) => void,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
  }

  private noted(secret: V1Secret): V1Secret {
    this.onWrite?.(secret);
    return secret;
  }

  async get(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.api.readNamespacedSecret({ namespace, name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(secret: V1Secret): Promise<V1Secret> {
    return this.noted(await this.api.createNamespacedSecret({ namespace: secret.metadata?.namespace ?? '', body: secret }));
  }

  /** Replaces `current` with `desired`, keeping metadata the operator does not own (other labels/annotations). */
  async update(current: V1Secret, desired: V1Secret): Promise<V1Secret> {
    const body: V1Secret = {
      ...desired,
      metadata: {
        ...desired.metadata,
        resourceVersion: current.metadata?.resourceVersion,
        labels: { ...current.metadata?.labels, ...desired.metadata?.labels },
        annotations: { ...current.metadata?.annotations, ...desired.metadata?.annotations },
      },
    };
    return this.noted(await this.api.replaceNamespacedSecret({ namespace: body.metadata?.namespace ?? '', name: body.metadata?.name ?? '', body }));
  }
}
