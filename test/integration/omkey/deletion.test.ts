import { expect } from 'chai';
import { FINALIZER } from '../../../src/api/types.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, useLeakScan, waitForEvent } from './helpers.ts';

describe('omkey: deletion', function () {
  this.timeout(90_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  async function gone(ns: string, name: string): Promise<void> {
    const { kube } = s();
    await waitFor(`${ns}/${name} to go`, async () => (await kube.getKey(ns, name)) === undefined, 30_000);
  }

  it('deletionPolicy Retain leaves the key in Ops Manager', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('delete-retain'));
    await kube.createKey(ns, 'kept', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], deletionPolicy: 'Retain' });
    const { data } = await expectOneLiveKey(s(), ns, 'kept');
    await kube.deleteKey(ns, 'kept');
    await gone(ns, 'kept');
    expect(sim.state.apiKeys.get(data.keyId!)?.desc, 'the key stays').to.equal(`${ns}/kept`);
    const ev = await waitForEvent(kube, ns, 'kept', 'KeyRetained');
    expect(ev.note).to.include(data.keyId!);
  });

  it('deletionPolicy Delete removes the key', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('delete-delete'));
    await kube.createKey(ns, 'dropped', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], deletionPolicy: 'Delete' });
    const { data } = await expectOneLiveKey(s(), ns, 'dropped');
    await kube.deleteKey(ns, 'dropped');
    await gone(ns, 'dropped');
    expect(sim.state.apiKeys.has(data.keyId!)).to.equal(false);
  });

  it('keeps the finalizer and says why while Ops Manager cannot delete, then finishes', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('delete-unreachable'));
    await kube.createKey(ns, 'stuck', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { data } = await expectOneLiveKey(s(), ns, 'stuck');
    sim.faults.set([{ method: 'DELETE', path: '/orgs/*/apiKeys/*', fault: 'status', status: 503 }]);
    try {
      await kube.deleteKey(ns, 'stuck');
      const obj = await kube.waitForKeyCondition(ns, 'stuck', 'Ready', 'False', 'OpsManagerUnreachable');
      expect(obj.metadata.deletionTimestamp).to.be.a('string');
      expect(obj.metadata.finalizers).to.include(FINALIZER);
      expect(obj.status?.conditions?.find((c) => c.type === 'Ready')?.message).to.match(/unreachable|failing/);
      await waitForEvent(kube, ns, 'stuck', 'OpsManagerUnreachable');
      expect(sim.state.apiKeys.has(data.keyId!), 'the key is still there').to.equal(true);
      expect(sim.stats.list().some((r) => r.method === 'DELETE' && r.status === 503), 'deletes were tried').to.equal(true);
    } finally {
      sim.faults.clear();
    }
    await gone(ns, 'stuck');
    expect(sim.state.apiKeys.has(data.keyId!)).to.equal(false);
  });

  it('a project key: created through the project endpoint, its Secret names the project, deleted from the organization', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('delete-project'));
    const projectId = sim.projectIds[0]!;
    sim.stats.reset();
    await kube.createKey(ns, 'proj', { projectId, roles: ['GROUP_READ_ONLY'] });
    const { data, obj } = await expectOneLiveKey(s(), ns, 'proj');
    expect(sim.stats.count('POST', '/groups/{groupId}/apiKeys')).to.equal(1);
    expect(sim.stats.count('POST', '/orgs/{orgId}/apiKeys')).to.equal(0);
    expect(data.projectId).to.equal(projectId);
    expect(data).to.not.have.property('orgId');
    expect(obj.status?.roles).to.deep.equal(['GROUP_READ_ONLY']);
    const simKey = sim.state.apiKeys.get(data.keyId!);
    expect(simKey?.roles).to.deep.equal([{ groupId: projectId, roleName: 'GROUP_READ_ONLY' }]);
    await kube.deleteKey(ns, 'proj');
    await gone(ns, 'proj');
    expect(sim.state.apiKeys.has(data.keyId!), 'deleted from the organization, not only unassigned').to.equal(false);
  });

  scan.itScans();
});
