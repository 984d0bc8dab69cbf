import { ANNOTATION_KEY_ID, LABEL_MANAGED_BY, type OpsManagerApiKey, type OpsManagerApiKeySpec, type ProjectKeyBinding } from '../../src/api/types.ts';
import { secretName } from '../../src/controllers/opsmanagerapikey/secret-builder.ts';
import type { Role } from '../../tools/opsmanager-sim/state.ts';
import type { KubeObject } from '../support/fake-kube.ts';
import {
  ACCESS_ENTRIES, BINDING_SLOTS, bindingName, bindingNs, GROUP_ROLES, KEY_SLOTS, keyName, keyNs, keySlotsOf, ORG_ROLES,
  type Advance, type HandEdit, type HistoryEvent, type KeySpecChoice, type Rotation, type SecretEdit, type SpecChange,
} from './model.ts';
import { adoptOnSwitch, handMadeKey, prepareAdoption } from './adoption.ts';
import { OWN_REF } from './connections.ts';
import { applyTamper, ensureOwnConnection } from './tampering.ts';
import type { World } from './world.ts';

// The events of a history that are not the operator's: users editing resources and Secrets,
// an administrator editing keys in Ops Manager by hand (straight in the simulator's state, as
// its UI would, untouched by the faults armed for the operator), time, and those faults.

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const ADVANCE_MS: Record<Advance, number> = { '5s': 5_000, '61s': 61_000, '31m': 31 * 60_000, '2h1m': 121 * 60_000 };
/** A well-formed key id that names no key. */
const NO_SUCH_KEY = '5f00000000000000000000ff';

const pickRoles = (idx: number[], list: readonly string[]): string[] => [...new Set(idx.map((i) => list[i % list.length] ?? ''))].sort();
const rolesFor = (spec: OpsManagerApiKeySpec, idx: number[]): string[] => pickRoles(idx, spec.orgId ? ORG_ROLES : GROUP_ROLES);
const accessFor = (idx: number[]): OpsManagerApiKeySpec['accessList'] => idx.map((i) => ({ ...ACCESS_ENTRIES[i % ACCESS_ENTRIES.length] }));

function rotationSpec(r: Rotation): OpsManagerApiKeySpec['rotation'] {
  if (r === 'plain') return { every: '2h' };
  if (r === 'grace') return { every: '2h', gracePeriod: '30m' };
  return undefined;
}

const TEMPLATE = { labels: { team: 'payments' }, data: { connection: '{{ .publicKey }}:{{ .privateKey }}@{{ .baseUrl }}' } };

function keySpec(w: World, name: string, c: KeySpecChoice): OpsManagerApiKeySpec {
  const { sim } = w.fixture;
  const scope = c.project === undefined ? { orgId: sim.orgId } : { projectId: sim.projectIds[c.project % sim.projectIds.length] ?? '' };
  const spec: OpsManagerApiKeySpec = { ...scope, roles: [], deletionPolicy: c.retain ? 'Retain' : 'Delete' };
  spec.roles = rolesFor(spec, c.roles);
  if (c.description !== undefined) spec.description = c.description;
  if (c.access.length > 0) spec.accessList = accessFor(c.access);
  const rotation = rotationSpec(c.rotation);
  if (rotation) spec.rotation = rotation;
  if (c.template || c.ownSecretName) spec.secret = { ...(c.ownSecretName ? { name: `${name}-creds` } : {}), ...(c.template ? { template: TEMPLATE } : {}) };
  return spec;
}

function changeSpec(w: World, ns: string, name: string, spec: OpsManagerApiKeySpec, c: SpecChange): void {
  if (c.what === 'connection' && c.own) ensureOwnConnection(w, ns);
  if (c.what === 'connection' && c.own) spec.connectionRef = { ...OWN_REF };
  if (c.what === 'connection' && !c.own) delete spec.connectionRef;
  // Refused through the operator's connection (its policy); allowed through the namespace's own.
  if (c.what === 'roles-denied') spec.roles = spec.orgId ? ['ORG_OWNER'] : ['GROUP_USER_ADMIN'];
  if (c.what === 'deletion-policy') spec.deletionPolicy = c.retain ? 'Retain' : 'Delete';
  if (c.what === 'roles') spec.roles = rolesFor(spec, c.roles);
  if (c.what === 'description') {
    if (c.description === undefined) delete spec.description;
    else spec.description = c.description;
  }
  if (c.what === 'access') {
    if (c.access.length === 0) delete spec.accessList;
    else spec.accessList = accessFor(c.access);
  }
  if (c.what === 'rotation') {
    const r = rotationSpec(c.rotation);
    if (r) spec.rotation = r;
    else delete spec.rotation;
  }
  if (c.what === 'template' || c.what === 'secret-name') {
    const rest = { ...spec.secret };
    if (c.what === 'template' && c.template) rest.template = TEMPLATE;
    if (c.what === 'template' && !c.template) delete rest.template;
    if (c.what === 'secret-name' && c.own) rest.name = `${name}-creds`;
    if (c.what === 'secret-name' && !c.own) delete rest.name;
    if (Object.keys(rest).length > 0) spec.secret = rest;
    else delete spec.secret;
  }
}

/** Kubernetes refusals of a user's write (already exists, namespace terminating) are the user's problem, not a finding. */
function tolerate(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (typeof (err as { code?: unknown }).code !== 'number') throw err;
  }
}

/** Events on existing resources name them by position among those that exist, so that few events are no-ops. */
function existingSlot(w: World, slot: number, kind: 'OpsManagerApiKey' | 'ProjectKeyBinding'): number {
  const n = kind === 'OpsManagerApiKey' ? KEY_SLOTS : BINDING_SLOTS;
  const where = kind === 'OpsManagerApiKey' ? (i: number) => [keyNs(i), keyName(i)] as const : (i: number) => [bindingNs(i), bindingName(i)] as const;
  const present = [...Array(n).keys()].filter((i) => w.kube.get(kind, ...where(i)));
  return present[slot % Math.max(1, present.length)] ?? slot;
}

function liveKey(w: World, slot: number): OpsManagerApiKey | undefined {
  const k = w.kube.get('OpsManagerApiKey', keyNs(slot), keyName(slot)) as OpsManagerApiKey | undefined;
  return k && !k.metadata.deletionTimestamp ? k : undefined;
}

function editSecret(w: World, slot: number, edit: SecretEdit): void {
  const k = liveKey(w, slot);
  const s = k && w.kube.get('Secret', keyNs(slot), secretName(k));
  if (!s) return;
  const data = { ...(s.data as Record<string, string> | undefined) };
  const meta = { ...s.metadata, labels: { ...s.metadata?.labels }, annotations: { ...s.metadata?.annotations } };
  if (edit === 'pair') data.privateKey = b64('edited-by-hand');
  if (edit === 'label') delete meta.labels[LABEL_MANAGED_BY];
  if (edit === 'annotation') delete meta.annotations[ANNOTATION_KEY_ID];
  if (edit === 'extra-key') data.extra = b64('x');
  if (edit === 'key-id') data.keyId = b64(NO_SUCH_KEY);
  w.kube.replace('Secret', { ...s, metadata: meta, data });
}

function handEdit(w: World, slot: number, edit: HandEdit, previous: boolean): void {
  const k = w.kube.get('OpsManagerApiKey', keyNs(slot), keyName(slot)) as OpsManagerApiKey | undefined;
  const id = previous ? k?.status?.previousKeyId : k?.status?.keyId;
  const state = w.fixture.sim.state;
  const key = id ? state.apiKeys.get(id) : undefined;
  if (!k || !key) return;
  const project = k.spec.projectId;
  if (edit === 'description') key.desc = 'renamed by hand';
  if (edit === 'delete') state.apiKeys.delete(key.id);
  if (edit === 'access-add' && !key.accessList.some((e) => e.cidrBlock === '203.0.113.0/24')) {
    key.accessList.push({ cidrBlock: '203.0.113.0/24', ipAddress: null, created: new Date(w.clock.now()).toISOString(), count: 0 });
  }
  if (edit === 'access-remove') key.accessList = key.accessList.slice(1);
  if (edit === 'roles') {
    const inScope = (r: Role): boolean => (project ? r.groupId === project : r.groupId === undefined);
    const had = new Set(key.roles.filter(inScope).map((r) => r.roleName));
    const list = project ? GROUP_ROLES : ORG_ROLES;
    const other = list.find((r) => !had.has(r)) ?? list[0];
    const role: Role = project ? { groupId: project, roleName: other } : { orgId: key.orgId, roleName: other };
    key.roles = [...key.roles.filter((r) => !inScope(r)), role];
  }
  if (edit === 'unassign') {
    const groupId = project ?? key.roles.find((r) => r.groupId !== undefined)?.groupId;
    if (groupId) key.roles = key.roles.filter((r) => r.groupId !== groupId);
  }
}

function retarget<E extends HistoryEvent>(w: World, e: E): E {
  if (e.t === 'change-key' || e.t === 'rotate-now' || e.t === 'delete-key' || e.t === 'delete-key-racing' || e.t === 'delete-secret' || e.t === 'edit-secret' || e.t === 'hand-edit' || e.t === 'tamper') return { ...e, slot: existingSlot(w, e.slot, 'OpsManagerApiKey') };
  if (e.t === 'change-binding' || e.t === 'delete-binding') return { ...e, slot: existingSlot(w, e.slot, 'ProjectKeyBinding') };
  // An adoption takes a free slot if there is one: most histories have resources in most slots already.
  if (e.t === 'adopt-key') return { ...e, slot: [...Array(KEY_SLOTS).keys()].map((i) => (e.slot + i) % KEY_SLOTS).find((i) => !w.kube.get('OpsManagerApiKey', keyNs(i), keyName(i))) ?? e.slot };
  return e;
}

function createBinding(w: World, slot: number, key: 0 | 1, project: number, roles: number[]): void {
  const { sim } = w.fixture;
  const b: ProjectKeyBinding = {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'ProjectKeyBinding',
    metadata: { name: bindingName(slot), namespace: bindingNs(slot) },
    spec: { apiKeyRef: { name: keyName(keySlotsOf(slot)[key]) }, projectId: sim.projectIds[project % sim.projectIds.length] ?? '', roles: pickRoles(roles, GROUP_ROLES) },
  };
  if (!w.kube.get('ProjectKeyBinding', bindingNs(slot), bindingName(slot))) tolerate(() => w.kube.create('ProjectKeyBinding', b as unknown as KubeObject));
}

/** Applies one event that is not an operator run. */
export async function applyUserEvent(w: World, event: Exclude<HistoryEvent, { t: 'reconcile' | 'drain' | 'reconcile-two' | 'janitor' }>): Promise<void> {
  const { kube } = w;
  const e = retarget(w, event);
  switch (e.t) {
    case 'create-key':
    case 'adopt-key': {
      const ns = keyNs(e.slot);
      const name = keyName(e.slot);
      if (kube.get('OpsManagerApiKey', ns, name) || (e.t === 'adopt-key' && kube.isTerminating(ns))) return;
      const spec = keySpec(w, name, e.spec);
      if (e.t === 'adopt-key') spec.adopt = prepareAdoption(w, ns, name, e);
      const obj: OpsManagerApiKey = { apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', metadata: { name, namespace: ns }, spec };
      tolerate(() => kube.create('OpsManagerApiKey', obj as unknown as KubeObject));
      return;
    }
    case 'change-key': {
      const k = liveKey(w, e.slot);
      if (!k) return;
      changeSpec(w, keyNs(e.slot), k.metadata.name ?? '', k.spec, e.change);
      if (e.change.what === 'connection' && e.change.own) adoptOnSwitch(w, k);
      kube.replace('OpsManagerApiKey', k as unknown as KubeObject);
      return;
    }
    case 'delete-key':
      if (liveKey(w, e.slot)) kube.delete('OpsManagerApiKey', keyNs(e.slot), keyName(e.slot));
      return;
    case 'delete-key-racing':
      if (liveKey(w, e.slot)) kube.deleteRacingFinalizer('OpsManagerApiKey', keyNs(e.slot), keyName(e.slot));
      return;
    case 'delete-secret': {
      const k = liveKey(w, e.slot);
      if (k && kube.get('Secret', keyNs(e.slot), secretName(k))) kube.delete('Secret', keyNs(e.slot), secretName(k));
      return;
    }
    case 'edit-secret':
      return editSecret(w, e.slot, e.edit);
    case 'tamper':
      return applyTamper(w, e);
    case 'rotate-now': {
      const k = liveKey(w, e.slot);
      if (!k) return;
      k.metadata.annotations = { ...k.metadata.annotations, 'omkeys.io/rotate': `r${++w.rotateRequests}` };
      kube.replace('OpsManagerApiKey', k as unknown as KubeObject);
      return;
    }
    case 'hand-edit':
      return handEdit(w, e.slot, e.edit, e.previous);
    case 'hand-create':
      handMadeKey(w);
      return;
    case 'time':
      return w.clock.advance(ADVANCE_MS[e.advance]);
    case 'delete-namespace':
      kube.deleteNamespace(e.ns);
      w.connections.dropNamespace(e.ns);
      return;
    case 'create-binding':
      return createBinding(w, e.slot, e.key, e.project, e.roles);
    case 'change-binding': {
      const b = kube.get('ProjectKeyBinding', bindingNs(e.slot), bindingName(e.slot)) as ProjectKeyBinding | undefined;
      if (!b || b.metadata.deletionTimestamp) return;
      b.spec.roles = pickRoles(e.roles, GROUP_ROLES);
      kube.replace('ProjectKeyBinding', b as unknown as KubeObject);
      return;
    }
    case 'delete-binding': {
      const b = kube.get('ProjectKeyBinding', bindingNs(e.slot), bindingName(e.slot));
      if (b && !b.metadata?.deletionTimestamp) kube.delete('ProjectKeyBinding', bindingNs(e.slot), bindingName(e.slot));
      return;
    }
    case 'fault':
      w.fixture.sim.faults.set([e.rule]);
      return;
    case 'cache':
      if (e.mode === 'freeze') kube.freezeCache();
      else w.syncCache();
      return;
  }
}
