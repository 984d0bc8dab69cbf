import type { V1Secret } from '@kubernetes/client-node';
import { ConditionType, Reason, setCondition } from '../../api/conditions.ts';
import type { OpsManagerApiKey } from '../../api/types.ts';
import { isConflict } from '../../kube/api-errors.ts';
import type { CreatedApiKey } from '../../opsmanager/types.ts';
import { AmbiguousCreateError, OpsManagerError } from '../../opsmanager/errors.ts';
import { diffAccessList, specEntryCidr } from './access-list.ts';
import type { Connection } from './connection.ts';
import { desiredDescription, pendingTag, type Plan, type RemoteKey } from './decide.ts';
import type { KeyControllerDeps } from './deps.ts';
import { ANNOTATION_ORG_ID } from './material.ts';
import { retireKey } from './retire.ts';
import { buildSecret, isOwnedBy, secretName } from './secret-builder.ts';
import { notReadyStatus, readyStatus } from './status.ts';
import { formatTime as iso } from '../../api/conditions.ts';
import { classifyError } from './classify.ts';

type ProvisionPlan = Extract<Plan, { kind: 'Provision' }>;

const WHY_TEXT: Record<ProvisionPlan['why'], string> = {
  Initial: 'created',
  SecretDeleted: 'replaced because its Secret was deleted (a private key cannot be read back from Ops Manager)',
  PairEdited: 'replaced because the key pair in its Secret was edited',
  KeyDeletedInOpsManager: 'replaced because the key was deleted in Ops Manager',
  Rotation: 'rotated on schedule',
};

/**
 * Mints a key and puts its pair in the Secret, in the one order that survives a crash at any
 * point: (1) record in status that a create is pending, (2) create the key with a description
 * that tags it with this resource's uid, (3) apply its access list and project roles, (4) write
 * the Secret, (5) give the key its real description, (6) record it in status. A crash before
 * (4) leaves a tagged key that the next reconcile finds (status says a create was pending) and
 * deletes; after (4) the Secret names the key and it is adopted.
 */
export async function provision(deps: KeyControllerDeps, obj: OpsManagerApiKey, plan: ProvisionPlan, conn: Connection, current: V1Secret | undefined): Promise<OpsManagerApiKey> {
  const now = new Date(deps.clock.now());
  const orgIdHint = obj.spec.orgId ?? current?.metadata?.annotations?.[ANNOTATION_ORG_ID];
  for (const id of plan.deleteFirst) {
    if (orgIdHint) await retireKey(deps, obj, conn, id, orgIdHint);
  }
  const tag = pendingTag(obj);
  const rotating = plan.why === 'Rotation';
  const previous = plan.retire ?? (plan.deleteFirst.length > 0 ? undefined : prevOf(obj));
  const creating = {
    status: 'False' as const,
    reason: rotating ? Reason.Rotating : Reason.Progressing,
    message: `creating a key in Ops Manager (${WHY_TEXT[plan.why]})`,
    observedGeneration: obj.metadata.generation,
  };
  let conditions = setCondition(obj.status?.conditions, { type: ConditionType.KeyProvisioned, ...creating }, now);
  // Until the new pair is written the Secret holds no usable pair (gone, edited, or naming a
  // deleted key), so Ready must not keep saying True; in a rotation the old pair still works.
  if (!rotating) conditions = setCondition(conditions, { type: ConditionType.Ready, ...creating }, now);
  const marked = await deps.keys.replaceStatus({
    ...obj,
    status: {
      ...obj.status,
      pendingCreate: { tag, startedAt: iso(now) },
      previousKeyId: previous?.keyId,
      previousKeyRevokeAt: previous ? iso(previous.revokeAt) : undefined,
      conditions,
    },
  });

  deps.failpoint?.('after-pending-mark');
  const body = { desc: tag, roles: [...obj.spec.roles] };
  let created: CreatedApiKey;
  try {
    created = obj.spec.projectId
      ? await conn.client.createProjectKey(obj.spec.projectId, body)
      : await conn.client.createOrgKey(obj.spec.orgId ?? '', body);
  } catch (err) {
    await unmarkIfNotCreated(deps, marked, obj, err);
    throw err;
  }
  const orgId = created.orgId ?? obj.spec.orgId ?? orgIdHint ?? '';
  deps.failpoint?.('after-create');

  let accessList: string[] = [];
  const wanted = diffAccessList(obj.spec.accessList, []).add;
  if (wanted.length > 0) {
    try {
      accessList = (await conn.client.addAccessList(orgId, created.id, wanted)).map((e) => e.cidrBlock);
    } catch {
      // Not fatal: the key is usable, the converge step that follows reports and retries it.
      accessList = [];
    }
  }
  for (const hook of deps.newKeyHooks ?? []) await hook.beforeSecret(marked, { id: created.id, orgId }, conn.client);

  const desired = buildSecret(marked, {
    keyId: created.id,
    publicKey: created.publicKey,
    privateKey: created.privateKey,
    baseUrl: conn.baseUrl,
    ...(obj.spec.orgId ? { orgId: obj.spec.orgId } : {}),
    ...(obj.spec.projectId ? { projectId: obj.spec.projectId } : {}),
  });
  if (orgId) desired.metadata = { ...desired.metadata, annotations: { ...desired.metadata?.annotations, [ANNOTATION_ORG_ID]: orgId } };
  await writeSecret(deps, marked, current, desired);
  deps.failpoint?.('after-secret-write');

  let retire = previous;
  if (retire && retire.revokeAt.getTime() <= now.getTime()) {
    await retireKey(deps, obj, conn, retire.keyId, orgId);
    retire = undefined;
  }
  const key: RemoteKey = { id: created.id, publicKey: created.publicKey, desc: tag, roles: [...obj.spec.roles], accessList, orgId };
  const base = { ...marked.status, rotatedAt: iso(now), previousKeyId: retire?.keyId, previousKeyRevokeAt: retire ? iso(retire.revokeAt) : undefined };
  const done = await deps.keys.replaceStatus({ ...marked, status: readyStatus(marked, key, secretName(obj), now, base) });
  const missing = (obj.spec.accessList ?? []).map(specEntryCidr).filter((c) => !accessList.includes(c));
  // Not awaited: the Event is for people and must not delay the resource's readiness (the recorder never throws).
  void deps.events.record(obj, 'Normal', plan.why === 'Initial' ? 'KeyCreated' : 'KeyReplaced', `Ops Manager key ${created.publicKey} (${created.id}) ${WHY_TEXT[plan.why]}; pair written to Secret ${secretName(obj)}${missing.length ? `; access list pending: ${missing.join(', ')}` : ''}`);
  // Named last: the pair is safe and the resource Ready before this cosmetic call. If it fails or
  // the process dies first, the next converge puts the description right.
  try {
    await conn.client.updateOrgKey(orgId, created.id, { desc: desiredDescription(obj) });
  } catch {
    // A project-scoped connection may not edit org keys; converge reports it.
  }
  return done;
}

/**
 * Ops Manager answered the create with an error (not a lost answer): no key exists, so the
 * marker goes again and nothing is left to sweep (a deletion then needs no connection).
 */
async function unmarkIfNotCreated(deps: KeyControllerDeps, marked: OpsManagerApiKey, before: OpsManagerApiKey, err: unknown): Promise<void> {
  if (!(err instanceof OpsManagerError) || err instanceof AmbiguousCreateError) return;
  const { pendingCreate: _p, ...rest } = marked.status ?? {};
  const base = { ...rest, previousKeyId: before.status?.previousKeyId, previousKeyRevokeAt: before.status?.previousKeyRevokeAt };
  // The failure is stated here too: this write moves the resourceVersion past the caller's copy.
  const c = classifyError(err, { ...(before.spec.orgId ? { orgId: before.spec.orgId } : {}), ...(before.spec.projectId ? { projectId: before.spec.projectId } : {}) });
  try {
    await deps.keys.replaceStatus({ ...marked, status: notReadyStatus(marked, 'KeyProvisioned', c.reason, c.message, new Date(deps.clock.now()), base) });
  } catch {
    // Best effort: a marker left behind only costs one list call later.
  }
}

function prevOf(obj: OpsManagerApiKey): { keyId: string; revokeAt: Date } | undefined {
  const id = obj.status?.previousKeyId;
  if (!id) return undefined;
  return { keyId: id, revokeAt: new Date(obj.status?.previousKeyRevokeAt ?? 0) };
}

/** Creates or replaces our Secret; a Secret that appeared meanwhile and is not ours is never touched. */
async function writeSecret(deps: KeyControllerDeps, obj: OpsManagerApiKey, current: V1Secret | undefined, desired: V1Secret): Promise<V1Secret> {
  if (current) return deps.secrets.update(current, desired);
  try {
    return await deps.secrets.create(desired);
  } catch (err) {
    if (!isConflict(err)) throw err;
    const live = await deps.secrets.get(obj.metadata.namespace ?? '', secretName(obj));
    if (!live || !isOwnedBy(live, obj)) throw err;
    return deps.secrets.update(live, desired);
  }
}
