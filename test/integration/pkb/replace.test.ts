import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import type { Kube } from '../support/kube.ts';
import { useOperator } from '../support/suite.ts';
import { simProjectRoles, waitForBinding } from './helpers.ts';

interface Sampler {
  stop(): Promise<{ samples: number; keyIds: Set<string>; violations: string[] }>;
}

/**
 * Reads the Secret over and over while the key is replaced; for every pair seen, the key it
 * names (if it still exists: a deleted key cannot be used) must already hold every bound
 * project's roles.
 */
function sampleSecret(kube: Kube, sim: SimHandle, ns: string, name: string, want: Record<string, string[]>): Sampler {
  let running = true;
  const keyIds = new Set<string>();
  const violations: string[] = [];
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const data = await kube.secretData(ns, name);
      const id = data?.keyId;
      if (id && sim.state.apiKeys.has(id)) {
        samples++;
        keyIds.add(id);
        for (const [project, roles] of Object.entries(want)) {
          const have = simProjectRoles(sim, id, project);
          if (JSON.stringify(have) !== JSON.stringify(roles)) violations.push(`key ${id} in ${project}: ${have.join(',') || '(none)'}`);
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, keyIds, violations };
    },
  };
}

describe('pkb: the key is replaced under live bindings', () => {
  const s = useOperator();

  it('a key replaced after its Secret was deleted has every binding\'s roles before its pair is published', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-replace');
    const [p1, p2] = sim.projectIds;
    await kube.createKey(ns, 'svc', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.createBinding(ns, 'svc-p1', { apiKeyRef: { name: 'svc' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    await kube.createBinding(ns, 'svc-p2', { apiKeyRef: { name: 'svc' }, projectId: p2!, roles: ['GROUP_OWNER', 'GROUP_CHARTS_ADMIN'] });
    const before = await waitForBinding(kube, ns, 'svc-p1', 'True');
    await waitForBinding(kube, ns, 'svc-p2', 'True');
    const oldId = before.status!.keyId!;
    const want = { [p1!]: ['GROUP_READ_ONLY'], [p2!]: ['GROUP_CHARTS_ADMIN', 'GROUP_OWNER'] };

    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'svc' });
    const sampler = sampleSecret(kube, sim, ns, 'svc', want);
    let newId = '';
    try {
      const key = await waitFor('a new key id', async () => {
        const k = await kube.getKey(ns, 'svc');
        return k?.status?.keyId && k.status.keyId !== oldId ? k : undefined;
      }, 30_000, 50);
      newId = key.status!.keyId!;
      await waitFor('bindings to follow the new key', async () => {
        const b1 = await kube.getBinding(ns, 'svc-p1');
        const b2 = await kube.getBinding(ns, 'svc-p2');
        return b1?.status?.keyId === newId && b2?.status?.keyId === newId;
      }, 30_000, 50);
    } finally {
      const result = await sampler.stop();
      expect(result.violations).to.deep.equal([]);
      expect(result.samples).to.be.greaterThan(0);
      if (newId) expect([...result.keyIds]).to.include(newId);
    }
    const data = (await kube.secretData(ns, 'svc'))!;
    s().privateKeys.add(data.privateKey!);
    expect(data.keyId).to.equal(newId);
    await waitForBinding(kube, ns, 'svc-p1', 'True');
    const b2 = await waitForBinding(kube, ns, 'svc-p2', 'True');
    expect(b2.status?.roles).to.deep.equal(['GROUP_CHARTS_ADMIN', 'GROUP_OWNER']);
    expect(sim.state.apiKeys.has(oldId), 'the old key is deleted').to.equal(false);
    const reasons = (await kube.eventsFor(ns, 'svc-p1')).map((e) => e.reason);
    expect(reasons).to.not.include('DriftCorrected');
  });

  it('a rotated key has the roles at once; the previous key keeps them through its grace period', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-rotate');
    const [p1] = sim.projectIds;
    await kube.createKey(ns, 'rot', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], rotation: { every: '1h', gracePeriod: '6s' } });
    await kube.createBinding(ns, 'rot-p1', { apiKeyRef: { name: 'rot' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    const before = await waitForBinding(kube, ns, 'rot-p1', 'True');
    const oldId = before.status!.keyId!;

    const sampler = sampleSecret(kube, sim, ns, 'rot', { [p1!]: ['GROUP_READ_ONLY'] });
    let newId = '';
    try {
      // Make the rotation due: as if the key had been minted two hours ago.
      await kube.makeRotationDue(ns, 'rot');
      const binding = await waitFor('binding to follow the rotated key', async () => {
        const b = await kube.getBinding(ns, 'rot-p1');
        return b?.status?.keyId && b.status.keyId !== oldId ? b : undefined;
      }, 30_000, 50);
      newId = binding.status!.keyId!;
      if (sim.state.apiKeys.has(oldId)) {
        // Inside the grace period the old pair keeps working, in the project too.
        expect(simProjectRoles(sim, oldId, p1!)).to.deep.equal(['GROUP_READ_ONLY']);
      }
    } finally {
      const result = await sampler.stop();
      expect(result.violations).to.deep.equal([]);
      if (newId) expect([...result.keyIds]).to.include(newId);
    }
    await waitFor('old key revoked', () => Promise.resolve(!sim.state.apiKeys.has(oldId)), 30_000, 200);
    expect(simProjectRoles(sim, newId, p1!)).to.deep.equal(['GROUP_READ_ONLY']);
    const settled = await waitForBinding(kube, ns, 'rot-p1', 'True');
    expect(settled.status?.keyId).to.equal(newId);
  });
});
