import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, useLeakScan, waitForEvent } from './helpers.ts';

describe('omkey: project keys changed by hand in Ops Manager', function () {
  this.timeout(90_000);
  const s = useOperator({ env: { OMKEYS_RESYNC_PERIOD: '2s' } });
  const scan = useLeakScan(s);

  it('puts back project roles removed by hand (the key unassigned from its project)', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('project-unassigned'));
    const projectId = sim.projectIds[2]!;
    await kube.createKey(ns, 'k', { projectId, roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'] });
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    const key = sim.state.apiKeys.get(data.keyId!)!;
    key.roles = [];
    await waitFor('project roles put back', () => Promise.resolve(key.roles.filter((r) => r.groupId === projectId).length === 2), 30_000);
    expect(sim.state.apiKeys.get(data.keyId!), 'the same key').to.equal(key);
    const ev = await waitForEvent(kube, ns, 'k', 'DriftCorrected');
    expect(ev.type).to.equal('Warning');
    const ready = await kube.waitForReady(ns, 'k');
    expect(ready.status?.roles).to.deep.equal(['GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_READ_ONLY']);
  });

  it('replaces a project key deleted by hand', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('project-deleted'));
    const projectId = sim.projectIds[2]!;
    await kube.createKey(ns, 'k', { projectId, roles: ['GROUP_READ_ONLY'] });
    const { data: first } = await expectOneLiveKey(s(), ns, 'k');
    sim.state.apiKeys.delete(first.keyId!);
    await waitFor('a new key in the Secret', async () => {
      const d = await kube.secretData(ns, 'k');
      return d?.keyId !== undefined && d.keyId !== first.keyId;
    }, 30_000);
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    expect(data.projectId).to.equal(projectId);
    expect(sim.state.apiKeys.get(data.keyId!)?.roles).to.deep.equal([{ groupId: projectId, roleName: 'GROUP_READ_ONLY' }]);
    const ev = await waitForEvent(kube, ns, 'k', 'KeyReplaced');
    expect(ev.note).to.match(/deleted in Ops Manager/);
  });

  scan.itScans();
});
