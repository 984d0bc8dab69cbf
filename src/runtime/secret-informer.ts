import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { ManagedInformer } from './informer.ts';

/** Only Secrets with this label are ever cached: the operator must not hold other Secrets in memory. */
const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=omkeys';

/** An informer over the operator's own Secrets, in one namespace or (namespace undefined) all. */
export function managedSecretInformer(opts: { kc: KubeConfig; namespace?: string; clock: Clock; logger: Logger; name?: string }): ManagedInformer<V1Secret> {
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
