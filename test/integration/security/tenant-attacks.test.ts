import { expect } from 'chai';
import type { OpsManagerApiKey } from '../../../src/api/types.ts';
import { isPendingTagOf } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { expectOneLiveKey, useLeakScan } from '../omkey/helpers.ts';
import { kubectl } from '../support/kubectl.ts';
import { useOperator } from '../support/suite.ts';
import { claimingSecret, forgedMark } from './forgeries.ts';
import { handMadeKey, snapshot, useVictims } from './victims.ts';

const MARK = 'omkeys.io/create-pending';
const LEGACY_FINALIZER = 'omkeys.io/secret-protection';

function readyNow(o: OpsManagerApiKey | undefined): boolean {
  const gen = o?.metadata.generation;
  const ready = o?.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && ready.observedGeneration === gen;
}

function ownerOf(obj: OpsManagerApiKey): { owner: { name: string; uid: string } } {
  return { owner: { name: obj.metadata.name ?? '', uid: obj.metadata.uid ?? '' } };
}

function messages(obj: OpsManagerApiKey): string {
  return (obj.status?.conditions ?? []).map((c) => c.message).join('\n');
}

/*
 * The tenant is a namespace editor (its own ServiceAccount, bound in its namespace to Kubernetes'
 * `edit` role, which aggregates the omkeys-edit role we ship: keys, bindings, connections,
 * Secrets and ConfigMaps, never a status subresource), never the admin. Each attack waits for its own outcome; then every victim
 * must be exactly as it was, and the operator must still serve a namespace it has never seen.
 * The attacks through a connection of the tenant's are in tenant-connection-attacks.test.ts.
 */
describe('security: a namespace editor cannot turn the operator against keys that are not theirs', function () {
  this.timeout(240_000);
  const s = useOperator();
  const scan = useLeakScan(s);
  const { v, tenantIn, expectNoHarm } = useVictims(s, (ns) => scan.track(ns));

  it('the tenant gets its own key, reads nothing of another namespace, cannot write status (403)', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('tenant-rbac');
    const before = snapshot(sim, v().all());
    await tenant.createKey('own', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { obj } = await expectOneLiveKey(s(), ns, 'own');
    const forged = { ...obj.status, keyId: v().hand.id, publicKey: v().hand.publicKey };
    const code = await tenant.tryWriteStatus('own', forged);
    expect(code, 'a status write by the tenant').to.equal(403);
    expect((await kube.getKey(ns, 'own'))?.status?.keyId, 'status unchanged').to.equal(obj.status?.keyId);
    const read = tenant.core.readNamespacedSecret({ namespace: v().teamB.namespace, name: 'b' });
    const readCode = await read.then(() => 200, (err: unknown) => statusOf(err));
    expect(readCode, 'the tenant reads team B\'s Secret').to.equal(403);
    await expectNoHarm(before);
  });

  it('1. forged Secrets (legacy finalizer, owner uid that never existed, keyId of each victim): no harm, '
    + 'the finalizer taken off, kubectl delete completes', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('forged-secret');
    const before = snapshot(sim, v().all());
    const names = v().all().map((_v, i) => `forged-${i}`);
    for (const [i, victim] of v().all().entries()) {
      const body = claimingSecret(names[i] ?? '', victim, sim);
      body.metadata = { ...body.metadata, finalizers: [LEGACY_FINALIZER] };
      await tenant.putSecret(body);
    }
    // Only the operator takes this finalizer off: the tenant does not, and the garbage collector
    // (the owner never existed) may delete the Secret but never removes a finalizer.
    for (const name of names) {
      await waitFor(`${LEGACY_FINALIZER} taken off Secret ${ns}/${name}`, async () => {
        const secret = await kube.secret(ns, name);
        return !secret || !(secret.metadata?.finalizers ?? []).includes(LEGACY_FINALIZER);
      }, 30_000);
    }
    for (const name of names) {
      const res = await kubectl(['delete', 'secret', name, '-n', ns, '--ignore-not-found', '--timeout=30s']);
      expect(res.code, `kubectl delete secret ${name}: ${res.out}`).to.equal(0);
      expect(await kube.secret(ns, name), `Secret ${name} gone`).to.equal(undefined);
    }
    await expectNoHarm(before);
  });

  it('2. a refused resource\'s Secret written with team B\'s key id and a recomputed pair hash, then the spec '
    + 'fixed: the tenant gets its own key, team B keeps its', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('other-team');
    const before = snapshot(sim, v().all());
    const obj = await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_OWNER'] });
    await kube.waitForKeyCondition(ns, 'k', 'Ready', 'False', 'PolicyDenied');
    await tenant.putSecret(claimingSecret('k', v().teamB, sim, ownerOf(obj)));
    await tenant.editKey('k', (o) => {
      o.spec.roles = ['ORG_READ_ONLY'];
    });
    const { data } = await expectOneLiveKey(s(), ns, 'k', 60_000);
    expect(data.keyId, 'a key of its own').to.not.equal(v().teamB.id);
    await expectNoHarm(before);
  });

  it('3. a forged create-pending mark naming team B\'s uid, and a Secret claiming a key made by hand, on a Ready '
    + 'resource: only the tenant\'s own key is replaced', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('forged-mark');
    // A key carrying team B's pending tag: the forged mark's tag names it, and only team B's sweep may.
    const tagged = await handMadeKey(s(), `omkeys-pending:${v().teamB.uid}`, ['ORG_READ_ONLY']);
    const all = [...v().all(), tagged];
    await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { obj } = await expectOneLiveKey(s(), ns, 'k');
    const before = snapshot(sim, all);
    await tenant.putSecret(claimingSecret('k', v().hand, sim, ownerOf(obj)));
    const mark = forgedMark(`omkeys-pending:${v().teamB.uid}`);
    await tenant.editKey('k', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, [MARK]: mark };
    });
    await waitFor(`${ns}/k: the mark settled, the Secret naming the key status names`, async () => {
      const o = await kube.getKey(ns, 'k');
      const d = await kube.secretData(ns, 'k');
      const annotation = o?.metadata.annotations?.[MARK];
      const settled = annotation !== undefined && annotation === o?.status?.createSettled;
      return readyNow(o) && settled && d?.keyId === o?.status?.keyId && d?.keyId !== v().hand.id;
    }, 60_000);
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    expect(all.map((v) => v.id), 'the tenant\'s key is none of the victims').to.not.include(data.keyId);
    await expectNoHarm(before, all);
  });

  it('3b. a forged mark naming the operator\'s credential on a refused resource, its Secret claiming that '
    + 'credential, then the spec fixed: a new key of its own', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('forged-mark-op');
    const before = snapshot(sim, v().all());
    const marked = { [MARK]: forgedMark(`omkeys-pending:${v().operatorKey.id}`) };
    const obj = await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_OWNER'] }, marked);
    await kube.waitForKeyCondition(ns, 'k', 'Ready', 'False', 'PolicyDenied');
    await tenant.putSecret(claimingSecret('k', v().operatorKey, sim, ownerOf(obj)));
    await tenant.editKey('k', (o) => {
      o.spec.roles = ['ORG_READ_ONLY'];
      const own = forgedMark(`omkeys-pending:${obj.metadata.uid ?? ''}`);
      o.metadata.annotations = { ...o.metadata.annotations, [MARK]: own };
    });
    const { data } = await expectOneLiveKey(s(), ns, 'k', 60_000);
    expect(v().all().map((v) => v.id), 'the tenant\'s key is none of the victims').to.not.include(data.keyId);
    await expectNoHarm(before);
  });

  it('4. spec.adopt with rotate: true of a key with GROUP_OWNER in a project (PolicyDenied), of the operator\'s credential, '
    + 'of a key team B tracks: refused, nothing made, nothing changed', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('adopt-theft');
    const before = snapshot(sim, v().all());
    const targets = { project: v().project.id, operator: v().operatorKey.id, 'team-b': v().teamB.id };
    const uids: string[] = [];
    for (const [name, keyId] of Object.entries(targets)) {
      const spec = { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], adopt: { keyId, rotate: true } };
      const o = await tenant.createKey(name, spec);
      uids.push(o.metadata.uid ?? '');
    }
    // The default connection's policy grants this namespace no adoption by rotation (it proves nothing).
    const project = await kube.waitForKeyCondition(ns, 'project', 'Ready', 'False', 'PolicyDenied');
    expect(messages(project)).to.match(/adopt/i);
    const op = await kube.waitForKeyCondition(ns, 'operator', 'Ready', 'False', 'AdoptionRefused');
    expect(messages(op), 'refused as the connection\'s own credential').to.match(/credential/);
    const b = await kube.waitForKeyCondition(ns, 'team-b', 'Ready', 'False', 'AdoptionConflict');
    expect(messages(b)).to.include(`${v().teamB.namespace}/b`);
    for (const name of Object.keys(targets)) {
      expect((await kube.getKey(ns, name))?.status?.keyId, `${name} tracks no key`).to.equal(undefined);
      expect(await kube.secret(ns, name), `${name} has no Secret`).to.equal(undefined);
    }
    const keys = [...sim.state.apiKeys.values()];
    const made = keys.filter((k) => k.desc.startsWith(`${ns}/`) || uids.some((u) => isPendingTagOf(k.desc, u)));
    expect(made.map((k) => k.id), 'keys made for the tenant').to.deep.equal([]);
    const owners = keys.filter((k) => k.roles.some((r) => r.roleName === 'GROUP_OWNER')).map((k) => k.id);
    expect(owners, 'keys with GROUP_OWNER').to.deep.equal([v().project.id]);
    await expectNoHarm(before);
  });

  scan.itScans();
});
