import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { digestGet } from '../support/digest-probe.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, keysOfResource, pendingKeys, useLeakScan, waitForEvent } from './helpers.ts';

describe('omkey: rotation on request (annotation omkeys.io/rotate)', () => {
  const s = useOperator();
  const scan = useLeakScan(s);

  it('an org key without a rotation spec: one new key, the old one deleted at once, the value never handled twice', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('rotate-now'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { data: first } = await expectOneLiveKey(s(), ns, 'k');
    await kube.annotateKey(ns, 'k', { 'omkeys.io/rotate': 'leaver-2026-12-01' });
    const rotated = await waitFor('rotated', async () => {
      const o = await kube.getKey(ns, 'k');
      return o?.status?.lastRotationRequest === 'leaver-2026-12-01' ? o : undefined;
    }, 30_000);
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    expect(data.keyId).to.equal(rotated.status?.keyId).and.not.equal(first.keyId);
    expect(sim.state.apiKeys.has(first.keyId ?? ''), 'old key deleted at once without rotation.gracePeriod').to.equal(false);
    const old = await digestGet(`${sim.url}/api/public/v1.0/orgs/${sim.orgId}/apiKeys/${data.keyId ?? ''}`, first.publicKey ?? '', first.privateKey ?? '');
    expect(old.status, 'the old pair no longer works').to.equal(401);
    await waitForEvent(kube, ns, 'k', 'Rotating');
    // Touching the object again with the same value (another annotation) rotates nothing.
    await kube.annotateKey(ns, 'k', { 'example.com/touched': 'yes' });
    await kube.updateKeySpec(ns, 'k', (spec) => (spec.description = 'touched'));
    await waitFor('description applied', () => Promise.resolve(sim.state.apiKeys.get(data.keyId ?? '')?.desc === 'touched'), 30_000);
    expect((await kube.getKey(ns, 'k'))?.status?.keyId, 'same key after a touch').to.equal(data.keyId);
  });

  it('a project key with a rotation spec: the old key lives for the grace period; its binding follows the new key', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('rotate-now-project'));
    const [p0, p1] = [sim.projectIds[0] ?? '', sim.projectIds[1] ?? ''];
    await kube.createKey(ns, 'pk', { projectId: p0, roles: ['GROUP_READ_ONLY'], rotation: { every: '720h', gracePeriod: '1h' } });
    await kube.createBinding(ns, 'b', { apiKeyRef: { name: 'pk' }, projectId: p1, roles: ['GROUP_READ_ONLY'] });
    const { data: first } = await expectOneLiveKey(s(), ns, 'pk');
    await kube.annotateKey(ns, 'pk', { 'omkeys.io/rotate': '1' });
    const rotated = await waitFor('rotated and Ready again', async () => {
      const o = await kube.getKey(ns, 'pk');
      const ready = o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return o?.status?.lastRotationRequest === '1' && o.status.keyId !== first.keyId && ready ? o : undefined;
    }, 30_000);
    expect(rotated.status?.previousKeyId, 'the old key is the grace key').to.equal(first.keyId);
    expect(sim.state.apiKeys.has(first.keyId ?? ''), 'the old key still works during the grace period').to.equal(true);
    const newId = rotated.status?.keyId ?? '';
    expect(sim.state.apiKeys.get(newId)?.roles.some((r) => r.groupId === p1), 'the bound project role is on the new key before its pair is out').to.equal(true);
    await waitFor('binding follows', async () => (await kube.getBinding(ns, 'b'))?.status?.keyId === newId, 30_000);
    expect(rotated.status?.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'True', reason: 'Rotating' });
  });

  const creates = (): number => s().sim.stats.list().filter((r) => r.method === 'POST' && r.route === '/orgs/{orgId}/apiKeys' && r.status === 200).reduce((n, r) => n + r.count, 0);
  // Creates a rotation makes when the process dies at that point: after-create's key is an orphan, swept, then made again.
  const expectedCreates: Record<string, number> = { 'after-pending-mark': 1, 'after-create': 2, 'after-secret-write': 1 };
  for (const failpoint of ['after-pending-mark', 'after-create', 'after-secret-write']) {
    it(`a crash ${failpoint} during a requested rotation: exactly one rotation, one current key, no orphan`, async () => {
      const { kube, sim, env, op } = s();
      const ns = scan.track(await env.newNamespace(`rotate-crash-${failpoint.replace(/^after-/, '')}`));
      await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      const { data: first } = await expectOneLiveKey(s(), ns, 'k');
      await op.stop();
      const before = creates();
      await op.restart({ OMKEYS_FAILPOINTS: failpoint });
      await kube.annotateKey(ns, 'k', { 'omkeys.io/rotate': 'now' });
      await op.waitForExit();
      await op.restart({});
      const settled = await waitFor('rotation recorded', async () => {
        const o = await kube.getKey(ns, 'k');
        return o?.status?.lastRotationRequest === 'now' ? o : undefined;
      }, 60_000);
      const { data } = await expectOneLiveKey(s(), ns, 'k', 60_000);
      expect(data.keyId).to.not.equal(first.keyId);
      expect(settled.status?.keyId).to.equal(data.keyId);
      await waitFor('old key retired', () => Promise.resolve(!sim.state.apiKeys.has(first.keyId ?? '')), 30_000);
      expect(pendingKeys(sim)).to.deep.equal([]);
      expect(creates() - before, 'keys created: one rotation, not two').to.equal(expectedCreates[failpoint]);
      const obj = await kube.getKey(ns, 'k');
      expect(obj && keysOfResource(sim, obj, data.keyId).map((k) => k.id)).to.deep.equal([data.keyId]);
    });
  }

  scan.itScans();
});
