import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Clock } from './clock.ts';
import { ManagedInformer } from './informer.ts';

/**
 * A factory of informers over one Secret each (fieldSelector=metadata.name), for the Ops
 * Manager connection Secrets (controllers/shared/connection-secrets.ts): they carry no
 * managed-by label, and only the few that resources name are held, not a namespace's Secrets.
 */
export function connectionSecretInformers(opts: { kube: KubeClient; clock: Clock; logger: Logger }): (namespace: string, name: string) => ManagedInformer<V1Secret> {
  return (namespace, name) =>
    new ManagedInformer<V1Secret>({
      kube: opts.kube,
      path: `/api/v1/namespaces/${namespace}/secrets`,
      fieldSelector: `metadata.name=${name}`,
      clock: opts.clock,
      logger: opts.logger,
      name: `connection-secret-${namespace}-${name}`,
    });
}
