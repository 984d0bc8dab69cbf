import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { isPendingTagOf } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, pendingKeys, useLeakScan } from './helpers.ts';

const PROTECTION = 'omkeys.io/secret-protection';

describe('omkey: the Secret\'s finalizer (a new key\'s Secret cannot vanish before status records the key)', function () {
  this.timeout(180_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  it('a new key\'s Secret carries the finalizer and its create\'s id; deleted by hand, it is released and the pair replaced', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('secret-fin'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const first = await expectOneLiveKey(s(), ns, 'k');
    const secret = await kube.secret(ns, 'k');
    expect(secret?.metadata?.finalizers).to.deep.equal([PROTECTION]);
    expect(secret?.metadata?.annotations?.['omkeys.io/create-id'], 'the create that made its key').to.be.a('string');
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'k' });
    const replaced = await waitFor('a new pair', async () => {
      const d = await kube.secretData(ns, 'k');
      return d?.keyId && d.keyId !== first.data.keyId ? d : undefined;
    }, 60_000);
    expect(replaced.keyId).to.not.equal(first.data.keyId);
    const after = await expectOneLiveKey(s(), ns, 'k');
    expect(after.data.keyId).to.equal(replaced.keyId);
    expect(sim.state.apiKeys.has(first.data.keyId ?? ''), 'the old key is deleted').to.equal(false);
  });

  it('the process dies after the rename, before Ready, and the Secret is deleted while it is down: the key is recorded, then replaced; nothing is orphaned', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('secret-fin-crash'));
    await op.stop();
    await op.restart({ OMKEYS_FAILPOINTS: 'after-key-update' });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await op.waitForExit();
    const dead = await kube.getKey(ns, 'k');
    expect(dead?.status?.keyId, 'status does not name the key yet').to.equal(undefined);
    const before = await kube.secretData(ns, 'k');
    const renamed = before?.keyId ?? '';
    expect(sim.state.apiKeys.get(renamed)?.desc, 'renamed before the crash: no tag finds it').to.equal(`${ns}/k`);
    if (before?.privateKey) s().privateKeys.add(before.privateKey);
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'k' });
    const held = await kube.secret(ns, 'k');
    expect(held?.metadata?.deletionTimestamp, 'the deletion waits for the operator').to.not.equal(undefined);

    await op.restart({});
    const { data } = await expectOneLiveKey(s(), ns, 'k', 90_000);
    expect(data.keyId, 'a new pair: the deleted Secret held the only copy of the old one').to.not.equal(renamed);
    await waitFor('the renamed key retired', () => Promise.resolve(!sim.state.apiKeys.has(renamed)), 30_000);
    expect(pendingKeys(sim).filter((k) => isPendingTagOf(k.desc, dead?.metadata.uid))).to.deep.equal([]);
  });
});
