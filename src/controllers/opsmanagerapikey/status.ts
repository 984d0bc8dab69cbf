import { ConditionType, Reason, formatTime as iso, setCondition } from '../../api/conditions.ts';
import type { OpsManagerApiKey, OpsManagerApiKeyStatus } from '../../api/types.ts';
import { parseDuration } from '../shared/duration.ts';
import { sameJson } from '../shared/same-json.ts';
import type { RemoteKey } from './plan.ts';

function gen(obj: OpsManagerApiKey): number | undefined {
  return obj.metadata.generation;
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
  return {
    ...rest,
    observedGeneration: g,
    keyId: key.id,
    publicKey: key.publicKey,
    roles: [...key.roles].sort(),
    accessList: [...key.accessList].sort(),
    secretName,
    ...(every && base.rotatedAt ? { nextRotationAt: iso(new Date(Date.parse(base.rotatedAt) + parseDuration(every))) } : {}),
    conditions,
  };
}

/** Status when something stops the resource from being Ready; the rest of the status is kept. */
export function notReadyStatus(
  obj: OpsManagerApiKey,
  detail: 'KeyProvisioned' | 'SecretSynced',
  reason: string,
  message: string,
  now: Date,
  base: OpsManagerApiKeyStatus,
): OpsManagerApiKeyStatus {
  const g = gen(obj);
  let conditions = setCondition(base.conditions, { type: ConditionType[detail], status: 'False', reason, message, observedGeneration: g }, now);
  conditions = setCondition(conditions, { type: ConditionType.Ready, status: 'False', reason, message, observedGeneration: g }, now);
  return { ...base, conditions };
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
