import type { KubernetesObject, V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, VERSION } from '../api/types.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Clock } from '../runtime/clock.ts';
import { ManagedInformer, type Informer } from '../runtime/informer.ts';
import { scopedInformer } from '../runtime/per-namespace-informer.ts';
import type { StringInterner } from '../runtime/intern.ts';

/**
 * An informer over one of our namespaced custom resources in the namespaces watched (none named:
 * every namespace, one cluster-wide watch; otherwise a watch per namespace, see
 * runtime/per-namespace-informer.ts).
 */
export function customResourceInformer(
  kube: KubeClient,
  plural: string,
  namespaces: readonly string[],
  clock: Clock,
  logger: Logger,
  strings?: StringInterner,
): Informer<KubernetesObject> {
  return scopedInformer<KubernetesObject>(plural, namespaces, (namespace) => {
    const scope = namespace ? `/namespaces/${namespace}` : '';
    const path = `/apis/${GROUP}/${VERSION}${scope}/${plural}`;
    const name = namespace ? `${plural}-${namespace}` : plural;
    return new ManagedInformer<KubernetesObject>({ kube, path, clock, logger, name, ...(strings ? { strings } : {}) });
  });
}

/** A cluster-scoped custom resource (ClusterOpsManagerConnection): always the cluster-wide path. */
export function clusterResourceInformer(kube: KubeClient, plural: string, clock: Clock, logger: Logger, strings?: StringInterner): ManagedInformer<KubernetesObject> {
  return new ManagedInformer<KubernetesObject>({ kube, path: `/apis/${GROUP}/${VERSION}/${plural}`, clock, logger, name: plural, ...(strings ? { strings } : {}) });
}

/**
 * Namespaces, for the labels a connection's policy selects on: only name and labels are kept
 * (a namespace object is small, and a cluster has far fewer of them than keys).
 */
export function namespaceInformer(kube: KubeClient, clock: Clock, logger: Logger, strings?: StringInterner): ManagedInformer<V1Namespace> {
  return new ManagedInformer<V1Namespace>({
    kube,
    path: '/api/v1/namespaces',
    clock,
    logger,
    name: 'namespaces',
    transform: (ns) => ({ metadata: { name: ns.metadata?.name ?? '', resourceVersion: ns.metadata?.resourceVersion ?? '', labels: ns.metadata?.labels ?? {} } }),
    ...(strings ? { strings } : {}),
  });
}
