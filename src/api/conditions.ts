import { boundText, MAX_MESSAGE } from './bounded-text.ts';
import type { Condition } from './types.ts';

export const ConditionType = {
  Ready: 'Ready',
  KeyProvisioned: 'KeyProvisioned',
  SecretSynced: 'SecretSynced',
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

export const Reason = {
  Provisioned: 'Provisioned',
  InvalidSpec: 'InvalidSpec',
  OpsManagerUnreachable: 'OpsManagerUnreachable',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotOnAccessList: 'NotOnAccessList',
  OrgNotFound: 'OrgNotFound',
  ProjectNotFound: 'ProjectNotFound',
  KeyNotFound: 'KeyNotFound',
  KeyNotReady: 'KeyNotReady',
  SecretConflict: 'SecretConflict',
  SecretSynced: 'SecretSynced',
  Rotating: 'Rotating',
  RateLimited: 'RateLimited',
  PolicyDenied: 'PolicyDenied',
  Conflict: 'Conflict',
  Deleting: 'Deleting',
  AccessListRejected: 'AccessListRejected',
  ConnectionInvalid: 'ConnectionInvalid',
  ConnectionNotFound: 'ConnectionNotFound',
  ConnectionNotReady: 'ConnectionNotReady',
  Authenticated: 'Authenticated',
  Progressing: 'Progressing',
  AdoptionKeyNotFound: 'AdoptionKeyNotFound',
  AdoptionConflict: 'AdoptionConflict',
  AdoptionPairInvalid: 'AdoptionPairInvalid',
  AdoptionSecretInvalid: 'AdoptionSecretInvalid',
  AdoptionRefused: 'AdoptionRefused',
  ConfigMapConflict: 'ConfigMapConflict',
} as const;
export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** A condition as a reconciler states it; the transition time is filled in by setCondition. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Returns a new list with `newCond` in place of the condition of the same type (appended if
 * absent). lastTransitionTime moves only when the status changes, as metav1 consumers expect
 * (kubectl wait, Argo CD health). Pure: the input list is not modified.
 */
export function setCondition(conditions: readonly Condition[] | undefined, newCond: ConditionInput, now: Date): Condition[] {
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === newCond.type);
  const lastTransitionTime =
    existing !== undefined && existing.status === newCond.status
      ? existing.lastTransitionTime
      : formatTime(now);
  const merged: Condition = {
    type: newCond.type,
    status: newCond.status,
    reason: newCond.reason,
    // The last line of defence: text from outside is bounded where it enters, but a condition
    // must stay short and printable whatever a message was built from.
    message: boundText(newCond.message, { chars: MAX_MESSAGE }),
    lastTransitionTime,
    ...(newCond.observedGeneration === undefined ? {} : { observedGeneration: newCond.observedGeneration }),
  };
  if (existing === undefined) return [...list, merged];
  return list.map((c) => (c.type === newCond.type ? merged : c));
}

/** Looks a condition up by type. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** metav1.Time serialises with second precision; keep the same form so that diffs are stable. */
export function formatTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
