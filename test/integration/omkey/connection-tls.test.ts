import { expect } from 'chai';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { makeTlsFixture } from '../../opsmanager/tls-fixture.ts';
import { OpsManagerClient } from '../../../src/opsmanager/client.ts';
import { useOperator } from '../support/suite.ts';

describe('omkey: spec.connectionSecretRef to an on-premises Ops Manager over TLS with its own CA', () => {
  const s = useOperator();
  let tlsSim: SimHandle | undefined;
  const tls = makeTlsFixture();

  before(async () => {
    tlsSim = await startSimulator({ admin: true, tls: { cert: tls.cert, key: tls.key } });
  });
  after(async () => {
    await tlsSim?.close();
  });

  async function connectionSecret(ns: string, name: string, caPem: string): Promise<void> {
    const sim = tlsSim!;
    await s().kube.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name }, stringData: { baseUrl: sim.url, publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey, 'ca.crt': caPem } },
    });
  }

  it('creates the key through the namespace\'s own connection, verifying the server with ca.crt', async () => {
    const { kube, env } = s();
    const sim = tlsSim!;
    expect(sim.url).to.match(/^https:/);
    const ns = await env.newNamespace('omkey-tls');
    await connectionSecret(ns, 'om-onprem', tls.caPem);
    // ORG_OWNER is refused through the default connection, but allowed through a namespace's own.
    await kube.createKey(ns, 'owner', { orgId: sim.orgId, roles: ['ORG_OWNER'], connectionSecretRef: { name: 'om-onprem' } });
    const ready = await kube.waitForReady(ns, 'owner');
    const data = (await kube.secretData(ns, 'owner'))!;
    s().privateKeys.add(data.privateKey!);
    expect(data.baseUrl).to.equal(sim.url);
    expect(sim.state.apiKeys.get(ready.status!.keyId!)?.roles).to.deep.equal([{ orgId: sim.orgId, roleName: 'ORG_OWNER' }]);
    // Nothing went to the default (plain HTTP) simulator.
    expect(s().sim.state.apiKeys.has(ready.status!.keyId!)).to.equal(false);
    const client = new OpsManagerClient({ baseUrl: sim.url, publicKey: data.publicKey!, privateKey: data.privateKey!, caPem: tls.caPem });
    try {
      expect((await client.getOrgKey(sim.orgId, data.keyId!)).publicKey).to.equal(data.publicKey);
    } finally {
      client.close();
    }
  });

  it('refuses a server its ca.crt does not vouch for, and says so', async () => {
    const { kube, env } = s();
    const sim = tlsSim!;
    const ns = await env.newNamespace('omkey-tls-bad');
    await connectionSecret(ns, 'om-onprem', tls.otherCaPem);
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionSecretRef: { name: 'om-onprem' } });
    const obj = await kube.waitForKeyCondition(ns, 'k', 'Ready', 'False', 'OpsManagerUnreachable');
    const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).to.match(/TLS/);
    expect(await kube.secret(ns, 'k')).to.equal(undefined);
    expect(sim.state.keysOfOrg(sim.orgId).filter((k) => k.desc.includes(ns)).length).to.equal(0);
  });
});
