import type { KubernetesObject, V1Namespace } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  CLUSTER_CONNECTION_KIND,
  CLUSTER_CONNECTION_PLURAL,
  NAMESPACED_CONNECTION_KIND,
  NAMESPACED_CONNECTION_PLURAL,
  type ClusterOpsManagerConnection,
  type OpsManagerApiKey,
  type OpsManagerConnection,
} from '../api/types.ts';
import { createConnectionController } from '../controllers/connection/controller.ts';
import { ConnectionCatalog } from '../controllers/shared/connection-catalog.ts';
import type { ConnectionPool } from '../controllers/shared/connections.ts';
import { CustomObjects } from '../kube/custom-objects.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Controller, ControllerDeps } from '../runtime/controller.ts';
import type { Informer } from '../runtime/informer.ts';
import type { StringInterner } from '../runtime/intern.ts';
import { clusterResourceInformer, customResourceInformer, namespaceInformer } from './informers.ts';

export interface ConnectionInformers {
  cluster: Informer<KubernetesObject>;
  namespaced: Informer<KubernetesObject>;
  namespaces: Informer<V1Namespace>;
  catalog: ConnectionCatalog;
}

/** The caches connections are resolved from: both connection kinds and the namespaces' labels. */
export function connectionInformers(o: {
  kube: KubeClient;
  /** The namespaces watched (none: every one); cluster connections and Namespaces are always cluster-wide. */
  namespaces: readonly string[];
  clock: Clock;
  logger: Logger;
  strings: StringInterner;
  keys: Informer<KubernetesObject>;
}): ConnectionInformers {
  const cluster = clusterResourceInformer(o.kube, CLUSTER_CONNECTION_PLURAL, o.clock, o.logger, o.strings);
  const namespaced = customResourceInformer(o.kube, NAMESPACED_CONNECTION_PLURAL, o.namespaces, o.clock, o.logger, o.strings);
  const namespaces = namespaceInformer(o.kube, o.clock, o.logger, o.strings);
  const catalog = new ConnectionCatalog({
    cluster: (name) => cluster.get('', name) as unknown as ClusterOpsManagerConnection | undefined,
    clusterAll: () => cluster.list() as unknown as ClusterOpsManagerConnection[],
    namespaced: (ns, name) => namespaced.get(ns, name) as unknown as OpsManagerConnection | undefined,
    namespaceLabels: (ns) => namespaces.get('', ns)?.metadata?.labels ?? (namespaces.get('', ns) ? {} : undefined),
    keys: (ns) => o.keys.list(ns) as unknown as OpsManagerApiKey[],
  });
  return { cluster, namespaced, namespaces, catalog };
}

/**
 * A policy or a namespace's labels changed: what exists is judged again at once (a narrowed
 * policy reported, a widened one served), not at the next resync.
 */
export function reconcileOnPolicyChange(c: ConnectionInformers, controllers: ReadonlyArray<Controller<KubernetesObject>>, primaries: ReadonlyArray<Informer<KubernetesObject>>): void {
  const all = (namespace?: string): void => {
    primaries.forEach((informer, i) => {
      for (const obj of informer.list(namespace)) controllers[i]?.enqueue(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
    });
  };
  const specChanged = (obj: KubernetesObject, kind: string, old?: KubernetesObject): boolean =>
    kind !== 'update' || JSON.stringify((obj as { spec?: unknown }).spec) !== JSON.stringify((old as { spec?: unknown } | undefined)?.spec);
  c.cluster.onChange((obj, kind, old) => {
    if (specChanged(obj, kind, old)) all();
  });
  c.namespaced.onChange((obj, kind, old) => {
    if (specChanged(obj, kind, old)) all(obj.metadata?.namespace ?? '');
  });
  c.namespaces.onChange((obj, kind, old) => {
    if (kind === 'update' && JSON.stringify(obj.metadata?.labels) === JSON.stringify(old?.metadata?.labels)) return;
    all(obj.metadata?.name ?? '');
  });
}

/** The status controllers of both connection kinds. */
export function connectionControllers(o: {
  c: ConnectionInformers;
  kube: KubeClient;
  connections: ConnectionPool;
  clock: Clock;
  runtime: ControllerDeps;
  inScope: (namespace: string) => boolean;
  resyncPeriodMs: number;
}): Array<Controller<KubernetesObject>> {
  // The resync probes every connection once a period; a long period gets a probe of its own every 5 minutes.
  const probeEveryMs = o.resyncPeriodMs > 300_000 ? 300_000 : undefined;
  const common = { connections: o.connections, clock: o.clock, runtime: o.runtime, ...(probeEveryMs ? { probeEveryMs } : {}), resyncPeriodMs: o.resyncPeriodMs };
  return [
    createConnectionController({ ...common, kind: CLUSTER_CONNECTION_KIND, informer: o.c.cluster, writer: new CustomObjects(o.kube, CLUSTER_CONNECTION_PLURAL) }),
    createConnectionController({ ...common, kind: NAMESPACED_CONNECTION_KIND, informer: o.c.namespaced, writer: new CustomObjects(o.kube, NAMESPACED_CONNECTION_PLURAL), inScope: o.inScope }),
  ];
}
