import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, keysOfResource, pendingKeys, useLeakScan, waitForEvent } from './helpers.ts';

describe('omkey: crash safety at the edges (project keys, deletion after a crash, replacement)', function () {
  this.timeout(180_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  it('a project key whose create answer was lost: the orphan is deleted, one working key remains', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('crash-project-drop'));
    const projectId = sim.projectIds[1]!;
    // Warm the client's Digest nonce so that the fault hits the create, not a challenge round.
    await kube.createKey(ns, 'warm', { projectId, roles: ['GROUP_READ_ONLY'] });
    await expectOneLiveKey(s(), ns, 'warm');
    sim.stats.reset();
    sim.faults.set([{ method: 'POST', path: '/groups/*/apiKeys', fault: 'drop-after-apply', count: 1 }]);
    try {
      await kube.createKey(ns, 'p', { projectId, roles: ['GROUP_READ_ONLY'] });
      const { data } = await expectOneLiveKey(s(), ns, 'p');
      expect(data.projectId).to.equal(projectId);
      await waitForEvent(kube, ns, 'p', 'OrphanKeyDeleted');
      const created = sim.stats.list().filter((r) => r.method === 'POST' && r.route === '/groups/{groupId}/apiKeys' && r.status === 200);
      expect(created.reduce((n, r) => n + r.count, 0), 'creates carried out').to.equal(2);
      expect(pendingKeys(sim), 'no orphan, not even unassigned in the organization').to.deep.equal([]);
    } finally {
      sim.faults.clear();
    }
  });

  it('a resource deleted while the operator is down after an unconfirmed create leaves no key behind', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('crash-then-delete'));
    await op.stop();
    await op.restart({ OMKEYS_FAILPOINTS: 'after-create' });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await op.waitForExit();
    const obj = (await kube.getKey(ns, 'k'))!;
    expect(keysOfResource(sim, obj).length, 'the unconfirmed key').to.equal(1);
    await kube.deleteKey(ns, 'k');
    await op.restart({});
    await waitFor('the resource to go', async () => (await kube.getKey(ns, 'k')) === undefined, 60_000);
    expect(keysOfResource(sim, obj).map((k) => k.id)).to.deep.equal([]);
    expect(pendingKeys(sim)).to.deep.equal([]);
  });

  it('a crash while replacing a key (Secret deleted) retires the old key and the unconfirmed one', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('crash-replace'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { data: first } = await expectOneLiveKey(s(), ns, 'k');
    await op.stop();
    await op.restart({ OMKEYS_FAILPOINTS: 'after-create' });
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'k' });
    await op.waitForExit();
    const dead = await kube.getKey(ns, 'k');
    expect(dead?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'not Ready while the Secret is gone').to.equal('False');
    await op.restart({});
    const { data } = await expectOneLiveKey(s(), ns, 'k', 90_000);
    expect(data.keyId).to.not.equal(first.keyId);
    expect(sim.state.apiKeys.has(first.keyId!), 'the old key is retired').to.equal(false);
    expect(pendingKeys(sim)).to.deep.equal([]);
    await waitForEvent(kube, ns, 'k', 'KeyReplaced');
  });

  scan.itScans();
});
