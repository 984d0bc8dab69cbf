import { findCondition, Reason } from '../../src/api/conditions.ts';
import type { AdoptSpec, ConnectionRef, OpsManagerApiKey } from '../../src/api/types.ts';
import { decodeSecretData, secretName } from '../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { adoptionVerdict } from '../../src/controllers/shared/policy.ts';
import type { ApiKey } from '../../tools/opsmanager-sim/state.ts';
import type { KubeObject } from '../support/fake-kube.ts';
import type { HistoryEvent } from './model.ts';
import { adoptionVictim } from './tampering.ts';
import type { World } from './world.ts';

// Adoption (spec.adopt, docs/rotation-and-adoption.md): the keys an administrator makes by
// hand, the Secrets a user puts their private keys in, and what must hold of them once the
// world settles.

type AdoptEvent = Extract<HistoryEvent, { t: 'adopt-key' }>;
type Check = (check: string, message: string) => void;

/** A well-formed key id that names no key (not the one edit-secret uses). */
const UNKNOWN_KEY = '5f00000000000000000000fe';
/** A private key that is no key's: what a user copies by mistake. */
const WRONG_PRIVATE_KEY = 'aaaaaaaa-0000-4000-8000-not-the-key';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const refOf = (o: { metadata: { namespace?: string; name?: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** An administrator makes a key by hand (straight in the simulator's state, as its UI would); the operator must leave it alone unless adopted. */
export function handMadeKey(w: World): ApiKey {
  const { sim } = w.fixture;
  const key = sim.state.addKey(sim.orgId, 'created by hand', [{ orgId: sim.orgId, roleName: 'ORG_READ_ONLY' }]);
  w.foreignKeys.set(key.id, JSON.stringify(key));
  return key;
}

/** The key made by hand that `target` picks among those still in Ops Manager; one is made if there is none. */
function handKey(w: World, target: number): ApiKey {
  const victims = new Set([w.victims.hand, w.victims.project]);
  const ids = [...w.foreignKeys.keys()].filter((id) => !victims.has(id));
  const present = ids.map((id) => w.fixture.sim.state.apiKeys.get(id)).filter((k): k is ApiKey => !!k);
  return present[target % Math.max(1, present.length)] ?? handMadeKey(w);
}

/** The private key of a managed key, as a user reading its Secret would have it. */
function managedPrivateKey(w: World, k: OpsManagerApiKey): string | undefined {
  const s = w.kube.get('Secret', k.metadata.namespace ?? '', secretName(k));
  return s ? decodeSecretData(s as never).privateKey : undefined;
}

/**
 * What a user does before creating a resource adopting a key: finds its id, and (unless the
 * private key is lost) puts the private key in a Secret `<name>-old-key` of the namespace.
 * Returns the spec.adopt to create the resource with.
 */
export function prepareAdoption(w: World, ns: string, name: string, e: AdoptEvent): AdoptSpec {
  const rotate = e.how === 'rotate' || ((e.how === 'unknown' || e.how === 'rival' || e.how === 'victim') && e.rotate);
  let keyId: string;
  let privateKey: string | undefined;
  if (e.how === 'unknown') keyId = UNKNOWN_KEY;
  else if (e.how === 'victim') keyId = adoptionVictim(w, e.target);
  else if (e.how === 'rival') {
    const managed = w.liveKeys().filter((k) => k.status?.keyId && !k.metadata.deletionTimestamp);
    const rival = managed[e.target % Math.max(1, managed.length)];
    const key = rival ? undefined : handKey(w, e.target);
    keyId = rival?.status?.keyId ?? key?.id ?? UNKNOWN_KEY;
    privateKey = rival ? managedPrivateKey(w, rival) : key?.privateKey;
  } else {
    const key = handKey(w, e.target);
    keyId = key.id;
    privateKey = e.how === 'wrong-pair' ? WRONG_PRIVATE_KEY : key.privateKey;
  }
  const projects = w.fixture.sim.state.apiKeys.get(keyId)?.roles.map((r) => r.groupId).filter((g): g is string => !!g);
  w.projectsAtAdoption.set(`${ns}/${name}`, new Set(projects));
  if (rotate && mayTakeByRotation(w, ns, keyId)) w.owners.grant(ns, keyId);
  const proof = e.how !== 'no-secret' && privateKey !== undefined && privateKey === w.fixture.sim.state.apiKeys.get(keyId)?.privateKey;
  if (!rotate && proof) w.owners.grant(ns, keyId);
  if (rotate) return { keyId, rotate: true };
  const ref = { name: `${name}-old-key`, key: 'privateKey' };
  if (e.how === 'no-secret') return { keyId, privateKeySecretRef: ref };
  const pk = privateKey ?? WRONG_PRIVATE_KEY;
  w.privateKeys.add(pk);
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: ref.name, namespace: ns }, type: 'Opaque', data: { [ref.key]: b64(`${pk}\n`) } };
  const existing = w.kube.get('Secret', ns, ref.name);
  if (existing) w.kube.replace('Secret', { ...secret, metadata: { ...existing.metadata } });
  else w.kube.create('Secret', secret);
  return { keyId, privateKeySecretRef: ref };
}

/** The project roles a key would keep once adopted, by project (what gather-adopt.ts hands the policy). */
function keptRoles(key: ApiKey): Array<{ projectId: string; roles: string[] }> {
  const byProject = new Map<string, string[]>();
  for (const r of key.roles) if (r.groupId) byProject.set(r.groupId, [...(byProject.get(r.groupId) ?? []), r.roleName]);
  return [...byProject].map(([projectId, roles]) => ({ projectId, roles: [...new Set(roles)].sort() }));
}

/**
 * Whether `rotate: true` makes the key the namespace's: the policy of the connection `ref` names
 * allows it there (the form, and the project roles the key would keep; a namespace's own
 * connection has no policy), and the key is neither the operator's own credential, nor that
 * connection's, nor tracked by a resource.
 */
function mayTakeByRotation(w: World, ns: string, keyId: string, ref?: ConnectionRef): boolean {
  const key = w.fixture.sim.state.apiKeys.get(keyId);
  if (!key || keyId === w.victims.operator || (ref && keyId === w.victims.conn[ns]?.id)) return false;
  if (w.liveKeys().some((o) => o.status?.keyId === keyId || o.status?.previousKeyId === keyId)) return false;
  // The spec's own scope and roles are judged apart (keyVerdict); user-events.ts keySpec asks for allowed ones.
  const access = w.connections.access(ns, ref, () => w.liveKeys());
  return adoptionVerdict(access, ns, 'Rotate', { orgId: w.fixture.sim.orgId, roles: [] }, keptRoles(key)).allowed;
}

/**
 * A resource still adopting with `rotate: true`, judged again as the operator is about to act
 * on it (the key may be free since the adoption was asked for) or after it switched to its
 * namespace's own connection (whose credential, which could delete the key itself, is all that
 * bounds it there, so the key may become the namespace's where the default policy refused it).
 */
export function adoptOnSwitch(w: World, k: OpsManagerApiKey): void {
  const adopt = k.spec.adopt;
  const ns = k.metadata.namespace ?? '';
  if (adopt?.rotate && !k.status?.keyId && mayTakeByRotation(w, ns, adopt.keyId, k.spec.connectionRef)) w.owners.grant(ns, adopt.keyId);
}

/**
 * Keys made by hand that the operator took over: some resource's status named them. Status is
 * the record: an adoption writes the Secret, then status, and only then touches the key, so a
 * key only a Secret ever named must be as it was made (docs/rotation-and-adoption.md:
 * "untouched or tracked").
 */
export function adoptedKeys(w: World): Set<string> {
  const out = new Set<string>();
  for (const wr of w.kube.writes) {
    if (wr.by !== 'operator' || wr.kind !== 'OpsManagerApiKey') continue;
    const st = (wr.obj as unknown as OpsManagerApiKey).status;
    for (const id of [st?.keyId, st?.previousKeyId]) if (id && w.foreignKeys.has(id)) out.add(id);
  }
  return out;
}

const wr2ref = (wr: { namespace: string; name: string }): string => `${wr.namespace}/${wr.name}`;

function older(a: OpsManagerApiKey, b: OpsManagerApiKey): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta !== tb ? ta < tb : refOf(a) < refOf(b);
}

/**
 * For a resource still adopting (no key of its own yet), what the settled world says it must
 * show: the reason adoption is refused, or `Ready` when nothing stands in its way. Undefined
 * for any other resource.
 */
export function adoptionExpected(w: World, k: OpsManagerApiKey, all: readonly OpsManagerApiKey[]): string | undefined {
  const adopt = k.spec.adopt;
  if (!adopt || k.status?.keyId) return undefined;
  const { sim } = w.fixture;
  const key = sim.state.keysOfOrg(sim.orgId).find((x) => x.id === adopt.keyId);
  if (!key) return Reason.AdoptionKeyNotFound;
  const rival = all.some((o) => o.metadata.uid !== k.metadata.uid && (o.status?.keyId === key.id || o.status?.previousKeyId === key.id || (o.spec.adopt?.keyId === key.id && older(o, k))));
  if (rival) return Reason.AdoptionConflict;
  const ns = k.metadata.namespace ?? '';
  // The credential of the connection itself, and of every cluster connection, is never adopted;
  // else the connection's policy judges.
  const own = k.spec.connectionRef === undefined ? undefined : w.victims.conn[ns]?.publicKey;
  if (key.publicKey === sim.admin.publicKey || key.publicKey === own) return Reason.AdoptionRefused;
  const verdict = adoptionVerdict(w.connections.access(ns, k.spec.connectionRef, () => w.liveKeys(), k), ns, adopt.rotate ? 'Rotate' : 'WithPrivateKey', k.spec, keptRoles(key));
  if (!verdict.allowed) return verdict.reason;
  if (adopt.rotate) return 'Ready';
  const ref = adopt.privateKeySecretRef;
  const raw = ref && (w.kube.get('Secret', k.metadata.namespace ?? '', ref.name)?.data as Record<string, string> | undefined)?.[ref.key];
  if (raw === undefined) return Reason.AdoptionSecretInvalid;
  return Buffer.from(raw, 'base64').toString('utf8').trim() === key.privateKey ? 'Ready' : Reason.AdoptionPairInvalid;
}

/**
 * A resource that adopted a key made by hand did so truly: with its pair, that key became its
 * current key and the Secret got the hand-made pair; with rotate: true, a new key replaced it
 * and the hand-made key is gone, or kept only for the grace period still running.
 */
export function checkAdoption(w: World, keys: readonly OpsManagerApiKey[], v: Check): void {
  const { sim } = w.fixture;
  for (const k of keys) {
    const adopt = k.spec.adopt;
    const cond = findCondition(k.status?.conditions, 'Ready');
    if (!adopt || k.metadata.deletionTimestamp || !k.status?.keyId || cond?.status !== 'True') continue;
    const who = refOf(k);
    const statuses = w.kube.writes
      .filter((wr) => wr.by === 'operator' && wr.kind === 'OpsManagerApiKey' && wr.obj.metadata?.uid === k.metadata.uid)
      .map((wr) => (wr.obj as unknown as OpsManagerApiKey).status);
    const handMade = w.foreignKeys.get(adopt.keyId);
    // A key another resource tracked is not to be taken over, unless that resource left it behind (Retain).
    const rivals = w.kube.writes.filter((wr) => wr.by === 'operator' && wr.kind === 'OpsManagerApiKey' && wr.obj.metadata?.uid !== k.metadata.uid).filter((wr) => {
      const st = (wr.obj as unknown as OpsManagerApiKey).status;
      return st?.keyId === adopt.keyId || st?.previousKeyId === adopt.keyId;
    });
    const rival = w.retained.has(adopt.keyId) ? undefined : rivals[0];
    if (rival) v('adopt-no-rival', `${who} took over ${adopt.keyId}, which ${wr2ref(rival)} tracked (AdoptionConflict expected)`);
    if (adopt.rotate) {
      if (!statuses.some((s) => s?.previousKeyId === adopt.keyId)) v('adopt-rotates', `${who} is Ready with rotate: true but never recorded ${adopt.keyId} as the key it replaces`);
      if (k.status.keyId === adopt.keyId) v('adopt-rotates', `${who}: adopted with rotate: true, ${adopt.keyId} is still its current key`);
      const still = sim.state.apiKeys.get(adopt.keyId);
      const revokeAt = Date.parse(k.status.previousKeyRevokeAt ?? '') || 0;
      const inGrace = k.status.previousKeyId === adopt.keyId && revokeAt > w.clock.now();
      if (still && !inGrace) v('adopt-rotates', `${who}: the key ${adopt.keyId} it replaced (rotate: true) is still in Ops Manager, past its grace period`);
      continue;
    }
    // The takeover is recorded by the Secret write first, then status: either shows it happened.
    const inSecrets = w.kube.writes.some((wr) => wr.by === 'operator' && wr.kind === 'Secret' && wr.namespace === k.metadata.namespace && wr.verb !== 'delete' && decodeSecretData(wr.obj as never).keyId === adopt.keyId);
    if (!inSecrets && !statuses.some((s) => s?.keyId === adopt.keyId)) v('adopt-takes-key', `${who} is Ready but never had ${adopt.keyId}, the key it adopts, as its key (it has ${k.status.keyId})`);
    if (!handMade) continue;
    const pk = (JSON.parse(handMade) as ApiKey).privateKey;
    for (const wr of w.kube.writes) {
      if (wr.by !== 'operator' || wr.kind !== 'Secret' || wr.namespace !== k.metadata.namespace || wr.verb === 'delete') continue;
      const d = decodeSecretData(wr.obj as never);
      if (d.keyId === adopt.keyId && d.privateKey !== pk) v('adopt-takes-key', `${who}: Secret ${wr.name} names ${adopt.keyId}, made by hand, with a private key that is not its own`);
    }
  }
}
