// Flux's reconcile request and deletionPolicy Retain on the real API server: a requested
// reconcile reads Ops Manager inside the freshness window and is recorded as handled; a Retain
// resource lets its Secret go (one patch carrying its resourceVersion) before its finalizer.
import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { waitForEvent } from '../omkey/helpers.ts';
import { kubectl } from '../support/kubectl.ts';
import { useOperator } from '../support/suite.ts';

const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

describe('reconcile.fluxcd.io/requestedAt and deletionPolicy Retain', () => {
  const s = useOperator();

  it('a requested reconcile reads Ops Manager at once (a hand edit there is put back) and records lastHandledReconcileAt', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('flux-request');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, description: 'as declared', roles: ['ORG_READ_ONLY'] });
    const ready = await kube.waitForReady(ns, 'k');
    const keyId = ready.status?.keyId ?? '';
    // Within the freshness window (60 s) a reconcile of an unchanged resource would not read
    // Ops Manager; the request does, so the edit is put back before its status is written.
    const key = sim.state.apiKeys.get(keyId);
    if (!key) throw new Error('key not in the simulator');
    key.desc = 'edited in the UI';
    await kube.annotateKey(ns, 'k', { [REQUESTED_AT]: '2026-12-07T10:00:00Z' });
    const handled = await waitFor('request handled', async () => {
      const o = await kube.getKey(ns, 'k');
      return o?.status?.lastHandledReconcileAt === '2026-12-07T10:00:00Z' ? o : undefined;
    }, 30_000);
    expect(sim.state.apiKeys.get(keyId)?.desc, 'put back by the requested reconcile').to.equal('as declared');
    expect(handled.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    expect((await waitForEvent(kube, ns, 'k', 'DriftCorrected')).type).to.equal('Warning');

    await kube.createBinding(ns, 'b', { apiKeyRef: { name: 'k' }, projectId: sim.projectIds[0] ?? '', roles: ['GROUP_READ_ONLY'] });
    await waitFor('bound', async () => (await kube.getBinding(ns, 'b'))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') || undefined, 30_000);
    const annotated = await kubectl(['annotate', '-n', ns, 'projectkeybinding/b', `${REQUESTED_AT}=again`]);
    expect(annotated.code, annotated.out).to.equal(0);
    await waitFor('binding request handled', async () => ((await kube.getBinding(ns, 'b'))?.status?.lastHandledReconcileAt === 'again' ? true : undefined), 30_000);
  });

  it('Retain keeps the Secret: its ownerReference is removed before the finalizer, an Event says so; a new resource of that name finds it in the way', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('retain-secret');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], deletionPolicy: 'Retain' });
    const ready = await kube.waitForReady(ns, 'k');
    const before = await kube.secretData(ns, 'k');
    s().privateKeys.add(before?.privateKey ?? '');
    expect((await kube.secret(ns, 'k'))?.metadata?.ownerReferences?.map((r) => r.uid)).to.deep.equal([ready.metadata.uid]);

    await kube.deleteKey(ns, 'k');
    await waitFor('resource gone', async () => ((await kube.getKey(ns, 'k')) === undefined ? true : undefined), 30_000);
    const kept = await kube.secret(ns, 'k');
    expect(kept, 'the Secret outlives its resource').to.not.equal(undefined);
    expect(kept?.metadata?.ownerReferences ?? [], 'nobody owns it any more').to.deep.equal([]);
    expect(await kube.secretData(ns, 'k'), 'the pair is intact').to.deep.equal(before);
    expect(sim.state.apiKeys.has(ready.status?.keyId ?? ''), 'the key stays in Ops Manager').to.equal(true);
    const ev = await waitForEvent(kube, ns, 'k', 'SecretRetained');
    expect(ev.type).to.equal('Normal');
    expect(ev.note).to.match(/Secret k is kept/);

    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const blocked = await waitFor('in the way', async () => {
      const o = await kube.getKey(ns, 'k');
      return o?.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True' && c.reason === 'SecretConflict') ? o : undefined;
    }, 30_000);
    expect(blocked.status?.keyId, 'no key made while the kept Secret is in the way').to.equal(undefined);
    expect(await kube.secretData(ns, 'k'), 'the kept Secret is left untouched').to.deep.equal(before);
  });
});
