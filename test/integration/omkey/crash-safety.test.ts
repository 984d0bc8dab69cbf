import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { isPendingTagOf } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, pendingKeys, useLeakScan, waitForEvent } from './helpers.ts';

const FAILPOINTS = ['after-pending-mark', 'after-create', 'after-secret-write'] as const;

describe('omkey: crash safety (operator killed at the dangerous moments)', function () {
  this.timeout(180_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  for (const failpoint of FAILPOINTS) {
    it(`ends with exactly one working key when the process dies ${failpoint}`, async () => {
      const { kube, sim, env, op } = s();
      const ns = scan.track(await env.newNamespace(`crash-${failpoint}`));
      // A clean stop releases the lease, so the armed process leads at once.
      await op.stop();
      await op.restart({ OMKEYS_FAILPOINTS: failpoint });
      await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], accessList: [{ ipAddress: '127.0.0.1' }] });
      await op.waitForExit();
      // What the crash left behind proves where it happened.
      const dead = await kube.getKey(ns, 'k');
      const mark = dead?.metadata.annotations?.['omkeys.io/create-pending'];
      expect(mark, 'the pending mark').to.be.a('string');
      expect(mark, 'not settled').to.not.equal(dead?.status?.createSettled);
      const tagged = pendingKeys(sim).filter((k) => isPendingTagOf(k.desc, dead?.metadata.uid));
      expect(tagged.length, 'keys created before the crash').to.equal(failpoint === 'after-pending-mark' ? 0 : 1);
      const secretBefore = await kube.secretData(ns, 'k');
      expect(secretBefore?.keyId, 'Secret written before the crash').to.equal(failpoint === 'after-secret-write' ? tagged[0]?.id : undefined);
      if (secretBefore?.privateKey) s().privateKeys.add(secretBefore.privateKey);

      // Unarmed, as a supervisor would restart it (it waits for the dead leader's lease to expire).
      await op.restart({});
      const { data } = await expectOneLiveKey(s(), ns, 'k', 90_000);
      expect(sim.state.apiKeys.get(data.keyId!)?.accessList.map((e) => e.cidrBlock)).to.deep.equal(['127.0.0.1/32']);
      expect(pendingKeys(sim)).to.deep.equal([]);
      if (failpoint === 'after-secret-write') expect(data.keyId, 'the key in the Secret is adopted').to.equal(tagged[0]?.id);
      if (failpoint === 'after-create') {
        expect(data.keyId).to.not.equal(tagged[0]?.id);
        expect(sim.state.apiKeys.has(tagged[0]?.id ?? ''), 'the unconfirmed key is deleted').to.equal(false);
        await waitForEvent(kube, ns, 'k', 'OrphanKeyDeleted');
      }
    });
  }

  it('deletes the key whose create answer was lost (drop-after-apply) and ends with one working key', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('crash-drop'));
    // A key made first gives the operator's client a Digest nonce, so the fault hits the create itself, not a challenge round.
    await kube.createKey(ns, 'warm', { orgId: sim.orgId, roles: ['ORG_MEMBER'] });
    await expectOneLiveKey(s(), ns, 'warm');
    sim.stats.reset();
    sim.faults.set([{ method: 'POST', path: '/orgs/*/apiKeys', fault: 'drop-after-apply', count: 1 }]);
    try {
      await kube.createKey(ns, 'dropped', { orgId: sim.orgId, roles: ['ORG_MEMBER'] });
      await expectOneLiveKey(s(), ns, 'dropped');
      const orphan = await waitForEvent(kube, ns, 'dropped', 'OrphanKeyDeleted');
      expect(orphan.type).to.equal('Warning');
      const created = sim.stats.list().filter((r) => r.method === 'POST' && r.route === '/orgs/{orgId}/apiKeys' && r.status === 200);
      expect(created.reduce((n, r) => n + r.count, 0), 'creates carried out: the dropped one and its replacement').to.equal(2);
      expect(pendingKeys(sim)).to.deep.equal([]);
    } finally {
      sim.faults.clear();
    }
  });

  it('kill -9 at a random moment during 10 creates: after a restart, one working key each and no orphan', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('crash-batch'));
    // Latency widens the window in which a create is in flight when the process dies.
    sim.faults.set([{ fault: 'latency', ms: 40, jitterMs: 40 }]);
    const names = Array.from({ length: 10 }, (_, i) => `batch-${i}`);
    try {
      for (const name of names) await kube.createKey(ns, name, { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      const target = Math.floor(Math.random() * 60);
      await waitFor('some creates to start', () => Promise.resolve(sim.stats.count('POST', '/orgs/{orgId}/apiKeys') * 10 >= target), 30_000, 5);
      await op.kill();
    } finally {
      sim.faults.clear();
    }
    await op.restart({});
    for (const name of names) await expectOneLiveKey(s(), ns, name, 90_000);
    expect(pendingKeys(sim)).to.deep.equal([]);
    const ours = [...sim.state.apiKeys.values()].filter((k) => k.desc.startsWith(`${ns}/`));
    expect(ours.map((k) => k.desc).sort()).to.deep.equal(names.map((n) => `${ns}/${n}`).sort());
  });

  scan.itScans();
});
