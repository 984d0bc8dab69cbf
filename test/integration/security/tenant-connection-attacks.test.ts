import { expect } from 'chai';
import type { OpsManagerApiKey } from '../../../src/api/types.ts';
import { isPendingTagOf } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { expectOneLiveKey, useLeakScan } from '../omkey/helpers.ts';
import { useOperator } from '../support/suite.ts';
import type { Kube } from '../support/kube.ts';
import type { Tenant } from '../support/tenant.ts';
import { claimingSecret, forgedMark, hostileSimulator } from './forgeries.ts';
import { snapshot, useVictims } from './victims.ts';

const MARK = 'omkeys.io/create-pending';
const HOSTILE = 'hostile';
/** The harness's default connection, as status names it. */
const DEFAULT = 'ClusterOpsManagerConnection/omkeys-test';

/**
 * A second connection the tenant may use: its credentials in a Secret of the tenant's namespace,
 * naming an Ops Manager that answers with other keys' ids. A namespace's own OpsManagerConnection
 * may not point at a loopback address, so the test's hostile Ops Manager (on loopback) is reached
 * through a cluster connection whose policy serves only the tenant's namespace.
 */
async function hostileConnection(kube: Kube, tenant: Tenant, h: SimHandle, ns: string, orgId: string): Promise<string> {
  const stringData = { publicKey: h.admin.publicKey, privateKey: h.admin.privateKey };
  await tenant.putSecret({ metadata: { name: HOSTILE }, stringData });
  const name = `${HOSTILE}-${ns}`;
  const grant = { namespaces: { names: [ns] }, organizations: [orgId], roles: ['ORG_READ_ONLY', 'ORG_OWNER'], adoption: 'None' };
  const body = {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'ClusterOpsManagerConnection',
    metadata: { name },
    spec: { baseUrl: h.url, credentialsSecretRef: { namespace: ns, name: HOSTILE }, policy: { grants: [grant] } },
  };
  await kube.custom.createClusterCustomObject({ group: 'omkeys.io', version: 'v1alpha1', plural: 'clusteropsmanagerconnections', body }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  });
  return name;
}

async function dropConnection(kube: Kube, name: string): Promise<void> {
  await kube.custom.deleteClusterCustomObject({ group: 'omkeys.io', version: 'v1alpha1', plural: 'clusteropsmanagerconnections', name }).catch(() => undefined);
}

function withoutConnection(o: OpsManagerApiKey): void {
  delete o.spec.connectionRef;
}

/*
 * Issue 20, "How it is proven", the attacks through a connection of the tenant's own (see
 * tenant-attacks.test.ts for the rest): a second Ops Manager the tenant points its resources at,
 * which answers creates with the ids of victims that live in the real one. A key is only ever acted
 * on through the connection that made it; nothing a tenant's connection reports is ever managed
 * through the default connection.
 */
describe('security: a namespace editor\'s own connection cannot name keys of the default one', function () {
  this.timeout(240_000);
  const s = useOperator();
  const scan = useLeakScan(s);
  const { v, tenantIn, expectNoHarm } = useVictims(s, (ns) => scan.track(ns));

  it('5. a hostile connection reports the ids of a key made by hand and of the operator\'s credential; '
    + 'switched to the default connection: new keys there, the victims untouched', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('hostile-connection');
    const victimIds = v().all().map((x) => x.id);
    const hostile = await hostileSimulator(sim.orgId, [v().hand.id, v().operatorKey.id]);
    let conn = '';
    try {
      const before = snapshot(sim, v().all());
      const h = hostile.sim;
      conn = await hostileConnection(kube, tenant, h, ns, sim.orgId);
      const names = ['first', 'second'];
      for (const name of names) {
        const spec = { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef: { kind: 'ClusterOpsManagerConnection' as const, name: conn } };
        await tenant.createKey(name, spec);
      }
      const reported: string[] = [];
      for (const name of names) {
        const o = await kube.waitForReady(ns, name, 60_000);
        expect(o.status?.connection, `${name}'s recorded connection`).to.equal(`ClusterOpsManagerConnection/${conn}`);
        reported.push(o.status?.keyId ?? '');
      }
      const claimed = [v().hand.id, v().operatorKey.id].sort();
      expect([...reported].sort(), 'the ids the hostile connection reported').to.deep.equal(claimed);
      for (const name of names) await tenant.editKey(name, withoutConnection);
      for (const name of names) {
        const { obj } = await expectOneLiveKey(s(), ns, name, 60_000);
        expect(obj.status?.connection, `${name}'s connection`).to.equal(DEFAULT);
        const named = [obj.status?.keyId, obj.status?.previousKeyId];
        for (const id of victimIds) expect(named, `${name}'s status after the switch`).to.not.include(id);
      }
      const left = claimed.filter((id) => h.state.apiKeys.has(id));
      expect(left, 'the reported keys, deleted through the connection that made them').to.deep.equal([]);
      await expectNoHarm(before);
    } finally {
      await dropConnection(kube, conn);
      await hostile.close();
    }
  });

  /**
   * In the tenant's Ops Manager, a key tagged with the resource's uid under the hand-made key's id;
   * the resource's Secret holds its (intact) pair, and its mark names the tenant's connection.
   */
  async function forgeHostileCreate(tenant: Tenant, h: SimHandle, obj: OpsManagerApiKey): Promise<void> {
    const { sim } = s();
    const uid = obj.metadata.uid ?? '';
    const conn = await hostileConnection(s().kube, tenant, h, obj.metadata.namespace ?? '', sim.orgId);
    const roles = [{ orgId: sim.orgId, roleName: 'ORG_OWNER' }];
    const planted = h.state.addKey(sim.orgId, `omkeys-pending:${uid}`, roles);
    expect(planted.id, 'the planted key carries the victim\'s id').to.equal(v().hand.id);
    const owner = { name: obj.metadata.name ?? '', uid };
    const secret = claimingSecret(owner.name, planted, sim, { owner, privateKey: planted.privateKey });
    await tenant.putSecret(secret);
    const mark = forgedMark(`omkeys-pending:${uid}`, `ClusterOpsManagerConnection/${conn}`);
    await tenant.editKey(obj.metadata.name ?? '', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, [MARK]: mark };
    });
  }

  /** The forged mark settled and the resource Ready again on a key of its own, through the default connection. */
  async function settledOnDefault(ns: string, name: string): Promise<void> {
    const victimIds = v().all().map((x) => x.id);
    await waitFor(`${ns}/${name}: the mark settled, Ready on a key of the default connection`, async () => {
      const o = await s().kube.getKey(ns, name);
      const annotation = o?.metadata.annotations?.[MARK];
      const settled = annotation !== undefined && annotation === o?.status?.createSettled;
      const ready = o?.status?.conditions?.find((c) => c.type === 'Ready');
      const readyNow = ready?.status === 'True' && ready.observedGeneration === o?.metadata.generation;
      return settled && readyNow && o?.status?.connection === DEFAULT && !victimIds.includes(o.status.keyId ?? '');
    }, 60_000);
    await expectOneLiveKey(s(), ns, name, 60_000);
  }

  /** Deleting the resource leaves none of its keys (current, earlier, tagged) in the real Ops Manager. */
  async function expectNothingLeft(tenant: Tenant, obj: OpsManagerApiKey, earlier: string[]): Promise<void> {
    const { kube, sim } = s();
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    await tenant.deleteKey(name);
    await waitFor(`${ns}/${name} gone`, async () => (await kube.getKey(ns, name)) === undefined, 60_000);
    const mine = (desc: string, id: string): boolean =>
      desc === `${ns}/${name}` || isPendingTagOf(desc, obj.metadata.uid) || earlier.includes(id);
    const left = [...sim.state.apiKeys.values()].filter((k) => mine(k.desc, k.id)).map((k) => k.id);
    expect(left, 'keys of the deleted resource left in Ops Manager').to.deep.equal([]);
  }

  it('6. on a resource refused by policy: a forged mark naming the tenant\'s connection and a Secret holding '
    + 'the pair of a key tagged there under a victim\'s id; then the spec fixed: no harm, nothing left', async () => {
    const { kube, sim } = s();
    const { ns, tenant } = await tenantIn('mark-hostile');
    const hostile = await hostileSimulator(sim.orgId, [v().hand.id]);
    try {
      const before = snapshot(sim, v().all());
      const obj = await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_OWNER'] });
      await kube.waitForKeyCondition(ns, 'k', 'Ready', 'False', 'PolicyDenied');
      await forgeHostileCreate(tenant, hostile.sim, obj);
      await tenant.editKey('k', (o) => {
        o.spec.roles = ['ORG_READ_ONLY'];
      });
      await settledOnDefault(ns, 'k');
      await expectNoHarm(before);
      await expectNothingLeft(tenant, obj, []);
      await expectNoHarm(before);
    } finally {
      await hostile.close();
    }
  });

  it('6b. the same on a Ready resource, written while the operator is down (seen in one reconcile): its '
    + 'first key retired, no harm, nothing left once deleted', async () => {
    const { sim, op } = s();
    const { ns, tenant } = await tenantIn('mark-hostile-ready');
    const hostile = await hostileSimulator(sim.orgId, [v().hand.id]);
    try {
      const before = snapshot(sim, v().all());
      await tenant.createKey('k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      const { obj, data: first } = await expectOneLiveKey(s(), ns, 'k');
      await op.stop();
      await forgeHostileCreate(tenant, hostile.sim, obj);
      await op.restart();
      await settledOnDefault(ns, 'k');
      await expectNoHarm(before);
      await expectNothingLeft(tenant, obj, [first.keyId ?? '']);
      await expectNoHarm(before);
    } finally {
      await hostile.close();
    }
  });

  scan.itScans();
});
