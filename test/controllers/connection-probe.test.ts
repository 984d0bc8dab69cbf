import type { KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { ConnectionStatus } from '../../src/api/types.ts';
import { createConnectionController, type StatusWriter } from '../../src/controllers/connection/controller.ts';
import { provenByUse } from '../../src/controllers/connection/status.ts';
import { ConnectionPool } from '../../src/controllers/shared/connections.ts';
import { CredentialEvidence } from '../../src/controllers/shared/credential-evidence.ts';
import type { OpsManagerClient, OpsManagerClientOptions } from '../../src/opsmanager/client.ts';
import type { RequestInfo } from '../../src/opsmanager/transport.ts';
import { createMetrics } from '../../src/runtime/metrics.ts';
import { FakeClock, flush } from '../runtime/fake-clock.ts';
import { fakeInformer, silentLogger } from '../runtime/fake-list-watch.ts';
import { catalogOf, clusterConnection, credentialsSecret } from './support/connection-fixtures.ts';

const PERIOD = 20_000;
const answer = (status: RequestInfo['status']): RequestInfo =>
  ({ route: '/orgs/{orgId}/apiKeys', method: 'GET', status, seconds: 0.01 });

describe('CredentialEvidence: the latest answer through a client says whether its credential is proven', () => {
  const rows: Array<{ answers: Array<RequestInfo['status']>; proven: boolean }> = [
    { answers: [], proven: false },
    { answers: [200], proven: true },
    // First contact: the Digest challenge, then the answer.
    { answers: [401, 200], proven: true },
    { answers: [200, 401], proven: false },
    // Neither proves nor disproves: not on the access list, not found, Ops Manager away, no answer.
    { answers: [200, 403, 404, 503, 'error'], proven: true },
    { answers: [403, 404], proven: false },
  ];
  for (const row of rows) {
    it(`${JSON.stringify(row.answers)}: ${row.proven ? 'proven' : 'not proven'}`, () => {
      let t = 1000;
      const evidence = new CredentialEvidence(() => t);
      const seen: RequestInfo[] = [];
      let hook: ((i: RequestInfo) => void) | undefined;
      const client = evidence.track((onRequest) => {
        hook = onRequest;
        return {} as OpsManagerClient;
      }, (i) => seen.push(i));
      for (const status of row.answers) {
        t += 10;
        hook?.(answer(status));
      }
      const lastProof = 1000 + 10 * (row.answers.lastIndexOf(200) + 1);
      expect(evidence.provenAt(client)).to.equal(row.proven ? lastProof : undefined);
      expect(seen.length, 'the metrics hook still sees every answer').to.equal(row.answers.length);
    });
  }
});

describe('provenByUse', () => {
  const meta = { name: 'om', generation: 2 };
  const condition = (status: 'True' | 'False', reason: string): NonNullable<ConnectionStatus['conditions']>[number] =>
    ({ type: 'Ready', status, reason, message: '', lastTransitionTime: '' });
  const ready: ConnectionStatus = { observedGeneration: 2, conditions: [condition('True', 'Authenticated')] };
  const refused: ConnectionStatus = { observedGeneration: 2, conditions: [condition('False', 'Unauthorized')] };
  type Row = { name: string; status?: ConnectionStatus; provenAt?: number; probedAt?: number; skip: boolean };
  const rows: Row[] = [
    { name: 'Ready, a key authenticated since the last probe, within the period', status: ready,
      provenAt: 5000, probedAt: 1000, skip: true },
    { name: 'Ready, proven by use, never probed by this process', status: ready, provenAt: 5000, skip: true },
    { name: 'the last proof is the probe\'s own answer, half a period old', status: ready, provenAt: 0, probedAt: 0,
      skip: false },
    { name: 'the last proof is the probe\'s own answer, just now (its status write came back)', status: ready,
      provenAt: 9000, probedAt: 9000, skip: true },
    { name: 'the last proof is a period old', status: ready, provenAt: 10_000 - PERIOD, skip: false },
    { name: 'nothing proven (or a 401 since)', status: ready, skip: false },
    { name: 'not Ready', status: refused, provenAt: 5000, skip: false },
    { name: 'the spec changed since the status', status: { ...ready, observedGeneration: 1 }, provenAt: 5000,
      skip: false },
    { name: 'no status yet', provenAt: 5000, skip: false },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.skip ? 'no probe' : 'probe'}`, () => {
      const at = { provenAt: row.provenAt, probedAt: row.probedAt, now: 10_000 };
      expect(provenByUse(meta, row.status, at, PERIOD)).to.equal(row.skip);
    });
  }
});

/** A connection controller over one cluster connection, its Ops Manager a fake that counts the probes. */
async function world() {
  const clock = new FakeClock();
  const { informer, lw } = fakeInformer<KubernetesObject>(clock, 'clusteropsmanagerconnections');
  let hook: ((i: RequestInfo) => void) | undefined;
  let probes = 0;
  const client = {
    async *listOrgs(): AsyncGenerator<{ id: string; name: string }> {
      probes++;
      await Promise.resolve();
      hook?.(answer(200));
      yield { id: '5f0000000000000000000001', name: 'org' };
    },
    close: () => undefined,
  } as unknown as OpsManagerClient;
  const conn = clusterConnection('om');
  const secret = credentialsSecret('omkeys-system', 'om-credentials', 'pub', 'priv');
  const connections = new ConnectionPool({
    secrets: { get: async () => Promise.resolve(secret) },
    catalog: catalogOf({ cluster: [conn] }),
    clientOptions: {},
    logger: silentLogger(),
    clock,
    makeClient: (o: OpsManagerClientOptions) => {
      hook = o.onRequest;
      return client;
    },
  });
  let rv = 1;
  const writes: ConnectionStatus[] = [];
  const writer: StatusWriter = {
    replaceStatus: async (obj) => {
      writes.push(obj.status ?? {});
      lw.emit('update', { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } } as KubernetesObject);
      return Promise.resolve(obj);
    },
  };
  const queue = { baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0 };
  const runtime = { clock, logger: silentLogger(), metrics: createMetrics(new Registry()), queue };
  const kind = 'ClusterOpsManagerConnection';
  const resyncPeriodMs = PERIOD;
  const deps = { kind, informer, connections, writer, clock, runtime, resyncPeriodMs } as const;
  const controller = createConnectionController(deps);
  await informer.start();
  lw.emit('add', { ...conn, metadata: { ...conn.metadata, resourceVersion: '1' } } as KubernetesObject);
  return {
    clock,
    controller,
    writes,
    probes: () => probes,
    /** A key's call through the connection's client, answered with `status`. */
    use: (status: number) => hook?.(answer(status)),
  };
}

describe('connection controller: a resync probes only a connection its keys did not just prove', () => {
  it('probes when new; skips a resync after keys authenticated; else waits once for them, then probes', async () => {
    const w = await world();
    const t0 = w.clock.now();
    // Resyncs come every PERIOD (20 s) from the start; a wait is half of it.
    const at = async (s: number): Promise<number> => {
      await w.clock.advance(t0 + s * 1000 - w.clock.now());
      return w.probes();
    };
    w.controller.start();
    await flush();
    expect(w.probes(), 'new, no status (the status it wrote, coming back, is not probed again)').to.equal(1);
    expect(w.writes.map((s) => s.conditions?.[0]?.status)).to.deep.equal(['True']);
    await at(1);
    w.use(200);
    expect(await at(20), 'a resync after a key authenticated').to.equal(1);
    expect(await at(40), 'a resync 39 s after: waiting for the keys').to.equal(1);
    await at(41);
    w.use(200);
    expect(await at(50), 'a key proved it meanwhile').to.equal(1);
    expect(await at(60)).to.equal(1);
    expect(await at(80), 'no key call since 41 s: waiting').to.equal(1);
    expect(await at(90), 'none came: a probe').to.equal(2);
    expect(await at(100), 'its own answer proves nothing new: waiting').to.equal(2);
    expect(await at(110)).to.equal(3);
    await at(115);
    w.use(200);
    w.use(401);
    expect(await at(120), 'a key refused: waiting').to.equal(3);
    expect(await at(130), 'a refusal since the last proof').to.equal(4);
    expect(w.writes.length, 'the same status is not written again').to.equal(1);
    await w.controller.stop();
  });
});
