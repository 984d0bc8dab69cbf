import { ConditionType, Reason, formatTime as iso, setCondition, setProgress, type Progress } from '../../api/conditions.ts';
import type { OpsManagerApiKey, OpsManagerApiKeyStatus } from '../../api/types.ts';
import { parseDuration } from '../shared/duration.ts';
import { handledRequest } from '../shared/reconcile-request.ts';
import { sameJson } from '../shared/same-json.ts';
import type { RemoteKey } from './plan.ts';

function gen(obj: OpsManagerApiKey): number | undefined {
  return obj.metadata.generation;
}

/**
 * A status that states where this generation stands: the generation looked at (on success, on a
 * stall, and on progress alike), Reconciling/Stalled for kstatus, and the reconcile request
 * (reconcile.fluxcd.io/requestedAt) it answers. Only a write that sets the conditions to match
 * may set observedGeneration: kstatus trusts Ready once the generation is observed.
 */
export function judged(obj: OpsManagerApiKey, status: OpsManagerApiKeyStatus, progress: Progress, now: Date): OpsManagerApiKeyStatus {
  const g = gen(obj);
  return { ...status, observedGeneration: g, ...handledRequest(obj.metadata), conditions: setProgress(status.conditions, progress, g, now) };
}

/** Status after a successful reconcile: mirrors Ops Manager, all conditions True. */
export function readyStatus(obj: OpsManagerApiKey, key: RemoteKey, secretName: string, now: Date, base: OpsManagerApiKeyStatus): OpsManagerApiKeyStatus {
  const g = gen(obj);
  let conditions = setCondition(base.conditions, { type: ConditionType.KeyProvisioned, status: 'True', reason: Reason.Provisioned, message: `key ${key.publicKey} (${key.id}) matches the spec`, observedGeneration: g }, now);
  conditions = setCondition(conditions, { type: ConditionType.SecretSynced, status: 'True', reason: Reason.SecretSynced, message: `Secret ${secretName} holds the key's pair`, observedGeneration: g }, now);
  const retiring = base.previousKeyId ? `; previous key ${base.previousKeyId} is revoked at ${base.previousKeyRevokeAt ?? 'once possible'}` : '';
  conditions = setCondition(conditions, { type: ConditionType.Ready, status: 'True', reason: base.previousKeyId ? Reason.Rotating : Reason.Provisioned, message: `key ${key.publicKey} is ready in Secret ${secretName}${retiring}`, observedGeneration: g }, now);
  const every = obj.spec.rotation?.every;
  const { nextRotationAt: _drop, ...rest } = base;
  return judged(obj, {
    ...rest,
    observedGeneration: g,
    keyId: key.id,
    publicKey: key.publicKey,
    roles: [...key.roles].sort(),
    accessList: [...key.accessList].sort(),
    secretName,
    ...(every && base.rotatedAt ? { nextRotationAt: iso(new Date(Date.parse(base.rotatedAt) + parseDuration(every))) } : {}),
    conditions,
  }, { kind: 'done' }, now);
}

/**
 * Status when something stops the resource from being Ready; the rest of the status is kept.
 * `stalled`: only a change by someone gets it further (Stalled); otherwise it is retried (Reconciling).
 */
export function notReadyStatus(
  obj: OpsManagerApiKey,
  failure: { detail: 'KeyProvisioned' | 'SecretSynced'; reason: string; message: string; stalled: boolean },
  now: Date,
  base: OpsManagerApiKeyStatus,
): OpsManagerApiKeyStatus {
  const g = gen(obj);
  const { detail, reason, message } = failure;
  let conditions = setCondition(base.conditions, { type: ConditionType[detail], status: 'False', reason, message, observedGeneration: g }, now);
  conditions = setCondition(conditions, { type: ConditionType.Ready, status: 'False', reason, message, observedGeneration: g }, now);
  return judged(obj, { ...base, conditions }, { kind: failure.stalled ? 'stalled' : 'working', reason, message }, now);
}

/** Whether writing `status` would change what the resource says (an unchanged status is never written). */
export function statusChanged(obj: OpsManagerApiKey, status: OpsManagerApiKeyStatus): boolean {
  return !sameJson(status, obj.status);
}

/** When the next planned check is due (rotation, end of a grace period), at least a second from now. */
export function plannedCheckMs(status: OpsManagerApiKeyStatus, now: Date): number | undefined {
  const times = [status.nextRotationAt, status.previousKeyRevokeAt].filter((t): t is string => !!t).map((t) => Date.parse(t) - now.getTime());
  return times.length > 0 ? Math.max(1000, Math.min(...times)) : undefined;
}
