// The operator process: configuration, wiring, signals. Everything else lives in modules.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError, parseConfig } from './operator/config.ts';
import { buildOperator } from './operator/build.ts';
import type { KubeClient } from './kube/kube-client.ts';
import { KubeConfigError } from './kube/kube-config-error.ts';
import { loadClusterAccess } from './kube/kube-config.ts';
import { systemClock } from './runtime/clock.ts';
import { summarizeError } from './runtime/errors.ts';
import { createLogger } from './runtime/logger.ts';
import { FencedKubeClient } from './runtime/write-fence.ts';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function main(): Promise<void> {
  const bootstrapLog = createLogger({ level: process.env.OMKEYS_LOG_LEVEL ?? 'info', name: 'omkeys' });
  let config;
  try {
    config = parseConfig(process.env, process.argv.slice(2), hostname());
  } catch (err) {
    if (err instanceof ConfigError) {
      bootstrapLog.fatal({ err: err.message }, 'invalid configuration');
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, name: 'omkeys' });
  // Closed by the manager when the Lease is lost: from then on nothing is written (runtime/write-fence.ts).
  const fence = new AbortController();
  let kube: KubeClient;
  try {
    kube = new FencedKubeClient(loadClusterAccess(), fence.signal, { logger });
  } catch (err) {
    if (err instanceof KubeConfigError) {
      logger.fatal({ err: summarizeError(err) }, 'cannot reach Kubernetes: no usable kubeconfig');
      process.exit(2);
    }
    throw err;
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operator = buildOperator({ config, kube, clock: systemClock, logger, registry, version, fence });
  operator.manager.onStop(() => kube.close());
  operator.manager.installSignalHandlers();
  logger.info({ version, namespaces: config.namespaces.length ? config.namespaces : 'all', leaderElection: config.leaderElection !== false }, 'omkeys starting');
  await operator.manager.start();
  logger.info({ http: operator.manager.httpUrl }, 'omkeys started');
}

main().catch((err: unknown) => {
  createLogger({ name: 'omkeys' }).fatal({ err: summarizeError(err) }, 'omkeys failed to start');
  process.exit(1);
});
