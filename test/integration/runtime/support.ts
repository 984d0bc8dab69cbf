import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { systemClock } from '../../../src/runtime/clock.ts';
import { ManagedInformer } from '../../../src/runtime/informer.ts';
import { createLogger } from '../../../src/runtime/logger.ts';

/** Logs go to stderr only when OMKEYS_TEST_LOG is set (e.g. OMKEYS_TEST_LOG=debug). */
export function testLogger(): Logger {
  return createLogger({ level: process.env.OMKEYS_TEST_LOG ?? 'silent' });
}

export function configMapInformer(kc: KubeConfig, namespace: string, logger: Logger, extra: { labelSelector?: string; maxRestartDelayMs?: number } = {}): ManagedInformer<V1ConfigMap> {
  const core = kc.makeApiClient(CoreV1Api);
  return new ManagedInformer<V1ConfigMap>({
    kc,
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    list: () => core.listNamespacedConfigMap({ namespace, labelSelector: extra.labelSelector }),
    labelSelector: extra.labelSelector,
    clock: systemClock,
    logger,
    name: `configmaps-${namespace}`,
    maxRestartDelayMs: extra.maxRestartDelayMs ?? 2000,
  });
}
