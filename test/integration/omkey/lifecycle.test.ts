import { expect } from 'chai';
import { useOperator } from '../support/suite.ts';
import { digestGet } from '../support/digest-probe.ts';
import { waitFor } from '../../../tools/envtest/process.ts';

describe('omkey: lifecycle (operator process, real API server, simulator)', () => {
  const s = useOperator();

  it('creates an org key, writes its Secret, and the pair authenticates against Ops Manager', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('omkey-create');
    await kube.createKey(ns, 'reader', {
      orgId: sim.orgId,
      roles: ['ORG_READ_ONLY'],
      accessList: [{ ipAddress: '127.0.0.1' }, { cidrBlock: '10.20.0.0/16' }],
    });
    const ready = await kube.waitForReady(ns, 'reader');
    const data = await kube.secretData(ns, 'reader');
    expect(data).to.include.keys('publicKey', 'privateKey', 'baseUrl', 'keyId', 'orgId');
    s().privateKeys.add(data!.privateKey!);
    expect(data!.keyId).to.equal(ready.status?.keyId);
    expect(data!.publicKey).to.equal(ready.status?.publicKey);
    expect(data!.orgId).to.equal(sim.orgId);
    expect(data!.baseUrl).to.equal(sim.url);
    expect(ready.status?.roles).to.deep.equal(['ORG_READ_ONLY']);
    expect(ready.status?.accessList).to.deep.equal(['10.20.0.0/16', '127.0.0.1/32']);
    const simKey = sim.state.apiKeys.get(data!.keyId!);
    expect(simKey?.desc).to.equal(`${ns}/reader`);
    const res = await digestGet(`${sim.url}/api/public/v1.0/orgs/${sim.orgId}/apiKeys/${data!.keyId}`, data!.publicKey!, data!.privateKey!);
    expect(res.status).to.equal(200);
    const secret = await kube.secret(ns, 'reader');
    expect(secret?.metadata?.labels?.['app.kubernetes.io/managed-by']).to.equal('omkeys');
    expect(secret?.metadata?.ownerReferences?.[0]?.uid).to.equal(ready.metadata.uid);
  });

  it('deletes the Ops Manager key when the resource is deleted', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('omkey-delete');
    await kube.createKey(ns, 'gone', { orgId: sim.orgId, roles: ['ORG_MEMBER'] });
    const ready = await kube.waitForReady(ns, 'gone');
    const id = ready.status!.keyId!;
    expect(sim.state.apiKeys.has(id)).to.equal(true);
    await kube.deleteKey(ns, 'gone');
    await waitFor('resource to go', async () => (await kube.getKey(ns, 'gone')) === undefined, 30_000);
    expect(sim.state.apiKeys.has(id)).to.equal(false);
  });
});
