import type { V1Secret } from '@kubernetes/client-node';
import { ConditionType, Reason, formatTime as iso, setCondition } from '../../api/conditions.ts';
import type { OpsManagerApiKey, OpsManagerApiKeyStatus } from '../../api/types.ts';
import { parseDuration } from '../shared/duration.ts';
import { bindingVerdict } from '../shared/policy.ts';
import { assignmentsForNewKey } from '../projectkeybinding/assignments.ts';
import { diffAccessList, wantedCidrs } from './access-list.ts';
import { keyDelete } from './decide-cleanup.ts';
import { bindingsFingerprint, configMapSync, desiredConfigMap } from './decide-converge.ts';
import { configMapFingerprint } from './config-map-builder.ts';
import { adopting, currentKeyId, markValue, rotationRequest, type CreateMark } from './facts.ts';
import { CREATED, type Created, type Gathered, type Plan, type Step } from './plan.ts';
import { buildSecret, desiredDescription, pendingTag, secretName, type KeyMaterial } from './secret-builder.ts';
import { judged, plannedCheckMs, readyStatus } from './status.ts';

export type ProvisionReason = 'Initial' | 'SecretDeleted' | 'PairEdited' | 'KeyDeletedInOpsManager' | 'Rotation' | 'OnDemand' | 'Adopted';

const WHY_TEXT: Record<ProvisionReason, string> = {
  Initial: 'created',
  SecretDeleted: 'replaced because its Secret was deleted (a private key cannot be read back from Ops Manager)',
  PairEdited: 'replaced because the key pair in its Secret was edited',
  KeyDeletedInOpsManager: 'replaced because the key was deleted in Ops Manager',
  Rotation: 'rotated on schedule',
  OnDemand: 'rotated on request (annotation omkeys.io/rotate)',
  Adopted: 'created to replace the adopted key, whose private key is lost',
};

/** Replacements that keep the old key for spec.rotation.gracePeriod; the others retire it at once. */
const GRACEFUL = new Set<ProvisionReason>(['Rotation', 'OnDemand', 'Adopted']);

/**
 * Mints a key and puts its pair in the Secret, in an order that survives a crash at any step:
 * (1) mark the resource (a create is pending; with the finalizer) and, for a replacement, say in
 * status which key it will retire, (2) create the key with a description that tags it with this
 * resource's uid, (3) its access list and the project roles of its bindings, (4) the Secret,
 * (5) record the key in status, (6) its real description, (7) retire the old key unless it has a
 * grace period, (8) the Ready status. Record before name: at every moment the key is named by
 * status or tagged with the resource's uid, so nothing a tenant can write (the Secret, the mark)
 * is ever what finds it. A crash before (5) leaves a tagged key: the sweep keeps the one holding
 * the Secret's pair and deletes the others. Only one previous key is tracked: one still in its
 * grace period when another replacement comes is deleted first, so that no key is forgotten.
 */
export function provisionPlan(g: Gathered, why: ProvisionReason): Plan {
  const { obj, now } = g;
  const orgId = g.connection.state === 'read' ? g.connection.orgId : '';
  // A key deleted by hand needs no retiring (a Secret naming another key than status is a
  // PairEdited replacement, decided before Ops Manager is read).
  const old = why === 'KeyDeletedInOpsManager' ? undefined : why === 'Adopted' ? obj.spec.adopt?.keyId : currentKeyId(g);
  const request = rotationRequest(g);
  const prev = obj.status?.previousKeyId;
  const steps: Step[] = [];
  let previous: { keyId: string; revokeAt: string } | undefined;
  if (old) {
    if (prev && prev !== old) steps.push(keyDelete(g, prev));
    const graceMs = GRACEFUL.has(why) && obj.spec.rotation?.gracePeriod ? parseDuration(obj.spec.rotation.gracePeriod) : 0;
    previous = { keyId: old, revokeAt: iso(new Date(now.getTime() + graceMs)) };
  } else if (prev) {
    previous = { keyId: prev, revokeAt: obj.status?.previousKeyRevokeAt ?? iso(now) };
  }
  const retireNow = previous && Date.parse(previous.revokeAt) <= now.getTime() ? previous.keyId : undefined;

  // Unique by construction: two marks cannot both be written from one resourceVersion.
  const id = `${obj.metadata.resourceVersion ?? ''}@${now.toISOString()}`;
  const connection = g.connection.state === 'read' ? g.connection.name : g.connections.spec;
  const mark: CreateMark = { id, tag: pendingTag(obj, g.cluster), startedAt: iso(now), ...(request !== undefined ? { rotationRequest: request } : {}), connection };
  steps.push({ kind: 'PendingMark', mark });
  // A first key needs no status before it exists; a replacement says what it is doing, and
  // records the key it will retire, so that a crash after the Secret write forgets neither.
  if (why !== 'Initial') steps.push({ kind: 'StatusWrite', status: markStatus(g, why, previous, retireNow !== undefined) });
  if (why === 'OnDemand') steps.push({ kind: 'Event', type: 'Normal', reason: Reason.Rotating, message: `rotation requested (omkeys.io/rotate=${request ?? ''}): creating a new key` });
  const scope = obj.spec.projectId ? { projectId: obj.spec.projectId } : { orgId };
  steps.push({ kind: 'Create', scope, desc: pendingTag(obj, g.cluster), roles: [...obj.spec.roles] });
  const entries = diffAccessList(obj.spec.accessList, []).add;
  if (entries.length > 0) steps.push({ kind: 'AccessListAdd', orgId, keyId: CREATED, entries });
  for (const a of newKeyAssignments(g)) steps.push({ kind: 'ProjectAssign', projectId: a.projectId, keyId: CREATED, roles: a.roles, tolerateRefusal: true });
  const baseUrl = g.connection.state === 'read' ? g.connection.baseUrl : '';
  // The key counts as minted once its pair is published: a create interrupted before is swept, not counted.
  const desired = (c: Created): V1Secret => buildSecret(obj, material(g, c, baseUrl));
  steps.push({ kind: 'SecretWrite', ...(g.secret.state === 'ours' ? { current: g.secret.raw } : {}), desired, counts: { kind: 'KeyMinted', why } });

  const kept = retireNow ? undefined : previous;
  const base: OpsManagerApiKeyStatus = {
    ...obj.status,
    createSettled: markValue(mark),
    rotatedAt: iso(now),
    previousKeyId: kept?.keyId,
    previousKeyRevokeAt: kept?.revokeAt,
    connection,
    ...(request !== undefined ? { lastRotationRequest: request } : {}),
    ...keptProjects(g),
  };
  const finalStatus = (c: Created): OpsManagerApiKeyStatus => {
    const key = { id: c.id, publicKey: c.publicKey, desc: desiredDescription(obj), roles: [...obj.spec.roles].sort(), accessList: wantedCidrs(obj.spec.accessList) };
    return readyStatus(obj, key, secretName(obj), now, base);
  };
  // Recorded before it loses its tag: from here status names it, and the rename may follow.
  // The key it replaces stays named (previousKeyId) until the delete below has run.
  const recordBase: OpsManagerApiKeyStatus = { ...base, previousKeyId: previous?.keyId, previousKeyRevokeAt: previous?.revokeAt };
  const recordStatus = (c: Created): OpsManagerApiKeyStatus => {
    const key = { id: c.id, publicKey: c.publicKey, desc: desiredDescription(obj), roles: [...obj.spec.roles].sort(), accessList: wantedCidrs(obj.spec.accessList) };
    return recordedStatus(obj, readyStatus(obj, key, secretName(obj), now, recordBase), now);
  };
  steps.push({ kind: 'StatusWrite', status: recordStatus });
  steps.push({ kind: 'KeyUpdate', orgId, keyId: CREATED, desc: desiredDescription(obj) });
  if (retireNow) steps.push(keyDelete(g, retireNow));
  steps.push(...configMapSync(g));
  steps.push({ kind: 'StatusWrite', status: finalStatus });
  const message = (c: Created): string => `Ops Manager key ${c.publicKey} (${c.id}) ${WHY_TEXT[why]}; pair written to Secret ${secretName(obj)}`;
  steps.push({ kind: 'Event', type: 'Normal', reason: why === 'Initial' ? 'KeyCreated' : 'KeyReplaced', message });
  const requeue = plannedCheckMs(finalStatus({ id: '', publicKey: '', privateKey: '' }), now);
  const cm = desiredConfigMap(g);
  // The bindings the new key got roles for: one deleted meanwhile makes the next reconcile read Ops Manager again.
  const bindings = bindingsFingerprint(g);
  return { name: 'Provision', steps, then: { kind: 'done', synced: true, bindings, ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}), ...(cm ? { configMap: configMapFingerprint(cm) } : {}) } };
}

/**
 * What status says between the record and the rename: the new key and everything the final
 * status says, but not Ready yet, since Ops Manager does not hold the spec's description. For a
 * first key this is the first status the operator writes (until then the CRD's default,
 * observedGeneration 0, says the resource was not looked at yet).
 */
function recordedStatus(obj: OpsManagerApiKey, ready: OpsManagerApiKeyStatus, now: Date): OpsManagerApiKeyStatus {
  const message = `recording key ${ready.publicKey ?? ''} (${ready.keyId ?? ''}) and giving it its description`;
  const naming = { type: ConditionType.Ready, status: 'False' as const, reason: Reason.Progressing, message, observedGeneration: obj.metadata.generation };
  return judged(obj, { ...ready, conditions: setCondition(ready.conditions, naming, now) }, { kind: 'working', reason: Reason.Progressing, message }, now);
}

/** `retiringNow`: the old key is deleted before the new one is Ready, so Ready cannot stay True through a rotation. */
function markStatus(g: Gathered, why: ProvisionReason, previous: { keyId: string; revokeAt: string } | undefined, retiringNow: boolean): OpsManagerApiKeyStatus {
  const { obj, now } = g;
  const base = g.obj.status ?? {};
  const rotating = why === 'Rotation' || why === 'OnDemand';
  const creating = {
    status: 'False' as const,
    reason: rotating ? Reason.Rotating : Reason.Progressing,
    message: `creating a key in Ops Manager (${WHY_TEXT[why]})`,
    observedGeneration: obj.metadata.generation,
  };
  let conditions = setCondition(base.conditions, { type: ConditionType.KeyProvisioned, ...creating }, now);
  // Until the new pair is written the Secret holds no usable pair (gone, edited, or naming a
  // deleted key), so Ready must not keep saying True; in a rotation the old pair still works
  // until the new one is Ready, unless the old key is deleted first (no grace period).
  if (!rotating || retiringNow) conditions = setCondition(conditions, { type: ConditionType.Ready, ...creating }, now);
  // Ready may stay True (the old pair works), but the resource is in progress until the new one is out.
  const status = { ...base, previousKeyId: previous?.keyId, previousKeyRevokeAt: previous?.revokeAt, conditions };
  return judged(obj, status, { kind: 'working', reason: creating.reason, message: creating.message }, now);
}

/**
 * The project roles a new key carries before its pair is published: its bindings', and when it
 * replaces an adopted key, that key's roles in every other project (a binding's roles win).
 */
function newKeyAssignments(g: Gathered): Array<{ projectId: string; roles: string[] }> {
  const ns = g.obj.metadata.namespace ?? '';
  const bound = assignmentsForNewKey(g.obj, g.bindings, (b) => bindingVerdict(g.access, ns, b.spec.projectId, b.spec.roles));
  if (!adopting(g) || g.adopt.state !== 'read') return bound;
  const taken = new Set([...bound.map((a) => a.projectId), g.obj.spec.projectId]);
  const kept = g.adopt.projectRoles.filter((p) => !taken.has(p.projectId));
  return [...bound, ...kept];
}

/** An adopted key's project roles that its replacement keeps (no binding asks for them): recorded, so that they stay. */
function keptProjects(g: Gathered): { keptProjectIds?: string[] } {
  if (!adopting(g) || g.adopt.state !== 'read') return {};
  const bound = new Set(g.bindings.map((b) => b.spec.projectId));
  const kept = g.adopt.projectRoles.map((p) => p.projectId).filter((id) => id !== g.obj.spec.projectId && !bound.has(id));
  return kept.length > 0 ? { keptProjectIds: kept } : {};
}

function material(g: Gathered, c: Created, baseUrl: string): KeyMaterial {
  const { spec } = g.obj;
  return {
    keyId: c.id,
    publicKey: c.publicKey,
    privateKey: c.privateKey,
    baseUrl,
    ...(spec.orgId ? { orgId: spec.orgId } : {}),
    ...(spec.projectId ? { projectId: spec.projectId } : {}),
  };
}
