import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { ManagedInformer } from './informer.ts';

/** Only objects with this label are ever cached: the operator must not hold other Secrets (or ConfigMaps) in memory. */
const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=omkeys';

interface InformerOpts {
  kc: KubeConfig;
  namespace?: string;
  clock: Clock;
  logger: Logger;
  name?: string;
}

/** An informer over the operator's own Secrets, in one namespace or (namespace undefined) all. */
export function managedSecretInformer(opts: InformerOpts): ManagedInformer<V1Secret> {
  const core = opts.kc.makeApiClient(CoreV1Api);
  return managed(opts, 'secrets', (namespace, labelSelector) =>
    namespace ? core.listNamespacedSecret({ namespace, labelSelector }) : core.listSecretForAllNamespaces({ labelSelector }));
}

/** The same for the ConfigMaps the operator writes for the MongoDB operator (spec.opsManagerConfigMap). */
export function managedConfigMapInformer(opts: InformerOpts): ManagedInformer<V1ConfigMap> {
  const core = opts.kc.makeApiClient(CoreV1Api);
  return managed(opts, 'configmaps', (namespace, labelSelector) =>
    namespace ? core.listNamespacedConfigMap({ namespace, labelSelector }) : core.listConfigMapForAllNamespaces({ labelSelector }));
}

function managed<T extends V1Secret | V1ConfigMap>(
  opts: InformerOpts,
  resource: 'secrets' | 'configmaps',
  list: (namespace: string | undefined, labelSelector: string) => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
): ManagedInformer<T> {
  const ns = opts.namespace;
  const labelSelector = MANAGED_BY_SELECTOR;
  return new ManagedInformer<T>({
    kc: opts.kc,
    path: ns ? `/api/v1/namespaces/${ns}/${resource}` : `/api/v1/${resource}`,
    list: () => list(ns, labelSelector),
    labelSelector,
    clock: opts.clock,
    logger: opts.logger,
    name: opts.name ?? (ns ? `${resource}-${ns}` : resource),
  });
}
