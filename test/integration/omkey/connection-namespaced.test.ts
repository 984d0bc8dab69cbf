import { expect } from 'chai';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { makeTlsFixture } from '../../opsmanager/tls-fixture.ts';
import { applyCredentials, applyNamespacedConnection, connectionReady } from '../support/connections.ts';
import { useOperator } from '../support/suite.ts';
import { Tenant } from '../support/tenant.ts';

describe('omkey: a namespace\'s own OpsManagerConnection cannot point the operator at loopback, link-local or unlisted hosts', function () {
  this.timeout(120_000);
  const s = useOperator({ env: { OMKEYS_NAMESPACED_CONNECTION_HOSTS: 'localhost,.example.com' } });
  let tlsSim: SimHandle | undefined;
  const tls = makeTlsFixture();
  before(async () => {
    tlsSim = await startSimulator({ admin: true, tls: { cert: tls.cert, key: tls.key } });
  });
  after(async () => {
    await tlsSim?.close();
  });

  /** A team's connection to `baseUrl` with the TLS simulator's admin key, and a key through it. */
  async function keyThrough(prefix: string, baseUrl: string): Promise<{ ns: string; reason: string; message: string }> {
    const sim = tlsSim!;
    const { env, kube } = s();
    const ns = await env.newNamespace(prefix);
    const tenant = await Tenant.of(env, ns);
    s().privateKeys.add(sim.admin.privateKey);
    await applyCredentials(env.kc, ns, 'om-key', { publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey, 'ca.crt': tls.caPem });
    await applyNamespacedConnection(env.kc, ns, 'own', { baseUrl, credentialsSecretRef: { name: 'om-key' }, caSecretRef: { name: 'om-key' } });
    await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_OWNER'], connectionRef: { kind: 'OpsManagerConnection', name: 'own' } });
    const obj = await waitFor('the key refused', async () => {
      const k = await kube.getKey(ns, 'k');
      const c = k?.status?.conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'False' && c.reason !== 'Progressing' ? c : undefined;
    }, 45_000);
    expect(sim.state.keysOfOrg(sim.orgId).filter((k) => k.desc.includes(ns)), 'nothing made in Ops Manager').to.deep.equal([]);
    return { ns, reason: obj.reason, message: obj.message };
  }

  it('a literal loopback address is refused before any connection is made', async () => {
    const port = new URL(tlsSim!.url).port;
    const { ns, reason, message } = await keyThrough('omc-literal', `https://127.0.0.1:${port}`);
    expect(reason).to.equal('ConnectionInvalid');
    expect(message).to.contain('127.0.0.1 is a loopback or link-local address');
    const c = await waitFor('the connection reported', () => connectionReady(s().env.kc, 'own', ns), 30_000);
    expect(c.status).to.equal('False');
  });

  it('a name (allowed by the hosts list) that resolves to loopback is refused when the socket connects', async () => {
    const port = new URL(tlsSim!.url).port;
    const { reason, message } = await keyThrough('omc-name', `https://localhost:${port}`);
    expect(reason).to.equal('OpsManagerUnreachable');
    // The address guard's refusal, not a TLS failure (the certificate names 127.0.0.1 only) nor a lost answer.
    expect(message).to.contain('OM_FORBIDDEN_ADDRESS');
  });

  it('a host outside OMKEYS_NAMESPACED_CONNECTION_HOSTS is refused', async () => {
    const { reason, message } = await keyThrough('omc-host', 'https://om.elsewhere.test');
    expect(reason).to.equal('ConnectionInvalid');
    expect(message).to.contain('host om.elsewhere.test is not one the operator allows namespaced connections');
  });
});
