import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, VERSION } from '../api/types.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Clock } from '../runtime/clock.ts';
import { ManagedInformer } from '../runtime/informer.ts';

/** An informer over one of our custom resources, cluster-wide or in one namespace. */
export function customResourceInformer(kube: KubeClient, plural: string, namespace: string | undefined, clock: Clock, logger: Logger): ManagedInformer<KubernetesObject> {
  const path = namespace ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}` : `/apis/${GROUP}/${VERSION}/${plural}`;
  return new ManagedInformer<KubernetesObject>({ kube, path, clock, logger, name: plural });
}
