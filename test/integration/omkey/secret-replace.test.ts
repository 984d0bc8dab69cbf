import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, keysOfResource, pendingKeys, useLeakScan, waitForEvent } from './helpers.ts';

describe('omkey: the Secret and the key are replaced when a half is lost', function () {
  this.timeout(90_000);
  const s = useOperator({ env: { OMKEYS_RESYNC_PERIOD: '2s' } });
  const scan = useLeakScan(s);

  async function readyKey(prefix: string, name: string): Promise<{ ns: string; keyId: string }> {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace(prefix));
    await kube.createKey(ns, name, { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { data } = await expectOneLiveKey(s(), ns, name);
    return { ns, keyId: data.keyId! };
  }

  async function expectReplaced(ns: string, name: string, oldKeyId: string, why: RegExp): Promise<void> {
    const { kube, sim } = s();
    await waitFor('a new key in the Secret', async () => {
      const d = await kube.secretData(ns, name);
      return d?.keyId !== undefined && d.keyId !== oldKeyId;
    }, 30_000);
    const { data } = await expectOneLiveKey(s(), ns, name);
    expect(data.keyId).to.not.equal(oldKeyId);
    expect(sim.state.apiKeys.has(oldKeyId), 'the old key is deleted in Ops Manager').to.equal(false);
    const ev = await waitForEvent(kube, ns, name, 'KeyReplaced');
    expect(ev.note).to.match(why);
  }

  it('replaces the key when its Secret is deleted', async () => {
    const { kube } = s();
    const { ns, keyId } = await readyKey('replace-secret-deleted', 'k');
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'k' });
    await expectReplaced(ns, 'k', keyId, /Secret was deleted/);
  });

  it('replaces the key when the pair in its Secret is edited', async () => {
    const { kube } = s();
    const { ns, keyId } = await readyKey('replace-pair-edited', 'k');
    const secret = await kube.secret(ns, 'k');
    const edited = { ...secret, data: { ...secret?.data, privateKey: Buffer.from('00000000-0000-0000-0000-000000000000').toString('base64') } };
    await kube.core.replaceNamespacedSecret({ namespace: ns, name: 'k', body: edited });
    await expectReplaced(ns, 'k', keyId, /pair in its Secret was edited/);
  });

  it('replaces the key on resync when it was deleted by hand in Ops Manager', async () => {
    const { sim } = s();
    const { ns, keyId } = await readyKey('replace-key-deleted', 'k');
    sim.state.apiKeys.delete(keyId);
    await expectReplaced(ns, 'k', keyId, /deleted in Ops Manager/);
  });

  it('never takes over a foreign Secret of the same name: SecretConflict, the Secret untouched, no key left behind', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('foreign-secret'));
    const foreign = { metadata: { name: 'taken', namespace: ns, labels: { owner: 'someone-else' } }, stringData: { password: 'hunter2' } };
    await kube.core.createNamespacedSecret({ namespace: ns, body: foreign });
    const before = await kube.secret(ns, 'taken');
    await kube.createKey(ns, 'taken', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const obj = await kube.waitForKeyCondition(ns, 'taken', 'SecretSynced', 'False', 'SecretConflict');
    const readyCond = obj.status?.conditions?.find((c) => c.type === 'Ready');
    expect(readyCond?.status).to.equal('False');
    expect(readyCond?.message).to.match(/not owned/);
    await waitForEvent(kube, ns, 'taken', 'SecretConflict');
    // Further reconciles (resync every 2 s) change nothing either.
    await waitFor('two resyncs', async () => {
      const o = await kube.getKey(ns, 'taken');
      const c = o?.status?.conditions?.find((x) => x.type === 'SecretSynced');
      return c !== undefined && Date.now() - Date.parse(c.lastTransitionTime ?? '') > 4_500;
    }, 30_000, 500);
    const after = await kube.secret(ns, 'taken');
    expect(after?.data).to.deep.equal(before?.data);
    expect(after?.metadata?.resourceVersion).to.equal(before?.metadata?.resourceVersion);
    expect(after?.metadata?.ownerReferences ?? []).to.deep.equal([]);
    expect(keysOfResource(sim, obj).map((k) => k.id), 'no key left in Ops Manager for it').to.deep.equal([]);
    expect(pendingKeys(sim)).to.deep.equal([]);
    // Choosing another Secret name resolves it.
    await kube.updateKeySpec(ns, 'taken', (spec) => {
      spec.secret = { name: 'taken-om' };
    });
    const data = await waitFor('the Secret under the new name', async () => {
      const d = await kube.secretData(ns, 'taken-om');
      return d?.keyId ? d : undefined;
    }, 30_000);
    s().privateKeys.add(data.privateKey ?? '');
    const ready = await kube.waitForReady(ns, 'taken');
    expect(ready.status?.keyId).to.equal(data.keyId);
    expect((await kube.secret(ns, 'taken'))?.data).to.deep.equal(before?.data);
  });

  scan.itScans();
});
