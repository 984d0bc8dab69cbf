import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, VERSION } from '../api/types.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Clock } from '../runtime/clock.ts';
import { ManagedInformer } from '../runtime/informer.ts';
import type { StringInterner } from '../runtime/intern.ts';

/** An informer over one of our custom resources, cluster-wide or in one namespace. */
export function customResourceInformer(kube: KubeClient, plural: string, namespace: string | undefined, clock: Clock, logger: Logger, strings?: StringInterner): ManagedInformer<KubernetesObject> {
  const path = namespace ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}` : `/apis/${GROUP}/${VERSION}/${plural}`;
  return new ManagedInformer<KubernetesObject>({ kube, path, clock, logger, name: plural, ...(strings ? { strings } : {}) });
}
