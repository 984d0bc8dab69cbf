import type { V1Secret } from '@kubernetes/client-node';
import { expect } from 'chai';
import pino from 'pino';
import { ConnectionPool } from '../../src/controllers/shared/connections.ts';
import type { OpsManagerClient, OpsManagerClientOptions } from '../../src/opsmanager/client.ts';
import { catalogOf, clusterConnection, credentialsSecret, namespacedConnection } from './support/connection-fixtures.ts';

/** The options each client was made with, by the connection that asked for it. */
function world(share: { maxConcurrency: number; maxSlotWaitMs: number } | undefined) {
  const secrets = new Map<string, V1Secret>([
    ['omkeys-system/admin-credentials', credentialsSecret('omkeys-system', 'admin-credentials', 'pub-a', 'priv-a')],
    ['team-a/om-credentials', credentialsSecret('team-a', 'om-credentials', 'pub-t', 'priv-t')],
  ]);
  const made: OpsManagerClientOptions[] = [];
  const pool = new ConnectionPool({
    secrets: { get: (ns, name) => Promise.resolve(secrets.get(`${ns}/${name}`)) },
    catalog: catalogOf({ cluster: [clusterConnection('admin')], namespaced: [namespacedConnection('team-a', 'om')] }),
    clientOptions: { maxConcurrency: 16, timeoutMs: 30_000, limits: { maxPages: 7 } },
    ...(share ? { namespacedShare: share } : {}),
    logger: pino({ level: 'silent' }),
    makeClient: (o) => {
      made.push(o);
      return { close: () => undefined } as unknown as OpsManagerClient;
    },
  });
  return { pool, made };
}

describe('ConnectionPool: what a namespaced connection may hold of the shared workers', () => {
  const table = [
    {
      name: 'with a share: the namespaced connection gets it (other limits kept), the cluster one the operator\'s',
      share: { maxConcurrency: 4, maxSlotWaitMs: 1000 },
      cluster: { maxConcurrency: 16, limits: { maxPages: 7 } },
      namespaced: { maxConcurrency: 4, limits: { maxPages: 7, maxSlotWaitMs: 1000 } },
    },
    {
      name: 'without one: both get the operator\'s',
      share: undefined,
      cluster: { maxConcurrency: 16, limits: { maxPages: 7 } },
      namespaced: { maxConcurrency: 16, limits: { maxPages: 7 } },
    },
  ];
  for (const row of table) {
    it(row.name, async () => {
      const w = world(row.share);
      await w.pool.resolve('team-a', 'ClusterOpsManagerConnection/admin');
      await w.pool.resolve('team-a', 'OpsManagerConnection/om');
      const [cluster, namespaced] = w.made;
      expect(cluster?.publicKey).to.equal('pub-a');
      expect({ maxConcurrency: cluster?.maxConcurrency, limits: cluster?.limits }).to.deep.equal(row.cluster);
      expect(namespaced?.publicKey).to.equal('pub-t');
      expect({ maxConcurrency: namespaced?.maxConcurrency, limits: namespaced?.limits }).to.deep.equal(row.namespaced);
    });
  }
});
