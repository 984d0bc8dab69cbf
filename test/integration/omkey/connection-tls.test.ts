import { expect } from 'chai';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { makeTlsFixture } from '../../opsmanager/tls-fixture.ts';
import { OpsManagerClient } from '../../../src/opsmanager/client.ts';
import { useOperator } from '../support/suite.ts';
import { connectionFor } from '../support/connections.ts';

describe('omkey: a connection to an on-premises Ops Manager over TLS with its own CA (caSecretRef)', () => {
  const s = useOperator();
  let tlsSim: SimHandle | undefined;
  const tls = makeTlsFixture();

  before(async () => {
    tlsSim = await startSimulator({ admin: true, tls: { cert: tls.cert, key: tls.key } });
  });
  after(async () => {
    await tlsSim?.close();
  });

  async function connectionSecret(ns: string, caPem: string): Promise<{ kind: 'ClusterOpsManagerConnection'; name: string }> {
    const sim = tlsSim!;
    return connectionFor(s().env.kc, ns, { ...sim, key: sim.admin, caPem }, { suffix: 'onprem' });
  }

  it('creates the key through the namespace\'s own connection, verifying the server with ca.crt', async () => {
    const { kube, env } = s();
    const sim = tlsSim!;
    expect(sim.url).to.match(/^https:/);
    const ns = await env.newNamespace('omkey-tls');
    const connectionRef = await connectionSecret(ns, tls.caPem);
    // ORG_OWNER is refused through the default connection, but allowed through one whose policy names it.
    await kube.createKey(ns, 'owner', { orgId: sim.orgId, roles: ['ORG_OWNER'], connectionRef });
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
    const connectionRef = await connectionSecret(ns, tls.otherCaPem);
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    const obj = await kube.waitForKeyCondition(ns, 'k', 'Ready', 'False', 'OpsManagerUnreachable');
    const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).to.match(/TLS/);
    expect(await kube.secret(ns, 'k')).to.equal(undefined);
    expect(sim.state.keysOfOrg(sim.orgId).filter((k) => k.desc.includes(ns)).length).to.equal(0);
  });
});
