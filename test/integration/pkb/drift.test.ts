import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { setDefaultPolicy, testGrant } from '../support/connections.ts';
import { simProjectRoles, waitForBinding } from './helpers.ts';

describe('pkb: drift and policy (resync every 3 s)', () => {
  const s = useOperator({ env: { OMKEYS_RESYNC_PERIOD: '3s' }, grants: [] });
  // The default connection's policy, set once the simulator's ids are known: three roles only.
  before(async () => setDefaultPolicy(s().env.kc, s().sim, [testGrant(s().sim, { roles: ['ORG_READ_ONLY', 'GROUP_READ_ONLY', 'GROUP_OWNER'] })]));

  it('roles changed by hand and a removed assignment are put back on resync, with a Warning Event', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-drift');
    const [p1] = sim.projectIds;
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.createBinding(ns, 'k-p1', { apiKeyRef: { name: 'k' }, projectId: p1!, roles: ['GROUP_READ_ONLY'] });
    const bound = await waitForBinding(kube, ns, 'k-p1', 'True');
    const keyId = bound.status!.keyId!;
    const simKey = sim.state.apiKeys.get(keyId)!;

    // A hand edit in Ops Manager: other roles in the project.
    simKey.roles = [...simKey.roles.filter((r) => r.groupId !== p1), { groupId: p1!, roleName: 'GROUP_OWNER' }];
    await waitFor('roles put back', () => Promise.resolve(JSON.stringify(simProjectRoles(sim, keyId, p1!)) === '["GROUP_READ_ONLY"]'), 30_000, 100);
    const drift = await waitFor('DriftCorrected event', async () => (await kube.eventsFor(ns, 'k-p1')).find((e) => e.reason === 'DriftCorrected'), 10_000);
    expect(drift.type).to.equal('Warning');
    expect(drift.note).to.include('GROUP_OWNER');

    // The assignment removed by hand.
    simKey.roles = simKey.roles.filter((r) => r.groupId !== p1);
    await waitFor('assignment put back', () => Promise.resolve(JSON.stringify(simProjectRoles(sim, keyId, p1!)) === '["GROUP_READ_ONLY"]'), 30_000, 100);
    await waitFor('second DriftCorrected event', async () => {
      const notes = (await kube.eventsFor(ns, 'k-p1')).filter((e) => e.reason === 'DriftCorrected').map((e) => e.note);
      return notes.some((n) => n.includes('not assigned'));
    }, 10_000);
    const after = await waitForBinding(kube, ns, 'k-p1', 'True');
    expect(after.status?.roles).to.deep.equal(['GROUP_READ_ONLY']);
    // Organization roles were not part of the drift and stay as they were.
    expect(simKey.roles.filter((r) => r.orgId).map((r) => r.roleName)).to.deep.equal(['ORG_READ_ONLY']);
  });

  it('roles the policy does not allow are PolicyDenied, and do not hold up the key', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('pkb-policy');
    const [p1, p2] = sim.projectIds;
    await kube.createBinding(ns, 'denied', { apiKeyRef: { name: 'k' }, projectId: p1!, roles: ['GROUP_CHARTS_ADMIN'] });
    await kube.createBinding(ns, 'allowed', { apiKeyRef: { name: 'k' }, projectId: p2!, roles: ['GROUP_OWNER'] });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const key = await kube.waitForReady(ns, 'k');
    const keyId = key.status!.keyId!;
    const denied = await waitForBinding(kube, ns, 'denied', 'False', 'PolicyDenied');
    expect(denied.status?.conditions?.[0]?.message).to.include('GROUP_CHARTS_ADMIN');
    await waitForBinding(kube, ns, 'allowed', 'True');
    expect(simProjectRoles(sim, keyId, p1!)).to.deep.equal([]);
    expect(simProjectRoles(sim, keyId, p2!)).to.deep.equal(['GROUP_OWNER']);
  });
});
