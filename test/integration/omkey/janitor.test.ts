import { expect } from 'chai';
import { GROUP, OPS_MANAGER_API_KEY_PLURAL, VERSION, type OpsManagerApiKey } from '../../../src/api/types.ts';
import { formatPendingTag, isPendingTagOf, parsePendingTag } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, useLeakScan } from './helpers.ts';

/**
 * The key of a resource removed under its first create, with the operator dead between the
 * create and its next write (kubernetes/kubernetes#77988 plus a crash): after the restart no
 * object names the key. kube-apiserver's race itself is not deterministic; what it leaves is,
 * and is made here on the real control plane: the process killed right after the create
 * (failpoint after-create), then the resource's finalizer removed and the resource deleted.
 */
describe('omkey: the janitor deletes the tagged key of a resource that no longer exists', function () {
  this.timeout(180_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  it('deletes it (Event in its namespace), and leaves another cluster\'s and an old-form tag alone', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('janitor'));
    // Another key of the organization: its resync reads the organization's list, which feeds the janitor.
    await kube.createKey(ns, 'anchor', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await expectOneLiveKey(s(), ns, 'anchor');
    await op.stop();
    await op.restart({ OMKEYS_FAILPOINTS: 'after-create' });
    try {
      const lost = await kube.createKey(ns, 'lost', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      await op.waitForExit();
      const uid = lost.metadata.uid ?? '';
      const tagged = [...sim.state.apiKeys.values()].filter((k) => isPendingTagOf(k.desc, uid));
      expect(tagged.length, 'the key made before the crash').to.equal(1);
      const clusterUid = (await kube.core.readNamespace({ name: 'kube-system' })).metadata?.uid ?? '';
      expect(parsePendingTag(tagged[0]?.desc ?? '')?.where, 'its tag names the namespace and the cluster').to.deep.equal({ namespace: ns, cluster: clusterUid });

      // What the race leaves: the resource gone without its finalizer having run.
      const dead = (await kube.getKey(ns, 'lost')) as OpsManagerApiKey;
      await kube.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: OPS_MANAGER_API_KEY_PLURAL, name: 'lost', body: { ...dead, metadata: { ...dead.metadata, finalizers: [] } } });
      await kube.deleteKey(ns, 'lost');
      await waitFor('the resource gone', async () => (await kube.getKey(ns, 'lost')) === undefined, 30_000);
      // Tags the janitor must not judge: another cluster's operator (same namespace name, same
      // organization, a uid unknown here), and the old form that names no cluster.
      const elsewhere = sim.state.addKey(sim.orgId, formatPendingTag({ uid: 'f0e1d2c3-0000-4000-8000-000000000001', where: { namespace: ns, cluster: 'another-cluster' } }), [{ orgId: sim.orgId, roleName: 'ORG_READ_ONLY' }]);
      const oldForm = sim.state.addKey(sim.orgId, formatPendingTag({ uid: 'f0e1d2c3-0000-4000-8000-000000000002' }), [{ orgId: sim.orgId, roleName: 'ORG_READ_ONLY' }]);

      await op.restart({ OMKEYS_RESYNC_PERIOD: '2s' });
      await waitFor('the orphaned key deleted', () => Promise.resolve(!sim.state.apiKeys.has(tagged[0]?.id ?? '')), 90_000);
      const events = await waitFor('its Event', async () => {
        const list = await kube.events.listNamespacedEvent({ namespace: ns });
        return list.items.find((e) => e.reason === 'OrphanKeyDeleted' && e.regarding?.uid === uid);
      }, 30_000);
      expect(events.type).to.equal('Warning');
      expect(events.note).to.include(tagged[0]?.id ?? '-');
      // Judged in the same passes as the orphan (same list): still there.
      expect(sim.state.apiKeys.has(elsewhere.id), 'another cluster\'s tagged key').to.equal(true);
      expect(sim.state.apiKeys.has(oldForm.id), 'an old-form tag').to.equal(true);
      sim.state.apiKeys.delete(elsewhere.id);
      sim.state.apiKeys.delete(oldForm.id);
      await expectOneLiveKey(s(), ns, 'anchor');
    } finally {
      await op.stop();
      await op.restart({});
    }
  });
});
