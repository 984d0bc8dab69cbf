import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1Secret } from '@kubernetes/client-node';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import type { Victim } from './victims.ts';

/** A create-pending mark as a tenant would forge it, naming someone else's tag (or another connection). */
export function forgedMark(tag: string, connection = 'default'): string {
  return JSON.stringify({ id: `forged-${tag.slice(-6)}`, tag, startedAt: new Date().toISOString(), connection });
}

/** The hash the operator writes beside a pair, computed here by hand: sha256 hex of `publicKey:privateKey`. */
export function forgedPairHash(publicKey: string, privateKey: string): string {
  return createHash('sha256').update(`${publicKey}:${privateKey}`).digest('hex');
}

/**
 * A Secret dressed as one the operator wrote, claiming key `victim` (id and public key) with a
 * private key (made up unless given) whose pair hash is recomputed so that the pair reads as intact.
 */
export function claimingSecret(
  name: string,
  victim: Pick<Victim, 'id' | 'publicKey'>,
  sim: { url: string; orgId: string },
  opts: { owner?: { name: string; uid: string }; privateKey?: string } = {},
): V1Secret {
  const privateKey = opts.privateKey ?? randomUUID();
  const owner = opts.owner ?? { name: 'ghost', uid: randomUUID() };
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
