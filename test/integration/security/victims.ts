import { expect } from 'chai';
import type { SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { SimClient } from '../../../tools/opsmanager-sim/sim-client.ts';
import { expectOneLiveKey } from '../omkey/helpers.ts';
import { digestGet } from '../support/digest-probe.ts';
import type { Suite } from '../support/suite.ts';
import { Tenant } from '../support/tenant.ts';

/** A key a tenant must never be able to have changed or deleted, with how to tell it still works. */
export interface Victim {
  label: string;
  id: string;
  publicKey: string;
  /** Known only for keys whose pair the test holds (to prove the key still authenticates). */
  privateKey?: string;
}

/** What "exactly as it was" compares: id, description, roles, access list (not its use counters). */
export interface KeyView {
  id: string;
  desc: string;
  publicKey: string;
  roles: Array<{ orgId?: string; groupId?: string; roleName: string }>;
  accessList: Array<{ cidrBlock: string; ipAddress: string | null }>;
}

export function viewOf(sim: SimHandle, id: string): KeyView | undefined {
  const k = sim.state.apiKeys.get(id);
  if (!k) return undefined;
  return {
    id: k.id,
    desc: k.desc,
    publicKey: k.publicKey,
    roles: k.roles.map((r) => ({ ...r })),
    accessList: k.accessList.map((e) => ({ cidrBlock: e.cidrBlock, ipAddress: e.ipAddress })),
  };
}

export type Snapshot = Map<string, KeyView | undefined>;

export function snapshot(sim: SimHandle, victims: readonly Victim[]): Snapshot {
  const snap: Snapshot = new Map();
  for (const v of victims) {
    const view = viewOf(sim, v.id);
    expect(view, `victim ${v.label} exists before the attack`).to.not.equal(undefined);
    snap.set(v.id, view);
  }
  return snap;
}

/**
 * Each victim is as it was, and those whose pair the test holds still authenticate (Digest,
 * with a client apart from the operator's).
 */
export async function expectUntouched(sim: SimHandle, victims: readonly Victim[], before: Snapshot): Promise<void> {
  for (const v of victims) expect(viewOf(sim, v.id), `victim ${v.label} (${v.id})`).to.deep.equal(before.get(v.id));
  for (const v of victims) {
    if (v.privateKey === undefined) continue;
    const k = sim.state.apiKeys.get(v.id);
    const url = `${sim.url}/api/public/v1.0/orgs/${k?.orgId ?? ''}/apiKeys/${v.id}`;
    const res = await digestGet(url, v.publicKey, v.privateKey);
    expect(res.status, `victim ${v.label}'s pair still authenticates`).to.equal(200);
  }
}

/** A key made by a person through Ops Manager's API (not the operator), optionally in a project. */
export async function handMadeKey(
  s: Suite,
  desc: string,
  roles: string[],
  opts: { project?: string; accessList?: string[] } = {},
): Promise<Victim> {
  const { sim } = s;
  const admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
  const res = opts.project
    ? await admin.post(`/groups/${opts.project}/apiKeys`, { desc, roles })
    : await admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc, roles });
  expect(res.status, `hand-made key ${desc}: ${res.text}`).to.equal(200);
  const body = res.body;
  s.privateKeys.add(body.privateKey);
  if (opts.accessList) {
    const entries = opts.accessList.map((ipAddress) => ({ ipAddress }));
    const added = await admin.post(`/orgs/${sim.orgId}/apiKeys/${body.id}/accessList`, entries);
    expect(added.status, `access list of ${desc}: ${added.text}`).to.equal(200);
  }
  // A project-only key cannot read itself through the org endpoint the probe uses.
  const pair = opts.project ? {} : { privateKey: body.privateKey };
  return { label: desc, id: body.id, publicKey: body.publicKey, ...pair };
}

/** The operator keeps serving other namespaces: a key applied in a fresh one becomes Ready with one working key. */
export async function expectServing(s: Suite, track: (ns: string) => string): Promise<void> {
  const ns = track(await s.env.newNamespace('bystander'));
  await s.kube.createKey(ns, 'probe', { orgId: s.sim.orgId, roles: ['ORG_READ_ONLY'] });
  await expectOneLiveKey(s, ns, 'probe', 60_000);
}

export interface TeamB extends Victim {
  namespace: string;
  uid: string;
}

export interface Victims {
  hand: Victim;
  project: Victim;
  operatorKey: Victim;
  teamB: TeamB;
  all(): Victim[];
}

/**
 * The victims of a suite: a key made by hand (org roles and an access list), a key with
 * GROUP_OWNER in a project, the operator's own credential (made once), and team B's key, tracked
 * by a resource in another namespace (made again for each test: the harness deletes every
 * namespace after each).
 */
export function useVictims(s: () => Suite, track: (ns: string) => string): {
  v: () => Victims;
  tenantIn: (prefix: string) => Promise<{ ns: string; tenant: Tenant }>;
  expectNoHarm: (before: Snapshot, list?: Victim[]) => Promise<void>;
} {
  let set: Omit<Victims, 'teamB' | 'all'> | undefined;
  let teamB: TeamB | undefined;
  before(async function () {
    this.timeout(60_000);
    const suite = s();
    const { sim } = suite;
    const hand = await handMadeKey(suite, 'made by hand', ['ORG_MEMBER'], { accessList: ['192.0.2.10'] });
    const project = await handMadeKey(suite, 'project owner', ['GROUP_OWNER'], { project: sim.projectIds[0] ?? '' });
    set = { hand, project, operatorKey: { label: 'the operator\'s own credential', ...sim.admin } };
  });
  beforeEach(async function () {
    this.timeout(60_000);
    const suite = s();
    const { sim, kube, env } = suite;
    const namespace = track(await env.newNamespace('team-b'));
    const obj = await kube.createKey(namespace, 'b', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { data } = await expectOneLiveKey(suite, namespace, 'b');
    const pair = { publicKey: data.publicKey ?? '', privateKey: data.privateKey ?? '' };
    teamB = { label: 'team B\'s tracked key', id: data.keyId ?? '', ...pair, namespace, uid: obj.metadata.uid ?? '' };
  });
  const v = (): Victims => {
    if (!set || !teamB) throw new Error('victims not made');
    const all = [set.hand, set.project, set.operatorKey, teamB];
    return { ...set, teamB, all: () => all };
  };
  return {
    v,
    tenantIn: async (prefix: string) => {
      const ns = track(await s().env.newNamespace(prefix));
      return { ns, tenant: await Tenant.of(s().env, ns) };
    },
    /** Every victim as it was; team B Ready on its key, its pair in its Secret; another namespace served. */
    expectNoHarm: async (before: Snapshot, list: Victim[] = v().all()) => {
      const { kube, sim } = s();
      const b = v().teamB;
      await expectUntouched(sim, list, before);
      const obj = await kube.waitForReady(b.namespace, 'b');
      expect(obj.status?.keyId, 'team B\'s status').to.equal(b.id);
      const data = await kube.secretData(b.namespace, 'b');
      expect(data?.keyId, 'team B\'s Secret').to.equal(b.id);
      expect(data?.privateKey === b.privateKey, 'team B\'s Secret still holds its working pair').to.equal(true);
      await expectServing(s(), track);
    },
  };
}
