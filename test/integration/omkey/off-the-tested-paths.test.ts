import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey } from './helpers.ts';

// The four failures a first version showed off the paths its tests walked; each is a promise
// the operator makes (no orphaned key, repairs at once, failures stated, Ready means final).
describe('omkey: off the tested paths (grace key with a lost Secret, quick repairs, late failures, Ready means final)', () => {
  const s = useOperator();

  it('a project key rotated, then its Secret deleted in the grace period: no key is left untracked, none survives deletion', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('omkey-grace-lost');
    const projectId = sim.projectIds[0] ?? '';
    await kube.createKey(ns, 'pk', { projectId, roles: ['GROUP_READ_ONLY'], rotation: { every: '2h', gracePeriod: '1h' } });
    const first = (await kube.waitForReady(ns, 'pk')).status?.keyId ?? '';
    await kube.makeRotationDue(ns, 'pk');
    const rotated = await waitFor('rotated with a grace key', async () => {
      const o = await kube.getKey(ns, 'pk');
      return o?.status?.previousKeyId === first && o.status.keyId !== first ? o : undefined;
    }, 30_000);
    const second = rotated.status?.keyId ?? '';
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'pk' });
    const { obj } = await waitFor('a third key', async () => {
      const o = await kube.getKey(ns, 'pk');
      return o?.status?.keyId && o.status.keyId !== second && o.status.keyId !== first ? { obj: o } : undefined;
    }, 30_000);
    await expectOneLiveKey(s(), ns, 'pk');
    const tracked = new Set([obj.status?.keyId, obj.status?.previousKeyId].filter(Boolean));
    for (const id of [first, second]) expect(sim.state.apiKeys.has(id) && !tracked.has(id), `key ${id} exists but nothing tracks it`).to.equal(false);
    await kube.deleteKey(ns, 'pk');
    await waitFor('resource gone', async () => ((await kube.getKey(ns, 'pk')) ? undefined : true), 30_000);
    const left = [...sim.state.apiKeys.values()].filter((k) => k.roles.some((r) => r.groupId === projectId));
    expect(left.map((k) => k.id), 'keys with roles in the project after deletion').to.deep.equal([]);
  });

  it('a hand edit of the Secret right after a sync is put back at once, not at the next resync', async () => {
    const { kube, env } = s();
    const ns = await env.newNamespace('omkey-repair');
    await kube.createKey(ns, 'rk', { orgId: s().sim.orgId, roles: ['ORG_READ_ONLY'], secret: { template: { labels: { team: 'billing' }, data: { MCLI_PUBLIC_API_KEY: '{{ .publicKey }}' } } } });
    await kube.waitForReady(ns, 'rk');
    const secret = await kube.secret(ns, 'rk');
    if (!secret?.metadata) throw new Error('no Secret');
    const { MCLI_PUBLIC_API_KEY: _gone, ...data } = secret.data ?? {};
    await kube.core.replaceNamespacedSecret({ namespace: ns, name: 'rk', body: { ...secret, metadata: { ...secret.metadata, labels: { 'app.kubernetes.io/managed-by': 'omkeys' } }, data } });
    // The test operator resyncs hourly: only the repair itself can pass this within the deadline.
    const repaired = await waitFor('Secret repaired', async () => {
      const now = await kube.secret(ns, 'rk');
      return now?.metadata?.labels?.team === 'billing' && now.data?.MCLI_PUBLIC_API_KEY ? now : undefined;
    }, 20_000);
    expect(Buffer.from(repaired.data?.MCLI_PUBLIC_API_KEY ?? '', 'base64').toString()).to.equal(Buffer.from(repaired.data?.publicKey ?? '', 'base64').toString());
  });

  it('a failure after the pending mark (access list refused) is stated in the conditions, then recovers', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('omkey-late-fail');
    sim.faults.set([{ method: 'POST', path: '/orgs/*/apiKeys/*/accessList', fault: 'status', status: 500 }]);
    try {
      await kube.createKey(ns, 'lf', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], accessList: [{ ipAddress: '192.0.2.44' }] });
      const c = await kube.waitForKeyCondition(ns, 'lf', 'KeyProvisioned', 'False', 'OpsManagerUnreachable', 30_000);
      expect(c).to.not.equal(undefined);
    } finally {
      sim.faults.clear();
    }
    const { obj } = await expectOneLiveKey(s(), ns, 'lf');
    expect(obj.status?.accessList).to.deep.equal(['192.0.2.44/32']);
  });

  it('Ready=True is observed only once Ops Manager holds the real description', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('omkey-ready-final');
    const names = ['r1', 'r2', 'r3', 'r4', 'r5'];
    await Promise.all(names.map((n) => kube.createKey(ns, n, { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], description: `final ${n}` })));
    for (const n of names) {
      const ready = await kube.waitForReady(ns, n);
      expect(sim.state.apiKeys.get(ready.status?.keyId ?? '')?.desc, `${n}'s description when Ready was first seen`).to.equal(`final ${n}`);
    }
  });
});
