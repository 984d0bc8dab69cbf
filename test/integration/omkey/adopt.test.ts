import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { SimClient } from '../../../tools/opsmanager-sim/sim-client.ts';
import { digestGet } from '../support/digest-probe.ts';
import { useOperator } from '../support/suite.ts';
import { setDefaultPolicy, testGrant } from '../support/connections.ts';
import { expectBackedOff, expectOneLiveKey, useLeakScan } from './helpers.ts';

describe('omkey: adopting keys made by hand (spec.adopt)', () => {
  const s = useOperator();
  const scan = useLeakScan(s);

  /** A key made by a person in Ops Manager, as the API hands it out: its private key shown once. */
  async function handMadeKey(roles: string[], desc = 'made by hand'): Promise<{ id: string; publicKey: string; privateKey: string }> {
    const { sim } = s();
    const admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    const res = await admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc, roles });
    expect(res.status).to.equal(200);
    const body = res.body as { id: string; publicKey: string; privateKey: string };
    s().privateKeys.add(body.privateKey);
    return body;
  }

  async function privateKeySecret(ns: string, name: string, privateKey: string): Promise<void> {
    await s().kube.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: { pk: privateKey } } });
  }

  it('with its private key: the pair is checked, then the key is made equal to the spec and its pair managed; deletion follows deletionPolicy', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('adopt'));
    const hand = await handMadeKey(['ORG_MEMBER']);
    await privateKeySecret(ns, 'old', hand.privateKey);
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], accessList: [{ ipAddress: '192.0.2.7' }], adopt: { keyId: hand.id, privateKeySecretRef: { name: 'old', key: 'pk' } } });
    const { obj, data } = await expectOneLiveKey(s(), ns, 'k');
    expect(data.keyId, 'the same key, not a new one').to.equal(hand.id);
    expect(data.privateKey).to.equal(hand.privateKey);
    const om = sim.state.apiKeys.get(hand.id);
    expect(om?.roles.map((r) => r.roleName)).to.deep.equal(['ORG_READ_ONLY']);
    expect(om?.accessList.map((e) => e.cidrBlock)).to.deep.equal(['192.0.2.7/32']);
    expect(obj.status?.keyId).to.equal(hand.id);
    expect((await kube.eventsFor(ns, 'k')).map((e) => e.reason)).to.include('KeyAdopted');
    await kube.deleteKey(ns, 'k');
    await waitFor('resource gone', async () => ((await kube.getKey(ns, 'k')) ? undefined : true), 30_000);
    expect(sim.state.apiKeys.has(hand.id), 'deletionPolicy Delete removes the adopted key').to.equal(false);
  });

  it('a wrong private key: AdoptionPairInvalid, nothing changed in Ops Manager', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('adopt-wrong'));
    const hand = await handMadeKey(['ORG_MEMBER']);
    await privateKeySecret(ns, 'old', '00000000-0000-4000-8000-000000000000');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], adopt: { keyId: hand.id, privateKeySecretRef: { name: 'old', key: 'pk' } } });
    expect(await expectBackedOff(s(), ns, 'k', 'AdoptionPairInvalid')).to.match(/does not authenticate/);
    const om = sim.state.apiKeys.get(hand.id);
    expect(om?.desc).to.equal('made by hand');
    expect(om?.roles.map((r) => r.roleName)).to.deep.equal(['ORG_MEMBER']);
    expect(await kube.secret(ns, 'k'), 'no managed Secret').to.equal(undefined);
    expect((await digestGet(`${sim.url}/api/public/v1.0/orgs/${sim.orgId}/apiKeys/${hand.id}`, hand.publicKey, hand.privateKey)).status, 'the key still works').to.equal(200);
  });

  it('an unknown key: AdoptionKeyNotFound; a key another resource manages: AdoptionConflict', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('adopt-refused'));
    await kube.createKey(ns, 'owner', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { data } = await expectOneLiveKey(s(), ns, 'owner');
    await privateKeySecret(ns, 'pk', data.privateKey ?? '');
    await kube.createKey(ns, 'unknown', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], adopt: { keyId: 'ffffffffffffffffffffffff', privateKeySecretRef: { name: 'pk', key: 'pk' } } });
    await kube.createKey(ns, 'thief', { orgId: sim.orgId, roles: ['ORG_MEMBER'], adopt: { keyId: data.keyId ?? '', privateKeySecretRef: { name: 'pk', key: 'pk' } } });
    expect(await expectBackedOff(s(), ns, 'unknown', 'AdoptionKeyNotFound')).to.include('ffffffffffffffffffffffff');
    expect(await expectBackedOff(s(), ns, 'thief', 'AdoptionConflict')).to.include(`${ns}/owner`);
    expect(sim.state.apiKeys.get(data.keyId ?? '')?.roles.map((r) => r.roleName), 'the owner\'s key is untouched').to.deep.equal(['ORG_READ_ONLY']);
  });

  it('a key with project roles only (made in a project): its pair is checked through the key\'s own access list, and it is adopted with its project roles', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('adopt-project-only'));
    const project = sim.projectIds[0] ?? '';
    const admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    const res = await admin.post(`/groups/${project}/apiKeys`, { desc: 'made in a project', roles: ['GROUP_READ_ONLY'] });
    expect(res.status).to.equal(200);
    const hand = res.body as { id: string; privateKey: string };
    s().privateKeys.add(hand.privateKey);
    // The org endpoint refuses such a key with the same 401 a wrong private key gets: the reason a pair check must not use it.
    expect((await digestGet(`${sim.url}/api/public/v1.0/orgs/${sim.orgId}/apiKeys/${hand.id}`, (res.body as { publicKey: string }).publicKey, hand.privateKey)).status).to.equal(401);
    await privateKeySecret(ns, 'old', hand.privateKey);
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], adopt: { keyId: hand.id, privateKeySecretRef: { name: 'old', key: 'pk' } } });
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    expect(data.keyId, 'the same key').to.equal(hand.id);
    const roles = sim.state.apiKeys.get(hand.id)?.roles ?? [];
    expect(roles.filter((r) => r.groupId === project).map((r) => r.roleName), 'its project roles kept').to.deep.equal(['GROUP_READ_ONLY']);
    expect(roles.filter((r) => r.orgId === sim.orgId).map((r) => r.roleName)).to.deep.equal(['ORG_READ_ONLY']);
  });

  it('with rotate: true (private key lost): replaced at once, its project roles kept on the new key, the old key deleted after the grace period', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('adopt-rotate'));
    // rotate: true proves nothing about the key: refused unless the connection's policy allows it (adoption: Rotate).
    await kube.createKey(ns, 'refused', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], adopt: { keyId: (await handMadeKey(['ORG_READ_ONLY'])).id, rotate: true } });
    const refused = await kube.waitForKeyCondition(ns, 'refused', 'Ready', 'False', 'PolicyDenied', 45_000);
    expect(refused.status?.conditions?.find((c) => c.type === 'Ready')?.message).to.match(/with rotate: true is not allowed \(policy.grants\[\].adoption is WithPrivateKey\)/);
    await setDefaultPolicy(env.kc, sim, [testGrant(sim, { adoption: 'Rotate' })]);
    const project = sim.projectIds[1] ?? '';
    const hand = await handMadeKey(['ORG_READ_ONLY']);
    const admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    expect((await admin.patch(`/groups/${project}/apiKeys/${hand.id}`, { roles: ['GROUP_DATA_ACCESS_READ_ONLY'] })).status).to.equal(200);
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], rotation: { every: '720h', gracePeriod: '3s' }, adopt: { keyId: hand.id, rotate: true } });
    const { obj, data } = await expectOneLiveKey(s(), ns, 'k');
    expect(data.keyId).to.not.equal(hand.id);
    const roles = sim.state.apiKeys.get(data.keyId ?? '')?.roles ?? [];
    expect(roles.filter((r) => r.groupId === project).map((r) => r.roleName), 'project assignment kept on the new key').to.deep.equal(['GROUP_DATA_ACCESS_READ_ONLY']);
    if (sim.state.apiKeys.has(hand.id)) expect(obj.status?.previousKeyId, 'the adopted key is the grace key').to.equal(hand.id);
    await waitFor('adopted key deleted after the grace period', () => Promise.resolve(!sim.state.apiKeys.has(hand.id)), 30_000);
  });

  it('a crash while adopting (after the Secret write): the adoption completes, one key', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('adopt-crash'));
    const hand = await handMadeKey(['ORG_READ_ONLY']);
    await privateKeySecret(ns, 'old', hand.privateKey);
    await op.stop();
    await op.restart({ OMKEYS_FAILPOINTS: 'after-secret-write' });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], adopt: { keyId: hand.id, privateKeySecretRef: { name: 'old', key: 'pk' } } });
    await op.waitForExit();
    await op.restart({});
    const { data } = await expectOneLiveKey(s(), ns, 'k', 60_000);
    expect(data.keyId).to.equal(hand.id);
  });

  scan.itScans();
});
