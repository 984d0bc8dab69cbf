import { expect } from 'chai';
import { collect, OpsManagerClient } from '../../src/opsmanager/client.ts';
import { LeadershipLostError } from '../../src/runtime/leader-election.ts';
import { FencedKubeClient, fencedSleep, fenceOpsManagerClient } from '../../src/runtime/write-fence.ts';
import { startSimulator, type SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { startFakeApiServer } from '../kube/fake-api-server.ts';
import { waitFor } from './helpers.ts';

const lost = (): LeadershipLostError => new LeadershipLostError('lost the Lease ns/lease: test');

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('write fence: Kubernetes writes', () => {
  it('a write in flight is abandoned, a write after is refused unsent, reads go on', async () => {
    const server = await startFakeApiServer((req) =>
      req.path.endsWith('/held') ? () => undefined : { status: 200, body: { kind: 'ConfigMap' } });
    const fence = new AbortController();
    const kube = new FencedKubeClient({ server: server.url }, fence.signal);
    try {
      const path = '/api/v1/namespaces/ns/configmaps';
      const before = await kube.request({ method: 'PUT', path: `${path}/before`, body: {} });
      expect(before).to.deep.equal({ kind: 'ConfigMap' });
      const held = rejection(kube.request({ method: 'PUT', path: `${path}/held`, body: {} }));
      await waitFor(() => server.requests.some((r) => r.path.endsWith('/held')), 5000, 'the held write to arrive');
      fence.abort(lost());
      expect(await held).to.be.instanceOf(LeadershipLostError);
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        const after = await rejection(kube.request({ method, path: `${path}/after`, body: {} }));
        expect(after, method).to.be.instanceOf(LeadershipLostError);
      }
      expect(server.requests.filter((r) => r.path.endsWith('/after'))).to.deep.equal([]);
      expect(await kube.request({ path: `${path}/read` })).to.deep.equal({ kind: 'ConfigMap' });
    } finally {
      kube.close();
      await server.close();
    }
  });
});

describe('write fence: Ops Manager calls', () => {
  let sim: SimHandle;
  let fence: AbortController;
  let client: OpsManagerClient;
  /** Retry waits hang until the fence closes, so that a call is caught between two attempts. */
  const hangingSleep = (_ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(new Error('aborted', { cause: signal.reason })));
    });

  beforeEach(async () => {
    sim = await startSimulator();
    fence = new AbortController();
    const raw = new OpsManagerClient({
      baseUrl: sim.url,
      publicKey: sim.admin.publicKey,
      privateKey: sim.admin.privateKey,
      sleep: fencedSleep(hangingSleep, fence.signal),
    });
    client = fenceOpsManagerClient(raw, fence.signal);
  });

  afterEach(async () => {
    client.close();
    await sim.close();
  });

  const posts = (): number => sim.stats.count('POST', '/orgs/{orgId}/apiKeys');

  it('refuses every call once the fence is closed, sending nothing', async () => {
    await client.createOrgKey(sim.orgId, { desc: 'before', roles: ['ORG_READ_ONLY'] });
    const keys = sim.state.apiKeys.size;
    const sent = posts();
    fence.abort(lost());
    const create = await rejection(client.createOrgKey(sim.orgId, { desc: 'after', roles: ['ORG_READ_ONLY'] }));
    expect(create).to.be.instanceOf(LeadershipLostError);
    expect(await rejection(client.getOrgKey(sim.orgId, sim.admin.id))).to.be.instanceOf(LeadershipLostError);
    expect(await rejection(collect(client.listOrgKeys(sim.orgId)))).to.be.instanceOf(LeadershipLostError);
    expect(posts()).to.equal(sent);
    expect(sim.state.apiKeys.size).to.equal(keys);
  });

  it('a call waiting to retry fails at the fence instead of sending again', async () => {
    const key = await client.createOrgKey(sim.orgId, { desc: 'k', roles: ['ORG_READ_ONLY'] });
    sim.faults.set([{ method: 'PATCH', fault: 'status', status: 503, count: 1 }]);
    const patch = rejection(client.updateOrgKey(sim.orgId, key.id, { desc: 'renamed' }));
    const patches = (): number => sim.stats.count('PATCH', '/orgs/{orgId}/apiKeys/{keyId}');
    await waitFor(() => patches() === 1, 5000, 'the first PATCH to be answered 503');
    fence.abort(lost());
    expect(await patch).to.be.instanceOf(LeadershipLostError);
    expect(patches(), 'never sent again').to.equal(1);
    expect(sim.state.apiKeys.get(key.id)?.desc).to.equal('k');
  });

  it('a listing begun before the fence stops at its next item', async () => {
    for (let i = 0; i < 3; i++) await client.createOrgKey(sim.orgId, { desc: `k${i}`, roles: ['ORG_READ_ONLY'] });
    const seen: string[] = [];
    const err = await rejection((async () => {
      for await (const k of client.listOrgKeys(sim.orgId)) {
        seen.push(k.id);
        fence.abort(lost());
      }
    })());
    expect(err).to.be.instanceOf(LeadershipLostError);
    expect(seen).to.have.length(1);
  });
});
