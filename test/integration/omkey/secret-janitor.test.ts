import type { V1Secret } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ANNOTATION_CREATE_ID, ANNOTATION_DELETION_POLICY, GROUP, OPS_MANAGER_API_KEY_PLURAL, SECRET_FINALIZER, VERSION, type OpsManagerApiKey } from '../../../src/api/types.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { Kube } from '../support/kube.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, useLeakScan } from './helpers.ts';

/**
 * A Secret protected by the operator's finalizer whose resource is gone without its finalizer
 * having run: what kube-apiserver's delete/finalizer race leaves (kubernetes/kubernetes#77988),
 * made deterministically here as a user would, by removing the resource's finalizer by hand
 * while the operator is down and deleting it. The garbage collector then deletes the Secret,
 * which stays Terminating on our finalizer; the restarted operator must delete the key it names
 * (unless Retain) and release it.
 */
describe('omkey: the Secret janitor releases protected Secrets whose resource is gone', function () {
  this.timeout(180_000);
  const s = useOperator();
  const scan = useLeakScan(s);

  /** The Secret as the operator's create wrote it: our finalizer, the create's id, the spec's policy. */
  async function expectProtected(kube: Kube, ns: string, name: string, policy: 'Delete' | 'Retain'): Promise<void> {
    const secret = await kube.secret(ns, name);
    expect(secret?.metadata?.finalizers, `${name}: our finalizer`).to.include(SECRET_FINALIZER);
    expect(secret?.metadata?.annotations?.[ANNOTATION_CREATE_ID], `${name}: the create's id`).to.be.a('string');
    expect(secret?.metadata?.annotations?.[ANNOTATION_DELETION_POLICY], `${name}: the policy`).to.equal(policy);
  }

  /** What the race leaves: the resource gone, its finalizer never run. */
  async function vanish(kube: Kube, ns: string, name: string): Promise<void> {
    const api = { group: GROUP, version: VERSION, namespace: ns, plural: OPS_MANAGER_API_KEY_PLURAL, name };
    const obj = (await kube.getKey(ns, name)) as OpsManagerApiKey;
    await kube.custom.replaceNamespacedCustomObject({ ...api, body: { ...obj, metadata: { ...obj.metadata, finalizers: [] } } });
    await kube.deleteKey(ns, name);
    await waitFor(`${ns}/${name} gone`, async () => (await kube.getKey(ns, name)) === undefined, 30_000);
  }

  /**
   * The garbage collector marks the Secret deleted (its owner is gone); a control plane without
   * one leaves it present. A collector started before the CRDs were installed learns of them at
   * its next discovery sync (30 s): the first suite of a run may wait for it.
   */
  async function terminating(kube: Kube, ns: string, name: string): Promise<boolean> {
    return waitFor(`GC to delete ${ns}/${name}`, async () => ((await kube.secret(ns, name))?.metadata?.deletionTimestamp ? true : undefined), 60_000).catch(() => false);
  }

  /** Gone when it was Terminating; otherwise present without our finalizer (the GC takes it later). */
  async function released(kube: Kube, ns: string, name: string, wasTerminating: boolean): Promise<void> {
    const done = (x: V1Secret | undefined): boolean => (wasTerminating ? x === undefined : !(x?.metadata?.finalizers ?? []).includes(SECRET_FINALIZER));
    await waitFor(`${ns}/${name} released`, async () => done(await kube.secret(ns, name)), 60_000);
  }

  it('Delete: the key deleted in Ops Manager, the Secret gone, an OrphanKeyDeleted Event; Retain: the key kept, the Secret released', async () => {
    const { kube, sim, env, op } = s();
    const ns = scan.track(await env.newNamespace('secret-janitor'));
    await kube.createKey(ns, 'orphan', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.createKey(ns, 'kept', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], deletionPolicy: 'Retain' });
    const orphanKey = (await expectOneLiveKey(s(), ns, 'orphan')).data.keyId ?? '';
    const keptKey = (await expectOneLiveKey(s(), ns, 'kept')).data.keyId ?? '';
    await expectProtected(kube, ns, 'orphan', 'Delete');
    await expectProtected(kube, ns, 'kept', 'Retain');
    await op.stop();
    let gc = { orphan: false, kept: false };
    try {
      await vanish(kube, ns, 'orphan');
      await vanish(kube, ns, 'kept');
      gc = { orphan: await terminating(kube, ns, 'orphan'), kept: await terminating(kube, ns, 'kept') };
      expect(sim.state.apiKeys.has(orphanKey), 'nothing deleted the key while the operator was down').to.equal(true);
      expect((await kube.secret(ns, 'orphan'))?.metadata?.finalizers, 'the Secret held by our finalizer').to.include(SECRET_FINALIZER);
    } finally {
      await op.restart();
    }
    await waitFor('the orphaned key deleted', () => Promise.resolve(!sim.state.apiKeys.has(orphanKey)), 60_000);
    await released(kube, ns, 'orphan', gc.orphan);
    await released(kube, ns, 'kept', gc.kept);
    const events = (await kube.events.listNamespacedEvent({ namespace: ns })).items.filter((e) => e.regarding?.kind === 'Secret');
    const orphaned = events.find((e) => e.reason === 'OrphanKeyDeleted' && e.regarding?.name === 'orphan');
    expect(orphaned?.type).to.equal('Warning');
    expect(orphaned?.note).to.include(orphanKey).and.include('without its finalizer running');
    expect(sim.state.apiKeys.get(keptKey)?.desc, 'Retain: the key stays').to.equal(`${ns}/kept`);
    const retained = events.find((e) => e.reason === 'KeyRetained' && e.regarding?.name === 'kept');
    expect(retained?.note).to.include(keptKey);
    expect(events.some((e) => e.reason === 'OrphanKeyDeleted' && e.regarding?.name === 'kept'), 'no orphan told for the kept key').to.equal(false);
    expect(op.logText()).to.include('secret janitor: deleted the key of a Secret whose resource no longer exists');
    sim.state.apiKeys.delete(keptKey);
  });

  scan.itScans();
});
