import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { digestGet } from '../support/digest-probe.ts';
import { useOperator } from '../support/suite.ts';

describe('omkey: scheduled rotation with a grace period', () => {
  const s = useOperator();

  it('replaces the key when due, keeps the old one working for the grace period, then deletes it', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('omkey-rotate');
    await kube.createKey(ns, 'rot', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], rotation: { every: '1h', gracePeriod: '4s' } });
    const first = await kube.waitForReady(ns, 'rot');
    const oldId = first.status!.keyId!;
    const oldPair = (await kube.secretData(ns, 'rot'))!;
    s().privateKeys.add(oldPair.privateKey!);
    expect(Date.parse(first.status!.nextRotationAt!) - Date.parse(first.status!.rotatedAt!)).to.equal(3_600_000);

    // Make the rotation due: as if the key had been minted two hours ago.
    await kube.makeRotationDue(ns, 'rot');

    const rotated = await waitFor('a new key', async () => {
      const obj = await kube.getKey(ns, 'rot');
      return obj?.status?.keyId && obj.status.keyId !== oldId ? obj : undefined;
    }, 30_000, 100);
    const newPair = (await kube.secretData(ns, 'rot'))!;
    s().privateKeys.add(newPair.privateKey!);
    expect(newPair.keyId).to.equal(rotated.status!.keyId);
    const url = (id: string): string => `${sim.url}/api/public/v1.0/orgs/${sim.orgId}/apiKeys/${id}`;
    expect((await digestGet(url(newPair.keyId!), newPair.publicKey!, newPair.privateKey!)).status).to.equal(200);

    if (sim.state.apiKeys.has(oldId)) {
      // Still inside the grace period: the old pair keeps working and status says it will be revoked.
      expect(rotated.status?.previousKeyId).to.equal(oldId);
      expect((await digestGet(url(oldId), oldPair.publicKey!, oldPair.privateKey!)).status).to.equal(200);
    }
    const settled = await waitFor('old key revoked', async () => {
      const obj = await kube.getKey(ns, 'rot');
      return !sim.state.apiKeys.has(oldId) && obj?.status?.previousKeyId === undefined ? obj : undefined;
    }, 30_000, 200);
    expect(settled.status?.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'True', reason: 'Provisioned' });
    expect((await digestGet(url(newPair.keyId!), oldPair.publicKey!, oldPair.privateKey!)).status).to.equal(401);
    const reasons = (await kube.eventsFor(ns, 'rot')).map((e) => e.reason);
    expect(reasons).to.include.members(['KeyCreated', 'KeyReplaced', 'PreviousKeyRevoked']);
    expect(Date.parse(settled.status!.nextRotationAt!)).to.be.greaterThan(Date.now() + 3_000_000);
  });
});
