import type { V1Secret } from '@kubernetes/client-node';
import {
  ANNOTATION_CREATE_PENDING, ANNOTATION_KEY_ID, API_VERSION, LABEL_MANAGED_BY, LEGACY_SECRET_FINALIZER,
  MANAGED_BY_VALUE, OPS_MANAGER_API_KEY_KIND, type OpsManagerApiKey,
} from '../../src/api/types.ts';
import {
  ANNOTATION_DATA_HASH, ANNOTATION_PAIR_HASH, dataDigest, pairHash, pendingTag, secretName,
} from '../../src/controllers/opsmanagerapikey/secret-builder.ts';
import type { ApiKey } from '../../tools/opsmanager-sim/state.ts';
import type { KubeObject } from '../support/fake-kube.ts';
import { DEFAULT_CONN, OWN_CONN } from './connections.ts';
import { keyName, keyNs, type HistoryEvent, type TamperHow } from './model.ts';
import { CLUSTER } from './operator.ts';
import type { World } from './world.ts';

// Issue 20: a namespace editor (a tenant) may write the resources, Secrets and ConfigMaps of
// its namespace, nothing else, and tries to make the operator change or delete keys that are
// not the namespace's. The victims are set up with every world: a key made by hand, a key
// with project roles, the operator's own credential, each namespace's own connection key;
// and every key another resource tracks. ownership.ts checks that none is touched.

type TamperEvent = Extract<HistoryEvent, { t: 'tamper' }>;

const NAMESPACES = ['ns-a', 'ns-b'] as const;
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export interface Victims {
  /** Made by hand, ORG_READ_ONLY: a key no namespace has the private key of. */
  hand: string;
  /** Made by hand with GROUP_OWNER and GROUP_USER_ADMIN in a project (roles the policy would not grant). */
  project: string;
  /** The operator's own credential (the default connection). */
  operator: string;
  /** Each namespace's own connection (an ORG_OWNER key the namespace holds in Secret OWN_CONN). */
  conn: Record<string, ApiKey>;
}

/** Makes the victims. */
export function setUpVictims(w: World): Victims {
  const { sim } = w.fixture;
  const state = sim.state;
  const readOnly = [{ orgId: sim.orgId, roleName: 'ORG_READ_ONLY' }];
  const hand = state.addKey(sim.orgId, 'made by hand, no namespace\'s', readOnly);
  const p0 = sim.projectIds[0] ?? '';
  const projectRoles = [{ groupId: p0, roleName: 'GROUP_OWNER' }, { groupId: p0, roleName: 'GROUP_USER_ADMIN' }];
  const project = state.addKey(sim.orgId, 'project owner, made by hand', projectRoles);
  // Untouched unless adopted, as every key made by hand (invariants.ts foreign-keys-untouched).
  for (const k of [hand, project]) w.foreignKeys.set(k.id, JSON.stringify(k));
  const created = new Date(w.clock.now()).toISOString();
  const conn: Record<string, ApiKey> = {};
  for (const ns of NAMESPACES) {
    const key = state.addKey(sim.orgId, `${ns} own connection`, [{ orgId: sim.orgId, roleName: 'ORG_OWNER' }]);
    const loopback = ['127.0.0.1/32', '::1/128'];
    key.accessList = loopback.map((cidrBlock) => ({ cidrBlock, ipAddress: null, created, count: 0 }));
    conn[ns] = key;
  }
  return { hand: hand.id, project: project.id, operator: sim.admin.id, conn };
}

/** The namespace's OpsManagerConnection and its credentials Secret, made again if they went (with their namespace). */
export function ensureOwnConnection(w: World, ns: string): void {
  const key = w.victims.conn[ns];
  if (!key || w.kube.isTerminating(ns)) return;
  w.connections.ensureOwn(ns);
  if (w.kube.get('Secret', ns, OWN_CONN)) return;
  const data = { publicKey: b64(key.publicKey), privateKey: b64(key.privateKey) };
  const metadata = { name: OWN_CONN, namespace: ns };
  w.kube.create('Secret', { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata, data });
}

/** Keys no namespace owns by being made for it; the ones `victim` indexes into (then every tracked key). */
export function victimIds(w: World): string[] {
  const v = w.victims;
  const tracked = w.liveKeys().flatMap((k) => [k.status?.keyId, k.status?.previousKeyId]);
  const ids = tracked.filter((id): id is string => !!id).sort();
  return [v.hand, v.project, v.operator, ...Object.values(v.conn).map((k) => k.id), ...ids];
}

/** The keys an adoption of a key not the namespace's aims at; not the connection keys (their loss stops one). */
export function adoptionVictim(w: World, target: number): string {
  const v = w.victims;
  const conn = new Set(Object.values(v.conn).map((k) => k.id));
  const ids = victimIds(w).filter((id) => !conn.has(id));
  return ids[target % ids.length] ?? v.hand;
}

/**
 * What a tenant can learn of any key: its id and public key (any ORG_READ_ONLY key lists them).
 * Not the resource's own keys: a pair forged with its own key's id, public key and a recomputed
 * hash is the tenant breaking its own Secret, which no operator can tell from its own write.
 */
function victimKey(w: World, k: OpsManagerApiKey, victim: number): { id: string; publicKey: string } {
  const own = new Set([k.status?.keyId, k.status?.previousKeyId]);
  const ids = victimIds(w).filter((id) => !own.has(id));
  const id = ids[victim % ids.length] ?? w.victims.hand;
  const publicKey = w.fixture.sim.state.apiKeys.get(id)?.publicKey ?? 'no-such-public-key';
  return { id, publicKey };
}

type Forged = { data: Record<string, string>; annotations: Record<string, string> };
type Victim = { id: string; publicKey: string };

/** A Secret's data naming the victim, its pair hash (and data digest) computed again: it looks written by us. */
function forgedData(w: World, victim: Victim, base: Record<string, string>, pairToo: boolean): Forged {
  const data = { ...base, keyId: b64(victim.id) };
  if (pairToo) {
    const pair = { publicKey: b64(victim.publicKey), privateKey: b64('forged-private-key') };
    Object.assign(data, { ...pair, baseUrl: b64(w.fixture.sim.url) });
  }
  const dec = (k: string): string => Buffer.from(data[k as keyof typeof data] ?? '', 'base64').toString('utf8');
  const annotations = {
    [ANNOTATION_KEY_ID]: victim.id,
    [ANNOTATION_PAIR_HASH]: pairHash(dec('publicKey'), dec('privateKey')),
    [ANNOTATION_DATA_HASH]: dataDigest(data),
  };
  return { data, annotations };
}

function ownerRef(name: string, uid: string): NonNullable<V1Secret['metadata']>['ownerReferences'] {
  const kind = OPS_MANAGER_API_KEY_KIND;
  return [{ apiVersion: API_VERSION, kind, name, uid, controller: true, blockOwnerDeletion: true }];
}

/** What a forged mark names when not the namespace's own connection; the last two name nothing there is. */
const FORGED_CONNECTIONS = ['default', DEFAULT_CONN, 'OpsManagerConnection/no-such-connection', 'Secret/om-conn'] as const;

const ours = { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE };
const withOldFinalizer = (list: string[] | undefined): string[] =>
  [...new Set([...(list ?? []), LEGACY_SECRET_FINALIZER])];

/**
 * The mark forged, unparsable or removed; a forged one's fields name another connection,
 * another resource's tag, the victim.
 */
function tamperMark(w: World, k: OpsManagerApiKey, e: TamperEvent, victim: string): void {
  const ns = k.metadata.namespace ?? '';
  const annotations = { ...k.metadata.annotations };
  if (e.how === 'mark-remove') delete annotations[ANNOTATION_CREATE_PENDING];
  if (e.how === 'mark-garbage') annotations[ANNOTATION_CREATE_PENDING] = `{not json ${victim}`;
  if (e.how === 'mark-forge') {
    if (e.other) ensureOwnConnection(w, ns);
    const other = w.liveKeys().find((o) => o.metadata.uid !== k.metadata.uid);
    const mark = {
      id: `forged-${++w.tampers}`,
      tag: pendingTag(other ?? k, CLUSTER),
      startedAt: new Date(w.clock.now()).toISOString(),
      // The namespace's own connection, the operator's (by either name), or one that does not exist.
      connection: e.other ? `OpsManagerConnection/${OWN_CONN}` : FORGED_CONNECTIONS[w.tampers % FORGED_CONNECTIONS.length],
      keyId: victim,
      secret: other?.metadata.name ?? 'x',
    };
    annotations[ANNOTATION_CREATE_PENDING] = JSON.stringify(mark);
  }
  w.marksTampered.add(k.metadata.uid ?? '');
  w.kube.replace('OpsManagerApiKey', { ...k, metadata: { ...k.metadata, annotations } });
}

/** A Secret for a resource that never existed (or another name for this one): our label, the old finalizer. */
function forgeSecret(w: World, k: OpsManagerApiKey, e: TamperEvent, victim: Victim): void {
  const ns = k.metadata.namespace ?? '';
  if (w.kube.isTerminating(ns)) return;
  const name = `forged-${++w.tampers}`;
  const { data, annotations } = forgedData(w, victim, {}, true);
  const to = e.other ? k.metadata : { name: 'ghost', uid: `uid-ghost-${w.tampers}` };
  const owner = ownerRef(to.name ?? '', to.uid ?? '');
  const finalizers = [LEGACY_SECRET_FINALIZER];
  const metadata = { name, namespace: ns, labels: ours, annotations, finalizers, ownerReferences: owner };
  w.kube.create('Secret', { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata, data });
}

/** The resource's Secret written by hand (before the operator did, or over its own), owned by it as ours are. */
function secretByHand(w: World, k: OpsManagerApiKey, victim: Victim): void {
  const ns = k.metadata.namespace ?? '';
  const s = w.kube.get('Secret', ns, secretName(k));
  const { data, annotations } = forgedData(w, victim, {}, true);
  const owner = ownerRef(k.metadata.name ?? '', k.metadata.uid ?? '');
  const metadata = { ...s?.metadata, name: secretName(k), namespace: ns, labels: ours, annotations };
  Object.assign(metadata, { ownerReferences: owner });
  const obj: KubeObject = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata, data };
  if (s) w.kube.replace('Secret', obj);
  else if (!w.kube.isTerminating(ns)) w.kube.create('Secret', obj);
}

/** The resource's own Secret edited: its data, or its annotations, finalizers, ownerReferences. */
function editOwnSecret(w: World, k: OpsManagerApiKey, e: TamperEvent, victim: Victim): void {
  const ns = k.metadata.namespace ?? '';
  const s = w.kube.get('Secret', ns, secretName(k));
  if (!s) return;
  const meta = { ...s.metadata, labels: { ...s.metadata?.labels }, annotations: { ...s.metadata?.annotations } };
  let data = { ...(s.data as Record<string, string> | undefined) };
  if (e.how === 'secret-key-id' || e.how === 'secret-pair') {
    const forged = forgedData(w, victim, data, e.how === 'secret-pair');
    data = forged.data;
    Object.assign(meta.annotations, e.how === 'secret-pair' ? forged.annotations : { [ANNOTATION_KEY_ID]: victim.id });
  }
  if (e.how === 'secret-meta') {
    // What the Secret janitor and the create's record used to read, all naming the victim.
    Object.assign(meta.annotations, {
      [ANNOTATION_KEY_ID]: victim.id,
      'omkeys.io/create-id': `forged-${++w.tampers}`,
      'omkeys.io/connection': e.other ? OWN_CONN : '',
      'omkeys.io/deletion-policy': 'Retain',
    });
    meta.finalizers = withOldFinalizer(meta.finalizers);
  }
  if (e.how === 'secret-owner') {
    // Owned by another resource of the namespace, or by a uid nothing has (the old finalizer keeps it
    // from the collector).
    const other = w.liveKeys().find((o) => o.metadata.namespace === ns && o.metadata.uid !== k.metadata.uid);
    const uid = `uid-ghost-${++w.tampers}`;
    const to = e.other && other ? other.metadata : { name: 'ghost', uid };
    meta.ownerReferences = ownerRef(to.name ?? '', to.uid ?? '');
    meta.finalizers = withOldFinalizer(meta.finalizers);
  }
  w.kube.replace('Secret', { ...s, metadata: meta, data });
}

/** Applies one tampering event to the resource in `slot` (an existing one, if any) and its Secret. */
export function applyTamper(w: World, e: TamperEvent): void {
  const k = w.kube.get('OpsManagerApiKey', keyNs(e.slot), keyName(e.slot)) as OpsManagerApiKey | undefined;
  if (!k || k.metadata.deletionTimestamp) return;
  const victim = victimKey(w, k, e.victim);
  const how: TamperHow = e.how;
  if (how === 'mark-forge' || how === 'mark-garbage' || how === 'mark-remove') tamperMark(w, k, e, victim.id);
  else if (how === 'secret-forged') forgeSecret(w, k, e, victim);
  else if (how === 'secret-by-hand') secretByHand(w, k, victim);
  else editOwnSecret(w, k, e, victim);
}
