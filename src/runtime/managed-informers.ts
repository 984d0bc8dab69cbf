import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Clock } from './clock.ts';
import { ManagedInformer } from './informer.ts';
import type { StringInterner } from './intern.ts';

/** Only objects with this label are ever cached: the operator must not hold other Secrets (or ConfigMaps) in memory. */
const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=omkeys';

interface InformerOpts<T> {
  kube: KubeClient;
  namespace?: string;
  clock: Clock;
  logger: Logger;
  name?: string;
  /** See ManagedInformerOptions.transform. */
  transform?: (obj: T) => T;
  strings?: StringInterner;
}

/** An informer over the operator's own Secrets, in one namespace or (namespace undefined) all. */
export function managedSecretInformer(opts: InformerOpts<V1Secret>): ManagedInformer<V1Secret> {
  return managed(opts, 'secrets');
}

/** The same for the ConfigMaps the operator writes for the MongoDB operator (spec.opsManagerConfigMap). */
export function managedConfigMapInformer(opts: InformerOpts<V1ConfigMap>): ManagedInformer<V1ConfigMap> {
  return managed(opts, 'configmaps');
}

function managed<T extends V1Secret | V1ConfigMap>(opts: InformerOpts<T>, resource: 'secrets' | 'configmaps'): ManagedInformer<T> {
  const ns = opts.namespace;
  return new ManagedInformer<T>({
    kube: opts.kube,
    path: ns ? `/api/v1/namespaces/${ns}/${resource}` : `/api/v1/${resource}`,
    labelSelector: MANAGED_BY_SELECTOR,
    clock: opts.clock,
    logger: opts.logger,
    name: opts.name ?? (ns ? `${resource}-${ns}` : resource),
    ...(opts.transform ? { transform: opts.transform } : {}),
    ...(opts.strings ? { strings: opts.strings } : {}),
  });
}
