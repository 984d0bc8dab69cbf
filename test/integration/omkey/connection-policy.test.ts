import { expect } from 'chai';
import { GROUP, PROJECT_KEY_BINDING_PLURAL, VERSION } from '../../../src/api/types.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { SimClient } from '../../../tools/opsmanager-sim/sim-client.ts';
import { applyCredentials, connectionFor, connectionReady } from '../support/connections.ts';
import { useOperator } from '../support/suite.ts';
import type { Suite } from '../support/suite.ts';
import { Tenant } from '../support/tenant.ts';
import { waitForBinding } from '../pkb/helpers.ts';
import { keysOfResource } from './helpers.ts';

/** The Ready condition's message once it says `reason`. */
async function refusal(s: Suite, ns: string, name: string, reason: string): Promise<string> {
  const obj = await s.kube.waitForKeyCondition(ns, name, 'Ready', 'False', reason, 45_000);
  return obj.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
}

describe('omkey: a ClusterOpsManagerConnection\'s policy, tenants acting through the edit role omkeys aggregates into', function () {
  this.timeout(120_000);
  // The default connection serves no namespace: every key here names a connection an admin made for its namespace.
  const s = useOperator({ grants: [] });

  async function team(prefix: string): Promise<{ ns: string; tenant: Tenant }> {
    const ns = await s().env.newNamespace(prefix);
    return { ns, tenant: await Tenant.of(s().env, ns) };
  }

  function om(): Parameters<typeof connectionFor>[2] {
    const { sim } = s();
    return { ...sim, key: sim.admin };
  }

  it('a namespace its policy does not name is refused, nothing made in Ops Manager; the default serves none', async () => {
    const { sim, env } = s();
    const { ns, tenant } = await team('pol-outside');
    const other = await team('pol-other');
    const connectionRef = await connectionFor(env.kc, other.ns, om());
    await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    expect(await refusal(s(), ns, 'k', 'PolicyDenied')).to.contain(`does not serve namespace ${ns}`);
    await tenant.createKey('plain', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    expect(await refusal(s(), ns, 'plain', 'PolicyDenied')).to.contain(`ClusterOpsManagerConnection/omkeys-test does not serve namespace ${ns}`);
    expect(keysOfResource(sim, await tenant.getKey('k'))).to.deep.equal([]);
    expect(await s().kube.secret(ns, 'k')).to.equal(undefined);
  });

  it('a project of another namespace is refused for a key and for a binding; its own project is served', async () => {
    const { sim, env, kube } = s();
    const [mine = '', theirs = ''] = sim.projectIds;
    const { ns, tenant } = await team('pol-project');
    const connectionRef = await connectionFor(env.kc, ns, om(), { grant: { projects: [mine] } });
    await tenant.createKey('theirs', { projectId: theirs, roles: ['GROUP_READ_ONLY'], connectionRef });
    expect(await refusal(s(), ns, 'theirs', 'PolicyDenied')).to.contain(`project ${theirs} is not in policy.grants[].projects`);
    await tenant.createKey('org', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    const ready = await kube.waitForReady(ns, 'org');
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'ProjectKeyBinding', metadata: { name: 'to-theirs', namespace: ns }, spec: { apiKeyRef: { name: 'org' }, projectId: theirs, roles: ['GROUP_READ_ONLY'] } };
    await tenant.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PROJECT_KEY_BINDING_PLURAL, body });
    const denied = await waitForBinding(kube, ns, 'to-theirs', 'False', 'PolicyDenied', 45_000);
    expect(denied.status?.conditions?.find((c) => c.type === 'Ready')?.message).to.contain(`project ${theirs}`);
    const roles = sim.state.apiKeys.get(ready.status?.keyId ?? '')?.roles ?? [];
    expect(roles.filter((r) => r.groupId === theirs), 'no role in the other namespace\'s project').to.deep.equal([]);
    await tenant.createKey('mine', { projectId: mine, roles: ['GROUP_READ_ONLY'], connectionRef });
    await kube.waitForReady(ns, 'mine');
  });

  it('a role outside the list is refused; ORG_OWNER only when named', async () => {
    const { sim, env } = s();
    const { ns, tenant } = await team('pol-role');
    const connectionRef = await connectionFor(env.kc, ns, om(), { grant: { roles: ['ORG_READ_ONLY'] } });
    await tenant.createKey('member', { orgId: sim.orgId, roles: ['ORG_MEMBER'], connectionRef });
    expect(await refusal(s(), ns, 'member', 'PolicyDenied')).to.contain('role(s) ORG_MEMBER not in policy.grants[].roles');
    await tenant.createKey('owner', { orgId: sim.orgId, roles: ['ORG_OWNER'], connectionRef });
    expect(await refusal(s(), ns, 'owner', 'PolicyDenied')).to.contain('ORG_OWNER only when named');
    expect(keysOfResource(sim, await tenant.getKey('owner'))).to.deep.equal([]);
  });

  it('the key quota reached: the keys created after it are refused, those before are served', async () => {
    const { sim, env, kube } = s();
    const { ns, tenant } = await team('pol-quota');
    const connectionRef = await connectionFor(env.kc, ns, om(), { grant: { maxKeys: 2 } });
    for (const name of ['k1', 'k2']) await tenant.createKey(name, { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    await kube.waitForReady(ns, 'k1');
    await kube.waitForReady(ns, 'k2');
    await tenant.createKey('k3', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    expect(await refusal(s(), ns, 'k3', 'PolicyDenied')).to.contain('the namespace has 2 key(s) through it, policy.grants[].maxKeys is 2');
    expect(keysOfResource(sim, await tenant.getKey('k3'))).to.deep.equal([]);
    // One goes: the refused key is served.
    await tenant.deleteKey('k1');
    await kube.waitForReady(ns, 'k3', 45_000);
  });

  it('adoption refused where the policy does not allow it; the key is untouched', async () => {
    const { sim, env } = s();
    const { ns, tenant } = await team('pol-adopt');
    const connectionRef = await connectionFor(env.kc, ns, om(), { grant: { adoption: 'None' } });
    const admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    const res = await admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc: 'made by hand', roles: ['ORG_MEMBER'] });
    const hand = res.body as { id: string; privateKey: string };
    s().privateKeys.add(hand.privateKey);
    await tenant.putSecret({ metadata: { name: 'old', namespace: ns }, stringData: { pk: hand.privateKey } });
    await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef, adopt: { keyId: hand.id, privateKeySecretRef: { name: 'old', key: 'pk' } } });
    expect(await refusal(s(), ns, 'k', 'PolicyDenied')).to.contain('adoption with the private key is not allowed (policy.grants[].adoption is None)');
    const key = sim.state.apiKeys.get(hand.id);
    expect(key?.desc).to.equal('made by hand');
    expect(key?.roles.map((r) => r.roleName)).to.deep.equal(['ORG_MEMBER']);
  });

  it('a policy narrowed after the fact: the key is reported, kept, and not changed', async () => {
    const { sim, env } = s();
    const { ns, tenant } = await team('pol-narrowed');
    const connectionRef = await connectionFor(env.kc, ns, om());
    await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    const ready = await s().kube.waitForReady(ns, 'k');
    const keyId = ready.status?.keyId ?? '';
    await connectionFor(env.kc, ns, om(), { grant: { roles: ['ORG_MEMBER'] } });
    expect(await refusal(s(), ns, 'k', 'PolicyDenied')).to.contain('role(s) ORG_READ_ONLY not in policy.grants[].roles');
    const key = sim.state.apiKeys.get(keyId);
    expect(key?.roles.map((r) => r.roleName), 'not widened, not deleted').to.deep.equal(['ORG_READ_ONLY']);
    expect((await s().kube.secretData(ns, 'k'))?.keyId).to.equal(keyId);
  });

  it('a connection whose credential is wrong is reported on the connection and its keys, and recovers once rotated', async () => {
    const { sim, env, kube } = s();
    const { ns, tenant } = await team('pol-cred');
    const wrong = { publicKey: 'qwertyui', privateKey: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' };
    s().privateKeys.add(wrong.privateKey);
    const connectionRef = await connectionFor(env.kc, ns, { ...sim, key: wrong });
    await waitFor('connection Unauthorized', async () => (await connectionReady(env.kc, connectionRef.name))?.reason === 'Unauthorized', 30_000);
    await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    await kube.waitForKeyCondition(ns, 'k', 'Ready', 'False', 'Unauthorized', 45_000);
    await applyCredentials(env.kc, ns, connectionRef.name, { publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey });
    const ready = await waitFor('connection Ready', async () => {
      const c = await connectionReady(env.kc, connectionRef.name);
      return c?.status === 'True' ? c : undefined;
    }, 60_000);
    expect(ready.reason).to.equal('Authenticated');
    expect(ready.message).to.contain(sim.orgId);
    await kube.waitForReady(ns, 'k', 60_000);
  });
});
