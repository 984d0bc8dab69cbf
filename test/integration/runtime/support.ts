import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from '../../../src/kube/kube-client.ts';
import { systemClock } from '../../../src/runtime/clock.ts';
import { ManagedInformer } from '../../../src/runtime/informer.ts';
import { createLogger } from '../../../src/runtime/logger.ts';

/** Logs go to stderr only when OMKEYS_TEST_LOG is set (e.g. OMKEYS_TEST_LOG=debug). */
export function testLogger(): Logger {
  return createLogger({ level: process.env.OMKEYS_TEST_LOG ?? 'silent' });
}

export function configMapInformer(kube: KubeClient, namespace: string, logger: Logger, extra: { labelSelector?: string; maxRestartDelayMs?: number } = {}): ManagedInformer<V1ConfigMap> {
  return new ManagedInformer<V1ConfigMap>({
    kube,
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    labelSelector: extra.labelSelector,
    clock: systemClock,
    logger,
    name: `configmaps-${namespace}`,
    maxRestartDelayMs: extra.maxRestartDelayMs ?? 2000,
  });
}
