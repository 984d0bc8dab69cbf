import { ConditionType, Reason, formatTime as iso, setCondition } from '../../api/conditions.ts';
import type { OpsManagerApiKey, OpsManagerApiKeyStatus } from '../../api/types.ts';
import type { RemoteKey } from './decide.ts';
import { parseDuration } from './duration.ts';

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
  const { nextRotationAt: _drop, pendingCreate: _pending, ...rest } = base;
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

/** Deep equality for JSON-shaped status, so an unchanged status is never written. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  }
  return v;
}
