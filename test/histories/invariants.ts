import { findCondition, Reason } from '../../src/api/conditions.ts';
import type { Condition, OpsManagerApiKey, ProjectKeyBinding } from '../../src/api/types.ts';
import { canonicalCidr, wantedCidrs } from '../../src/controllers/opsmanagerapikey/access-list.ts';
import { parsePendingTag } from '../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { buildSecret, decodeSecretData, desiredDescription, isOwnedBy, materialFromSecret, secretMatches, secretName } from '../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { keyVerdict } from '../../src/controllers/shared/policy.ts';
import { collect, OpsManagerClient } from '../../src/opsmanager/client.ts';
import type { ApiKey } from '../../tools/opsmanager-sim/state.ts';
import { adoptedKeys, adoptionExpected, checkAdoption } from './adoption.ts';
import type { Violation, World } from './world.ts';

// The promises of docs/crash-safety.md and issue 10, checked on a settled world. Each check
// has a name, so that a failing seed says which promise broke.

const PENDING_PREFIX = 'omkeys-pending:';
const same = (a: readonly string[], b: readonly string[]): boolean => JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort());
const isReady = (conds: readonly Condition[] | undefined): boolean => findCondition(conds, 'Ready')?.status === 'True';
const refOf = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export async function checkInvariants(w: World): Promise<Violation[]> {
  const out: Violation[] = [];
  const v = (check: string, message: string): void => void out.push({ check, message });
  const { sim } = w.fixture;
  const omKeys = sim.state.keysOfOrg(sim.orgId).filter((k) => k.id !== sim.admin.id);
  const keys = w.liveKeys();
  const bindings = w.liveBindings();

  // Tracking: every key is some resource's current or grace key, and only one's.
  const trackers = new Map<string, string[]>();
  const track = (id: string | undefined, who: string): void => {
    if (id) trackers.set(id, [...(trackers.get(id) ?? []), who]);
  };
  // Status is the record: the Secret is output, checked against it only when Ready (checkReadyKey).
  for (const k of keys) {
    const current = new Set([k.status?.keyId].filter((x): x is string => !!x));
    const prev = k.status?.previousKeyId;
    if (prev && current.has(prev)) v('one-current-key', `${refOf(k)}: previousKeyId ${prev} is also its current key`);
    for (const id of current) track(id, `${refOf(k)} (current)`);
    if (prev && !current.has(prev)) track(prev, `${refOf(k)} (grace)`);
    if (k.metadata.deletionTimestamp) v('deletion-completes', `${refOf(k)} is still being deleted (finalizers ${JSON.stringify(k.metadata.finalizers)})`);
    if (openCreateMark(k)) v('no-pending-create', `${refOf(k)} still has an open create-pending mark`);
  }
  // A key made by hand is the administrator's, like the keys of Retain resources, until a resource adopts it.
  const adopted = adoptedKeys(w);
  const connKeys = new Set(Object.values(w.victims.conn).map((c) => c.id));
  const live = new Set(keys.map((k) => k.metadata.uid));
  for (const key of omKeys) {
    if ((w.foreignKeys.has(key.id) && !adopted.has(key.id)) || w.retained.has(key.id) || connKeys.has(key.id)) continue;
    // A tenant that forged or removed its resource's mark may leave its own tagged key until the
    // resource goes (then it is the janitor's).
    const tagUid = parsePendingTag(key.desc)?.uid;
    if (tagUid !== undefined && live.has(tagUid) && w.marksTampered.has(tagUid)) continue;
    const by = trackers.get(key.id) ?? [];
    if (by.length === 0) v('no-orphan-key', `Ops Manager key ${key.id} (${key.desc}; roles ${roleText(key)}) is tracked by no resource`);
    if (by.length > 1) v('tracked-once', `Ops Manager key ${key.id} is tracked by ${by.join(', ')}`);
    if (key.desc.startsWith(PENDING_PREFIX)) v('no-pending-tag', `Ops Manager key ${key.id} still carries the pending tag ${key.desc}`);
  }
  for (const [id, before] of w.foreignKeys) {
    const now = sim.state.apiKeys.get(id);
    if (adopted.has(id)) continue;
    const claims = keys.filter((k) => k.spec.adopt?.keyId === id).map(refOf);
    const by = claims.length > 0 ? ` (adopting it, not Ready with it: ${claims.join(', ')})` : '';
    if (!now || JSON.stringify(now) !== before) v('foreign-keys-untouched', `key ${id}, made by hand and adopted by no resource, was ${now ? 'changed' : 'deleted'} by the operator${by}`);
  }

  for (const k of keys) {
    if (k.metadata.deletionTimestamp) continue;
    const expected = adoptionExpected(w, k, keys);
    if (!isReady(k.status?.conditions)) {
      const c = findCondition(k.status?.conditions, 'Ready');
      if (expected !== undefined && expected !== 'Ready' && c?.status === 'False' && c.reason === expected) continue;
      if (c?.status === 'False' && c.reason === blockedFor(w, k)) continue;
      const check = expected !== undefined && expected !== 'Ready' ? 'adoption-refused-truly' : 'eventually-ready';
      v(check, `${refOf(k)} is not Ready after settling: ${c ? `${c.reason}: ${c.message}` : 'no Ready condition'}${check === 'eventually-ready' ? '' : `; expected ${expected ?? ''}`}`);
      continue;
    }
    if (expected !== undefined && expected !== 'Ready') v('adoption-refused-truly', `${refOf(k)} is Ready adopting ${k.spec.adopt?.keyId ?? ''} without a key of its own; expected ${expected}`);
    await checkReadyKey(w, k, v);
  }
  for (const b of bindings) {
    if (b.metadata.deletionTimestamp) {
      v('deletion-completes', `binding ${refOf(b)} is still being deleted`);
      continue;
    }
    checkBinding(w, b, keys, bindings, v);
  }
  checkStrayRoles(w, keys, bindings, v);
  checkAdoption(w, keys, v);
  checkLeaks(w, v);
  return out;
}

/** At any moment: Ready names a key that is final (not still carrying the pending-create tag). */
export function checkAlways(w: World): Violation[] {
  const out: Violation[] = [];
  for (const k of w.liveKeys()) {
    if (k.metadata.deletionTimestamp || !isReady(k.status?.conditions)) continue;
    const key = w.fixture.sim.state.apiKeys.get(k.status?.keyId ?? '');
    if (key?.desc.startsWith(PENDING_PREFIX)) out.push({ check: 'ready-means-final', message: `${refOf(k)} says Ready while its key ${key.id} is still named ${key.desc}` });
  }
  return out;
}

/**
 * After the operator worked off its queue with everything healthy, what it does at once (not
 * at the next resync) is done: a Ready resource is Ready for its current spec, and its Secret
 * holds exactly what the spec renders (a hand edit of labels or template keys put back).
 */
export function checkAtOnce(w: World): Violation[] {
  const out: Violation[] = [];
  for (const k of w.liveKeys()) {
    if (k.metadata.deletionTimestamp || !isReady(k.status?.conditions)) continue;
    if (k.status?.observedGeneration !== k.metadata.generation) out.push({ check: 'changes-at-once', message: `${refOf(k)} is Ready for generation ${k.status?.observedGeneration ?? '-'} after its queue drained; spec is at ${k.metadata.generation ?? '-'}` });
    const s = w.kube.cache.secret(k.metadata.namespace ?? '', secretName(k));
    if (s && isOwnedBy(s, k) && !secretMatches(s, buildSecret(k, materialFromSecret(s)))) out.push({ check: 'changes-at-once', message: `${refOf(k)}: its Secret differs from what the spec renders after its queue drained` });
  }
  return out;
}

/**
 * Why a resource must stay not Ready, by what the user (or a tenant) wrote: roles the policy
 * refuses, a Secret not its own in the way.
 */
function blockedFor(w: World, k: OpsManagerApiKey): string | undefined {
  const verdict = keyVerdict(w.connections.access(k.metadata.namespace ?? '', k.spec.connectionRef, () => w.liveKeys(), k), k.metadata.namespace ?? '', k.spec, k.status?.keyId !== undefined);
  if (!verdict.allowed) return verdict.reason;
  const s = w.kube.get('Secret', k.metadata.namespace ?? '', secretName(k));
  return s && !isOwnedBy(s as never, k) ? Reason.SecretConflict : undefined;
}

/** A create recorded as pending and never settled: the omkeys.io/create-pending annotation not yet named by status.createSettled. */
function openCreateMark(k: OpsManagerApiKey): boolean {
  const status = k.status;
  const mark = k.metadata.annotations?.['omkeys.io/create-pending'];
  if (mark === undefined) return false;
  return mark !== status?.createSettled;
}

function roleText(key: ApiKey): string {
  return key.roles.map((r) => (r.groupId ? `${r.roleName}@${r.groupId.slice(-4)}` : r.roleName)).join(',') || '(none)';
}

/** Ready ⇒ Ops Manager holds exactly the spec and the Secret's pair authenticates. */
async function checkReadyKey(w: World, k: OpsManagerApiKey, v: (check: string, message: string) => void): Promise<void> {
  const { sim } = w.fixture;
  const who = refOf(k);
  if (k.status?.observedGeneration !== k.metadata.generation) v('ready-means-current', `${who} is Ready for generation ${k.status?.observedGeneration ?? '-'}, spec is at ${k.metadata.generation ?? '-'}`);
  const id = k.status?.keyId ?? '';
  const key = sim.state.apiKeys.get(id);
  if (!key) return v('ready-means-spec', `${who} is Ready but its key ${id || '(none)'} is not in Ops Manager`);
  const desc = desiredDescription(k);
  if (key.desc !== desc) v('ready-means-spec', `${who}: key ${id} has description "${key.desc}", spec wants "${desc}"`);
  const project = k.spec.projectId;
  const roles = key.roles.filter((r) => (project ? r.groupId === project : r.groupId === undefined)).map((r) => r.roleName);
  if (!same(roles, k.spec.roles)) v('ready-means-spec', `${who}: key ${id} has roles ${roles.join(',') || '(none)'}, spec wants ${k.spec.roles.join(',')}`);
  const cidrs = key.accessList.map((e) => canonicalCidr(e.cidrBlock));
  if (!same(cidrs, wantedCidrs(k.spec.accessList))) v('ready-means-spec', `${who}: key ${id} has access list ${cidrs.join(',') || '(empty)'}, spec wants ${wantedCidrs(k.spec.accessList).join(',') || '(empty)'}`);
  const s = w.kube.cache.secret(k.metadata.namespace ?? '', secretName(k));
  if (!s || !isOwnedBy(s, k)) return v('ready-means-secret', `${who} is Ready but has no Secret of its own`);
  const d = decodeSecretData(s);
  if (d.keyId !== id || d.publicKey !== key.publicKey) v('ready-means-secret', `${who}: Secret holds ${d.keyId ?? '-'}/${d.publicKey ?? '-'}, status says ${id}/${key.publicKey}`);
  const client = new OpsManagerClient({ baseUrl: sim.url, publicKey: d.publicKey ?? '', privateKey: d.privateKey ?? '', retry: { maxAttempts: 1 }, timeoutMs: 2_000 });
  try {
    // Any key may read its own access list, whatever its roles.
    await collect(client.listAccessList(key.orgId, id));
  } catch (err) {
    v('ready-means-secret', `${who}: the Secret's pair does not authenticate: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    client.close();
  }
}

/** Ready ⇒ the key holds the binding's roles in the project; not Ready only for a reason the binding states truly. */
function checkBinding(w: World, b: ProjectKeyBinding, keys: OpsManagerApiKey[], all: ProjectKeyBinding[], v: (check: string, message: string) => void): void {
  const who = `binding ${refOf(b)}`;
  const key = keys.find((k) => k.metadata.namespace === b.metadata.namespace && k.metadata.name === b.spec.apiKeyRef.name);
  const cond = findCondition(b.status?.conditions, 'Ready');
  if (cond?.status !== 'True') {
    const rival = all.some((o) => o !== b && o.metadata.namespace === b.metadata.namespace && o.spec.apiKeyRef.name === b.spec.apiKeyRef.name && o.spec.projectId === b.spec.projectId && older(o, b));
    const refused = key ? adoptionExpected(w, key, keys) ?? blockedFor(w, key) : undefined;
    const excused = !key || !!key.metadata.deletionTimestamp || key.spec.projectId === b.spec.projectId || rival || (refused !== undefined && refused !== 'Ready');
    if (!excused) v('eventually-ready', `${who} is not Ready after settling: ${cond ? `${cond.reason}: ${cond.message}` : 'no Ready condition'}`);
    return;
  }
  if (!key || !key.status?.keyId) return v('ready-binding-means-roles', `${who} is Ready but its key ${b.spec.apiKeyRef.name} has no key id`);
  if (b.status?.keyId !== key.status.keyId) v('ready-binding-means-roles', `${who} is Ready for key ${b.status?.keyId ?? '-'}, its OpsManagerApiKey holds ${key.status.keyId}`);
  const om = w.fixture.sim.state.apiKeys.get(key.status.keyId);
  const roles = om?.roles.filter((r) => r.groupId === b.spec.projectId).map((r) => r.roleName) ?? [];
  if (!same(roles, b.spec.roles)) v('ready-binding-means-roles', `${who}: key ${key.status.keyId} has ${roles.join(',') || 'no roles'} in project ${b.spec.projectId.slice(-4)}, binding wants ${b.spec.roles.join(',')}`);
}

function older(a: ProjectKeyBinding, b: ProjectKeyBinding): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta !== tb ? ta < tb : (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/** A key's roles in a project come from its own spec (a project key) or from a live binding; nothing else. */
function checkStrayRoles(w: World, keys: OpsManagerApiKey[], bindings: ProjectKeyBinding[], v: (check: string, message: string) => void): void {
  for (const k of keys) {
    const om = k.status?.keyId ? w.fixture.sim.state.apiKeys.get(k.status.keyId) : undefined;
    for (const project of new Set(om?.roles.map((r) => r.groupId).filter((g): g is string => !!g))) {
      if (project === k.spec.projectId) continue;
      // An adopted key keeps the project roles it had (a Retain resource's, say, given back to the
      // administrator); with rotate: true the key that replaces it gets them (docs/rotation-and-adoption.md).
      const heir = k.spec.adopt?.keyId === om?.id || k.spec.adopt?.rotate === true;
      if (heir && w.projectsAtAdoption.get(refOf(k))?.has(project)) continue;
      const bound = bindings.some((b) => b.metadata.namespace === k.metadata.namespace && b.spec.apiKeyRef.name === k.metadata.name && b.spec.projectId === project && !b.metadata.deletionTimestamp);
      if (!bound) v('no-stray-project-roles', `${refOf(k)}: key ${om?.id ?? ''} keeps roles in project ${project.slice(-4)} that no binding asks for`);
    }
  }
}

/** No private key (nor its base64) in any status or object the operator wrote, any Event, any log line. */
function checkLeaks(w: World, v: (check: string, message: string) => void): void {
  const needles = [...w.privateKeys].flatMap((pk) => [pk, Buffer.from(pk, 'utf8').toString('base64')]);
  const find = (hay: string): string | undefined => needles.find((n) => hay.includes(n));
  for (const wr of w.kube.writes) {
    if (wr.kind === 'Secret') continue;
    if (find(JSON.stringify(wr.obj))) return v('no-private-key-leak', `${wr.verb} ${wr.kind} ${wr.namespace}/${wr.name} carries a private key`);
  }
  for (const e of w.events.events) if (find(e.message) || find(e.reason)) return v('no-private-key-leak', `Event ${e.reason} on ${e.namespace}/${e.name} carries a private key`);
  for (const line of w.logLines) if (find(line)) return v('no-private-key-leak', `a log line carries a private key: ${line.slice(0, 200)}`);
}
