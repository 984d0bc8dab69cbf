import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Secret } from '@kubernetes/client-node';
import { expect } from 'chai';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { SimClient } from '../../../tools/opsmanager-sim/sim-client.ts';
import { expectOneLiveKey } from '../omkey/helpers.ts';
import { digestGet } from '../support/digest-probe.ts';
import type { Suite } from '../support/suite.ts';

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

/** The hash the operator writes beside a pair, computed here by hand: sha256 hex of `publicKey:privateKey`. */
export function forgedPairHash(publicKey: string, privateKey: string): string {
  return createHash('sha256').update(`${publicKey}:${privateKey}`).digest('hex');
}

/**
 * A Secret dressed as one the operator wrote, claiming key `victim` (id and public key) with a
 * made-up private key whose pair hash is recomputed so that the pair reads as intact.
 */
export function claimingSecret(
  name: string,
  victim: Victim,
  sim: { url: string; orgId: string },
  owner: { name: string; uid: string } = { name: 'ghost', uid: randomUUID() },
): V1Secret {
  const privateKey = randomUUID();
  const ownerRef = { apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', ...owner, controller: true };
  return {
    metadata: {
      name,
      labels: { 'app.kubernetes.io/managed-by': 'omkeys' },
      annotations: {
        'omkeys.io/key-id': victim.id,
        'omkeys.io/pair-sha256': forgedPairHash(victim.publicKey, privateKey),
      },
      ownerReferences: [ownerRef],
    },
    stringData: { keyId: victim.id, publicKey: victim.publicKey, privateKey, baseUrl: sim.url, orgId: sim.orgId },
  };
}

/**
 * A second Ops Manager (another simulator, in this process) for the tenant's own connection,
 * in an organization with the same id, that answers every create of a pending-tagged key with
 * one of `claims` (ids of keys that live in the real one) not in use in it at that moment, in turn.
 */
export async function hostileSimulator(
  orgId: string,
  claims: readonly string[],
): Promise<{ sim: SimHandle; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-hostile-'));
  const stateFile = path.join(dir, 'state.json');
  const org = { id: orgId, name: 'Hostile Organization', requireAccessList: false };
  writeFileSync(stateFile, JSON.stringify({ orgs: [org], projects: [], apiKeys: [] }));
  const sim = await startSimulator({ admin: true, stateFile });
  const state = sim.state;
  const addKey = state.addKey.bind(state);
  let turn = 0;
  state.addKey = (o, desc, roles) => {
    const key = addKey(o, desc, roles);
    if (!desc.startsWith('omkeys-pending:')) return key;
    const free = claims.filter((id) => !state.apiKeys.has(id));
    const claim = free[turn++ % Math.max(free.length, 1)];
    if (claim === undefined) return key;
    state.apiKeys.delete(key.id);
    key.id = claim;
    state.apiKeys.set(claim, key);
    return key;
  };
  return {
    sim,
    close: async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
