import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Clock } from './clock.ts';
import { ManagedInformer, type Informer } from './informer.ts';
import { scopedInformer } from './per-namespace-informer.ts';
import type { StringInterner } from './intern.ts';

/** Only objects with this label are ever cached: the operator must not hold other Secrets (or ConfigMaps) in memory. */
const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=omkeys';

interface InformerOpts<T> {
  kube: KubeClient;
  /** The namespaces watched: none named is every namespace (one cluster-wide watch), otherwise a watch each. */
  namespaces?: readonly string[];
  clock: Clock;
  logger: Logger;
  name?: string;
  /** See ManagedInformerOptions.transform. */
  transform?: (obj: T) => T;
  strings?: StringInterner;
}

/** An informer over the operator's own Secrets in the namespaces watched (see InformerOpts.namespaces). */
export function managedSecretInformer(opts: InformerOpts<V1Secret>): Informer<V1Secret> {
  return managed(opts, 'secrets');
}

/** The same for the ConfigMaps the operator writes for the MongoDB operator (spec.opsManagerConfigMap). */
export function managedConfigMapInformer(opts: InformerOpts<V1ConfigMap>): Informer<V1ConfigMap> {
  return managed(opts, 'configmaps');
}

type Resource = 'secrets' | 'configmaps';

function managed<T extends V1Secret | V1ConfigMap>(opts: InformerOpts<T>, resource: Resource): Informer<T> {
  const name = opts.name ?? resource;
  return scopedInformer<T>(name, opts.namespaces ?? [], (ns) => new ManagedInformer<T>({
    kube: opts.kube,
    path: ns ? `/api/v1/namespaces/${ns}/${resource}` : `/api/v1/${resource}`,
    labelSelector: MANAGED_BY_SELECTOR,
    clock: opts.clock,
    logger: opts.logger,
    name: ns ? `${name}-${ns}` : name,
    ...(opts.transform ? { transform: opts.transform } : {}),
    ...(opts.strings ? { strings: opts.strings } : {}),
  }));
}
