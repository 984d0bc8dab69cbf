import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { isPendingTagOf } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, pendingKeys, useLeakScan } from './helpers.ts';

/** The finalizer earlier versions put on the Secrets they wrote; this one only takes it off. */
const LEGACY = 'omkeys.io/secret-protection';

describe('omkey: the Secret is output (no finalizer; status is the record)', function () {
  this.timeout(180_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  it('a new key\'s Secret carries no finalizer: deleted by hand it goes at once, and the pair is replaced', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('secret-out'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const first = await expectOneLiveKey(s(), ns, 'k');
    const secret = await kube.secret(ns, 'k');
    expect(secret?.metadata?.finalizers ?? []).to.deep.equal([]);
    expect(Object.keys(secret?.metadata?.annotations ?? {}).filter((a) => a.startsWith('omkeys.io/')).sort()).to.deep.equal(['omkeys.io/data-sha256', 'omkeys.io/key-id', 'omkeys.io/pair-sha256', 'omkeys.io/template-sha256']);
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'k' });
    const replaced = await waitFor('a new pair', async () => {
      const d = await kube.secretData(ns, 'k');
      return d?.keyId && d.keyId !== first.data.keyId ? d : undefined;
    }, 60_000);
    const after = await expectOneLiveKey(s(), ns, 'k');
    expect(after.data.keyId).to.equal(replaced.keyId);
    expect(sim.state.apiKeys.has(first.data.keyId ?? ''), 'the old key is deleted').to.equal(false);
  });

  it('a Secret an earlier version protected with its finalizer gets it taken off, whether its resource exists or not', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('secret-legacy'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await expectOneLiveKey(s(), ns, 'k');
    const written = await kube.core.readNamespacedSecret({ namespace: ns, name: 'k' });
    await kube.core.replaceNamespacedSecret({ namespace: ns, name: 'k', body: { ...written, metadata: { ...written.metadata, finalizers: [LEGACY] } } });
    // As an earlier version left one whose resource is gone: owned by a uid that never existed.
    await kube.core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: {
          name: 'orphaned',
          labels: { 'app.kubernetes.io/managed-by': 'omkeys' },
          finalizers: [LEGACY],
          ownerReferences: [{ apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', name: 'gone', uid: '00000000-0000-0000-0000-000000000001', controller: true }],
        },
        data: { keyId: Buffer.from('0123456789abcdef01234567').toString('base64') },
      },
    });
    await waitFor('the finalizer taken off both', async () => {
      const [a, b] = await Promise.all([kube.secret(ns, 'k'), kube.secret(ns, 'orphaned')]);
      return !(a?.metadata?.finalizers ?? []).includes(LEGACY) && (b === undefined || !(b.metadata?.finalizers ?? []).includes(LEGACY));
    }, 60_000);
    // Its owner never existed: the garbage collector may delete it first, once nothing holds it.
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'orphaned' }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 404) throw err;
    });
    await waitFor('the orphaned Secret gone', async () => (await kube.secret(ns, 'orphaned')) === undefined, 30_000);
  });

  it('the process dies after the rename, before Ready: status already records the key, which ends Ready; nothing is orphaned', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('secret-out-crash'));
    await op.stop();
    await op.restart({ OMKEYS_FAILPOINTS: 'after-key-update' });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await op.waitForExit();
    const dead = await kube.getKey(ns, 'k');
    const renamed = dead?.status?.keyId ?? '';
    expect(renamed, 'recorded before the rename').to.not.equal('');
    expect(sim.state.apiKeys.get(renamed)?.desc).to.equal(`${ns}/k`);
    await op.restart({});
    const { data } = await expectOneLiveKey(s(), ns, 'k', 90_000);
    expect(data.keyId, 'the same key: its pair is in the Secret').to.equal(renamed);
    expect(pendingKeys(sim).filter((k) => isPendingTagOf(k.desc, dead?.metadata.uid))).to.deep.equal([]);
  });
});
