import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';

// What `make chaos` found, kept as deterministic tests (docs/reliability.md, "What the runs found").
describe('chaos findings, replayed', function () {
  this.timeout(120_000);
  const s = useOperator();

  it('a key whose Secret is deleted and spec edited while its create finishes is not orphaned', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('chaos-found');
    // The rename at the end of the create takes 1.5 s: room for the user to act before the status write.
    sim.faults.set([{ method: 'PATCH', path: '/orgs/*/apiKeys/*', fault: 'latency', ms: 1500 }]);
    let first: string;
    try {
      await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      first = await waitFor('the first pair in the Secret', async () => (await kube.secretData(ns, 'k'))?.keyId, 30_000, 10);
      // Re-key (the README's way to replace a pair) and edit the spec, so the status write conflicts.
      await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'k' });
      await kube.updateKeySpec(ns, 'k', (spec) => (spec.roles = ['ORG_MEMBER']));
    } finally {
      sim.faults.clear();
    }
    const keyId = await waitFor('one key, named by status and Secret', async () => {
      const obj = await kube.getKey(ns, 'k');
      const data = await kube.secretData(ns, 'k');
      const ready = obj?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === obj.metadata.generation);
      return ready && data?.keyId && data.keyId === obj?.status?.keyId ? data.keyId : undefined;
    }, 60_000);
    const mine = [...sim.state.apiKeys.values()].filter((k) => k.desc === `${ns}/k` || k.desc.includes('omkeys-pending')).map((k) => k.id);
    expect(mine, 'keys of the resource in Ops Manager').to.deep.equal([keyId]);
    expect(keyId, 'the pair the user deleted was replaced').to.not.equal(first);
  });
});
