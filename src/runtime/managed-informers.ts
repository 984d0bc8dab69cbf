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
  const ns = opts.namespace;
  const labelSelector = MANAGED_BY_SELECTOR;
  return new ManagedInformer<V1Secret>({
    kc: opts.kc,
    path: ns ? `/api/v1/namespaces/${ns}/secrets` : '/api/v1/secrets',
    list: () => (ns ? core.listNamespacedSecret({ namespace: ns, labelSelector }) : core.listSecretForAllNamespaces({ labelSelector })),
    labelSelector,
    clock: opts.clock,
    logger: opts.logger,
    name: opts.name ?? (ns ? `secrets-${ns}` : 'secrets'),
  });
}

/** The same for the ConfigMaps the operator writes for the MongoDB operator (spec.opsManagerConfigMap). */
export function managedConfigMapInformer(opts: InformerOpts): ManagedInformer<V1ConfigMap> {
  const core = opts.kc.makeApiClient(CoreV1Api);
  const ns = opts.namespace;
  const labelSelector = MANAGED_BY_SELECTOR;
  return new ManagedInformer<V1ConfigMap>({
    kc: opts.kc,
    path: ns ? `/api/v1/namespaces/${ns}/configmaps` : '/api/v1/configmaps',
    list: () => (ns ? core.listNamespacedConfigMap({ namespace: ns, labelSelector }) : core.listConfigMapForAllNamespaces({ labelSelector })),
    labelSelector,
    clock: opts.clock,
    logger: opts.logger,
    name: opts.name ?? (ns ? `configmaps-${ns}` : 'configmaps'),
  });
}
