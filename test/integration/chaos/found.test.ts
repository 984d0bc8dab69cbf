import { expect } from 'chai';
import { checkRetryAfter } from '../../../bench/chaos/retry-after.ts';
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

  it('a 429\'s Retry-After holds the next reconcile too, when an event re-queued it at once', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('chaos-found');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { status } = await kube.waitForReady(ns, 'k');
    sim.requests.reset();
    sim.requests.enable();
    // Four 429s: the transport's four attempts at the role change all get one, and the reconcile fails RateLimited.
    sim.faults.set([{ method: 'PATCH', path: '/orgs/*/apiKeys/*', fault: 'status', status: 429, retryAfter: 1, count: 4 }]);
    try {
      await kube.updateKeySpec(ns, 'k', (spec) => (spec.roles = ['ORG_MEMBER']));
      await waitFor('the first 429', () => Promise.resolve(sim.requests.list().some((r) => r.status === 429) || undefined), 30_000, 10);
      // An event during the failing reconcile: the work queue runs the key again as soon as it fails.
      await kube.annotateKey(ns, 'k', { 'example.com/touched': 'yes' });
      await waitFor('the role change applied', () => Promise.resolve(sim.state.apiKeys.get(status?.keyId ?? '')?.roles.some((r) => r.roleName === 'ORG_MEMBER') || undefined), 60_000);
    } finally {
      sim.faults.clear();
      sim.requests.enable(false);
    }
    const log = sim.requests.list();
    const verdict = checkRetryAfter(log);
    expect(verdict.rateLimited, '429s answered').to.equal(4);
    expect(verdict.retried, 'each 429 followed by the same PATCH, the last one by the next reconcile').to.equal(4);
    expect(verdict.early, 'PATCHes sent again before their Retry-After').to.deep.equal([]);
    await kube.waitForReady(ns, 'k');
  });
});
