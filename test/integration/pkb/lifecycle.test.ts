import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { setDefaultPolicy, testGrant } from '../support/connections.ts';
import { deleteBinding, simProjectRoles, updateBindingSpec, waitForBinding, waitGone } from './helpers.ts';

describe('pkb: lifecycle (operator process, real API server, simulator)', () => {
  const s = useOperator();

  it('assigns the key to the project, changes the roles with the spec, and unassigns on deletion', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-basic');
    const [p1] = sim.projectIds;
    await kube.createKey(ns, 'svc', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const key = await kube.waitForReady(ns, 'svc');
    const keyId = key.status!.keyId!;
    await kube.createBinding(ns, 'svc-p1', { apiKeyRef: { name: 'svc' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    const ready = await waitForBinding(kube, ns, 'svc-p1', 'True');
    expect(ready.status).to.include({ keyId, observedGeneration: 1 });
    expect(ready.status?.roles).to.deep.equal(['GROUP_READ_ONLY']);
    expect(ready.metadata.finalizers).to.include('omkeys.io/finalizer');
    expect(simProjectRoles(sim, keyId, p1!)).to.deep.equal(['GROUP_READ_ONLY']);

    await updateBindingSpec(kube, ns, 'svc-p1', (spec) => {
      spec.roles = ['GROUP_OWNER', 'GROUP_DATA_ACCESS_READ_ONLY'];
    });
    const changed = await waitForBinding(kube, ns, 'svc-p1', 'True');
    expect(changed.status?.roles).to.deep.equal(['GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_OWNER']);
    expect(simProjectRoles(sim, keyId, p1!)).to.deep.equal(['GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_OWNER']);
    // The key's own (organization) roles are untouched.
    expect(sim.state.apiKeys.get(keyId)?.roles.filter((r) => r.orgId).map((r) => r.roleName)).to.deep.equal(['ORG_READ_ONLY']);

    await deleteBinding(kube, ns, 'svc-p1');
    await waitGone('binding', () => kube.getBinding(ns, 'svc-p1'));
    expect(simProjectRoles(sim, keyId, p1!)).to.deep.equal([]);
    expect(sim.state.apiKeys.has(keyId), 'the key itself stays').to.equal(true);
    const reasons = (await kube.eventsFor(ns, 'svc-p1')).map((e) => e.reason);
    expect(reasons).to.include.members(['Assigned', 'Unassigned']);
  });

  it('a binding created before its key waits, and the key has the project roles before its pair reaches the Secret', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-early');
    const [p1, p2] = sim.projectIds;
    await kube.createBinding(ns, 'early-p1', { apiKeyRef: { name: 'late' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    await kube.createBinding(ns, 'early-p2', { apiKeyRef: { name: 'late' }, projectId: p2!, roles: ['GROUP_AUTOMATION_ADMIN'] });
    const waiting = await waitForBinding(kube, ns, 'early-p1', 'False', 'KeyNotFound');
    expect(waiting.status?.keyId).to.equal(undefined);
    await waitForBinding(kube, ns, 'early-p2', 'False', 'KeyNotFound');

    await kube.createKey(ns, 'late', { orgId: sim.orgId, roles: ['ORG_MEMBER'] });
    // The first moment the Secret is seen, the key it names already holds both projects' roles.
    const data = await waitFor('Secret', () => kube.secretData(ns, 'late'), 30_000, 20);
    s().privateKeys.add(data.privateKey!);
    expect(simProjectRoles(sim, data.keyId!, p1!)).to.deep.equal(['GROUP_READ_ONLY']);
    expect(simProjectRoles(sim, data.keyId!, p2!)).to.deep.equal(['GROUP_AUTOMATION_ADMIN']);
    const b1 = await waitForBinding(kube, ns, 'early-p1', 'True');
    const b2 = await waitForBinding(kube, ns, 'early-p2', 'True');
    expect(b1.status?.keyId).to.equal(data.keyId);
    expect(b2.status?.roles).to.deep.equal(['GROUP_AUTOMATION_ADMIN']);
  });

  it('deleting the key first: bindings become KeyNotFound, do not block it, and can then be deleted', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-keyfirst');
    const [p1] = sim.projectIds;
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.createBinding(ns, 'k-p1', { apiKeyRef: { name: 'k' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    const bound = await waitForBinding(kube, ns, 'k-p1', 'True');
    const keyId = bound.status!.keyId!;

    await kube.deleteKey(ns, 'k');
    await waitGone('key resource', () => kube.getKey(ns, 'k'));
    expect(sim.state.apiKeys.has(keyId)).to.equal(false);
    const orphan = await waitForBinding(kube, ns, 'k-p1', 'False', 'KeyNotFound');
    expect(orphan.status?.keyId, 'the last key id is kept for cleanup').to.equal(keyId);

    await deleteBinding(kube, ns, 'k-p1');
    await waitGone('binding', () => kube.getBinding(ns, 'k-p1'));
  });

  it('deleting the namespace with key and bindings: the namespace goes and nothing remains in Ops Manager', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-nsdel');
    const [p1, p2] = sim.projectIds;
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.createBinding(ns, 'k-p1', { apiKeyRef: { name: 'k' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    await kube.createBinding(ns, 'k-p2', { apiKeyRef: { name: 'k' }, projectId: p2!, roles: ['GROUP_OWNER'] });
    const b = await waitForBinding(kube, ns, 'k-p1', 'True');
    await waitForBinding(kube, ns, 'k-p2', 'True');
    const keyId = b.status!.keyId!;

    await kube.core.deleteNamespace({ name: ns });
    await waitFor('namespace to disappear', async () => {
      try {
        await kube.core.readNamespace({ name: ns });
        return false;
      } catch {
        return true;
      }
    }, 90_000, 250);
    expect(sim.state.apiKeys.has(keyId)).to.equal(false);
    const leftovers = [...sim.state.apiKeys.values()].filter((k) => k.id === keyId || k.desc.startsWith(`${ns}/`));
    expect(leftovers).to.deep.equal([]);
  });

  it('two bindings for one key and project: the younger is a Conflict until the older goes', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-conflict');
    const [p1] = sim.projectIds;
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.createBinding(ns, 'first', { apiKeyRef: { name: 'k' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    const first = await waitForBinding(kube, ns, 'first', 'True');
    await kube.createBinding(ns, 'second', { apiKeyRef: { name: 'k' }, projectId: p1!, roles: ['GROUP_OWNER'] });
    const second = await waitForBinding(kube, ns, 'second', 'False', 'Conflict');
    expect(second.status?.conditions?.[0]?.message).to.include('first');
    const keyId = first.status!.keyId!;
    expect(simProjectRoles(sim, keyId, p1!)).to.deep.equal(['GROUP_READ_ONLY']);

    await deleteBinding(kube, ns, 'first');
    await waitGone('older binding', () => kube.getBinding(ns, 'first'));
    await waitForBinding(kube, ns, 'second', 'True');
    expect(simProjectRoles(sim, keyId, p1!)).to.deep.equal(['GROUP_OWNER']);
  });

  it('a binding for the project a project-mode key was created in is a Conflict and never touches that project', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-ownproject');
    const [p1, p2] = sim.projectIds;
    await kube.createKey(ns, 'pk', { projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    const key = await kube.waitForReady(ns, 'pk');
    const keyId = key.status!.keyId!;
    await kube.createBinding(ns, 'same', { apiKeyRef: { name: 'pk' }, projectId: p1!, roles: ['GROUP_OWNER'] });
    await kube.createBinding(ns, 'other', { apiKeyRef: { name: 'pk' }, projectId: p2!, roles: ['GROUP_OWNER'] });
    await waitForBinding(kube, ns, 'same', 'False', 'Conflict');
    await waitForBinding(kube, ns, 'other', 'True');
    expect(simProjectRoles(sim, keyId, p1!)).to.deep.equal(['GROUP_READ_ONLY']);
    expect(simProjectRoles(sim, keyId, p2!)).to.deep.equal(['GROUP_OWNER']);
    await deleteBinding(kube, ns, 'same');
    await waitGone('conflicting binding', () => kube.getBinding(ns, 'same'));
    expect(simProjectRoles(sim, keyId, p1!), 'the key keeps its own project').to.deep.equal(['GROUP_READ_ONLY']);
  });

  it('an unknown project is ProjectNotFound', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-noproject');
    // The policy names the project: what refuses it here is Ops Manager.
    await setDefaultPolicy(env.kc, sim, [testGrant(sim, { projects: [...sim.projectIds, 'aaaaaaaaaaaaaaaaaaaaaaaa'] })]);
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.createBinding(ns, 'nowhere', { apiKeyRef: { name: 'k' }, projectId: 'aaaaaaaaaaaaaaaaaaaaaaaa', roles: ['GROUP_READ_ONLY'] });
    const b = await waitForBinding(kube, ns, 'nowhere', 'False', 'ProjectNotFound');
    expect(b.status?.conditions?.[0]?.message).to.include('aaaaaaaaaaaaaaaaaaaaaaaa');
    // The key itself is unaffected by a bad binding.
    await kube.waitForReady(ns, 'k');
  });
});
