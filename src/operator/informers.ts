import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, VERSION } from '../api/types.ts';
import type { Clock } from '../runtime/clock.ts';
import { ManagedInformer } from '../runtime/informer.ts';

/** An informer over one of our custom resources, cluster-wide or in one namespace. */
export function customResourceInformer(kc: KubeConfig, plural: string, namespace: string | undefined, clock: Clock, logger: Logger): ManagedInformer<KubernetesObject> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const path = namespace ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}` : `/apis/${GROUP}/${VERSION}/${plural}`;
  const list = async (): Promise<KubernetesListObject<KubernetesObject>> =>
    (namespace
      ? await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural })
      : await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as KubernetesListObject<KubernetesObject>;
  return new ManagedInformer<KubernetesObject>({ kc, path, list, clock, logger, name: plural });
}
