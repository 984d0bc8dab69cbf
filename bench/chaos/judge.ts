// What "the world is right" means, judged on one snapshot of the API server and Ops Manager.
// Pure: the expectations are derived from the live objects, never from what the churn meant.
import type { V1Secret } from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, MANAGED_BY_VALUE, type OpsManagerApiKey, type ProjectKeyBinding } from '../../src/api/types.ts';
import type { Kube } from '../../test/integration/support/kube.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import type { ApiKey } from '../../tools/opsmanager-sim/state.ts';

export interface Snapshot {
  at: number;
  keys: OpsManagerApiKey[];
  bindings: ProjectKeyBinding[];
  /** The operator's Secrets' data, by `namespace/name`. */
  secrets: Map<string, Record<string, string>>;
  /** The uid of each of those Secrets' controller (ownerReference with controller: true). */
  secretOwners: Map<string, string | undefined>;
  simKeys: ApiKey[];
  adminKeyId: string;
}

export async function snapshot(kube: Kube, sim: SimHandle): Promise<Snapshot> {
  const list = async <T>(plural: string): Promise<T[]> =>
    ((await kube.custom.listClusterCustomObject({ group: 'omkeys.io', version: 'v1alpha1', plural })) as { items: T[] }).items;
  const [keys, bindings, secretList] = await Promise.all([
    list<OpsManagerApiKey>('opsmanagerapikeys'),
    list<ProjectKeyBinding>('projectkeybindings'),
    kube.core.listSecretForAllNamespaces({ labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}` }),
  ]);
  const secrets = new Map(secretList.items.map((s: V1Secret) => [
    `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`,
    Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
  ]));
  const secretOwners = new Map(secretList.items.map((s: V1Secret) => [
    `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`,
    s.metadata?.ownerReferences?.find((o) => o.controller)?.uid,
  ]));
  return { at: Date.now(), keys, bindings, secrets, secretOwners, simKeys: [...sim.state.apiKeys.values()].map((k) => ({ ...k, roles: [...k.roles], accessList: [...k.accessList] })), adminKeyId: sim.admin.id };
}

export const idOf = (o: { metadata: { namespace?: string; name?: string } }, kind: string): string => `${kind} ${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
export const secretOf = (k: OpsManagerApiKey): string => `${k.metadata.namespace ?? ''}/${k.spec.secret?.name ?? k.metadata.name ?? ''}`;

function ready(o: OpsManagerApiKey | ProjectKeyBinding): { status?: string; reason?: string; message?: string; current: boolean } {
  const c = o.status?.conditions?.find((x) => x.type === 'Ready');
  return { status: c?.status, reason: c?.reason, message: c?.message, current: c?.observedGeneration === o.metadata.generation };
}

function isOlder(a: ProjectKeyBinding, b: ProjectKeyBinding): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta !== tb ? ta < tb : (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/** The key a binding refers to, if it lives; and whether the binding should own the assignment. */
function bindingTruth(b: ProjectKeyBinding, s: Snapshot): { key?: OpsManagerApiKey; expect: 'Ready' | 'KeyNotFound' | 'Conflict' } {
  const key = s.keys.find((k) => k.metadata.namespace === b.metadata.namespace && k.metadata.name === b.spec.apiKeyRef.name && !k.metadata.deletionTimestamp);
  if (!key) return { expect: 'KeyNotFound' };
  if (key.spec.projectId === b.spec.projectId) return { key, expect: 'Conflict' };
  const rival = s.bindings.some((o) => o !== b && !o.metadata.deletionTimestamp && o.metadata.namespace === b.metadata.namespace
    && o.spec.apiKeyRef.name === b.spec.apiKeyRef.name && o.spec.projectId === b.spec.projectId && isOlder(o, b));
  return { key, expect: rival ? 'Conflict' : 'Ready' };
}

const roleSet = (roles: ReadonlyArray<{ orgId?: string; groupId?: string; roleName: string }>): string[] =>
  roles.map((r) => (r.groupId ? `group:${r.groupId}:${r.roleName}` : `org:${r.orgId ?? ''}:${r.roleName}`)).sort();
const cidr = (e: { ipAddress?: string; cidrBlock?: string }): string => e.cidrBlock ?? `${e.ipAddress ?? ''}/32`;
const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The roles Ops Manager must give a key: its own, plus those of every binding that owns an assignment of it. */
export function expectedRoles(k: OpsManagerApiKey, s: Snapshot, orgId: string): string[] {
  const own = [...new Set(k.spec.roles)].map((roleName) => (k.spec.projectId ? { groupId: k.spec.projectId, roleName } : { orgId, roleName }));
  const bound = s.bindings
    .filter((b) => !b.metadata.deletionTimestamp && b.metadata.namespace === k.metadata.namespace && b.spec.apiKeyRef.name === k.metadata.name)
    .filter((b) => bindingTruth(b, s).expect === 'Ready')
    .flatMap((b) => [...new Set(b.spec.roles)].map((roleName) => ({ groupId: b.spec.projectId, roleName })));
  return roleSet([...own, ...bound]);
}

/** undefined when the key is as it must be; otherwise what is not. */
export function judgeKey(k: OpsManagerApiKey, s: Snapshot): string | undefined {
  if (k.metadata.deletionTimestamp) return 'still being deleted';
  const r = ready(k);
  if (r.status !== 'True' || !r.current) {
    const owner = s.secretOwners.get(secretOf(k));
    // Whose Secret is in the way, and whether that owner still exists (the garbage collector's part).
    const foreign = owner !== undefined && owner !== k.metadata.uid
      ? `; Secret ${secretOf(k)} is controlled by uid ${owner} (${s.keys.some((o) => o.metadata.uid === owner) ? 'alive' : 'gone: the garbage collector has not deleted it'})`
      : '';
    return `Ready=${r.status ?? '?'} (${r.reason ?? '?'}${r.current ? '' : ', old generation'}): ${r.message ?? ''}${foreign}`;
  }
  const mark = k.metadata.annotations?.['omkeys.io/create-pending'];
  if (mark !== undefined && mark !== k.status?.createSettled) return 'a create is still marked pending';
  const keyId = k.status?.keyId ?? '';
  const data = s.secrets.get(secretOf(k));
  if (!data) return `Secret ${secretOf(k)} missing`;
  if (data.keyId !== keyId) return `Secret names key ${data.keyId ?? '-'}, status ${keyId}`;
  const om = s.simKeys.find((x) => x.id === keyId);
  if (!om) return `key ${keyId} is not in Ops Manager`;
  if (data.publicKey !== om.publicKey || k.status?.publicKey !== om.publicKey) return `public key differs (Secret ${data.publicKey ?? '-'}, status ${k.status?.publicKey ?? '-'}, Ops Manager ${om.publicKey})`;
  if (data.privateKey !== om.privateKey) return 'the Secret\'s private key is not the key\'s';
  const desc = k.spec.description ?? `${k.metadata.namespace ?? ''}/${k.metadata.name ?? ''}`;
  if (om.desc !== desc) return `description in Ops Manager "${om.desc}", spec "${desc}"`;
  const want = expectedRoles(k, s, om.orgId);
  const have = roleSet(om.roles);
  if (!same(want, have)) return `roles in Ops Manager [${have.join(' ')}], spec and bindings [${want.join(' ')}]`;
  const wantList = [...new Set((k.spec.accessList ?? []).map(cidr))].sort();
  const haveList = om.accessList.map((e) => e.cidrBlock).sort();
  if (!same(wantList, haveList)) return `access list in Ops Manager [${haveList.join(' ')}], spec [${wantList.join(' ')}]`;
  return undefined;
}

export function judgeBinding(b: ProjectKeyBinding, s: Snapshot): string | undefined {
  if (b.metadata.deletionTimestamp) return 'still being deleted';
  const truth = bindingTruth(b, s);
  const r = ready(b);
  if (truth.expect !== 'Ready') {
    return r.status === 'False' && r.reason === truth.expect && r.current ? undefined : `expected Ready=False (${truth.expect}), has Ready=${r.status ?? '?'} (${r.reason ?? '?'}): ${r.message ?? ''}`;
  }
  if (r.status !== 'True' || !r.current) return `Ready=${r.status ?? '?'} (${r.reason ?? '?'}${r.current ? '' : ', old generation'}): ${r.message ?? ''}`;
  const keyId = truth.key?.status?.keyId;
  if (b.status?.keyId !== keyId) return `status names key ${b.status?.keyId ?? '-'}, its key holds ${keyId ?? '-'}`;
  const om = s.simKeys.find((x) => x.id === keyId);
  const have = (om?.roles ?? []).filter((x) => x.groupId === b.spec.projectId).map((x) => x.roleName).sort();
  const want = [...new Set(b.spec.roles)].sort();
  if (!same(have, want)) return `roles in project ${b.spec.projectId}: [${have.join(' ')}], spec [${want.join(' ')}]`;
  return undefined;
}

/**
 * Every Ops Manager key but the bootstrap admin is the current or grace key of exactly one live
 * resource (current: named by its status or its Secret; grace: status.previousKeyId).
 */
export function judgeOwnership(s: Snapshot): Array<{ subject: string; detail: string; invariant: 'orphan-key' | 'duplicate-key' }> {
  const owners = new Map<string, Set<string>>();
  const own = (keyId: string | undefined, who: string): void => {
    if (!keyId) return;
    const set = owners.get(keyId) ?? new Set<string>();
    set.add(who);
    owners.set(keyId, set);
  };
  for (const k of s.keys) {
    const who = idOf(k, 'OpsManagerApiKey');
    own(k.status?.keyId, who);
    own(k.status?.previousKeyId, who);
    own(s.secrets.get(secretOf(k))?.keyId, who);
  }
  const out: Array<{ subject: string; detail: string; invariant: 'orphan-key' | 'duplicate-key' }> = [];
  for (const key of s.simKeys) {
    if (key.id === s.adminKeyId) continue;
    const o = owners.get(key.id);
    if (!o || o.size === 0) out.push({ invariant: 'orphan-key', subject: `key ${key.id}`, detail: `"${key.desc}" belongs to no live resource` });
    else if (o.size > 1) out.push({ invariant: 'duplicate-key', subject: `key ${key.id}`, detail: `claimed by ${[...o].join(', ')}` });
  }
  return out;
}
