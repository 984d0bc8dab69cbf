import { boundText, MAX_MESSAGE } from './bounded-text.ts';
import type { Condition } from './types.ts';

export const ConditionType = {
  Ready: 'Ready',
  /** kstatus: True while the operator is working towards the spec (in progress). */
  Reconciling: 'Reconciling',
  /** kstatus: True when the operator cannot get further without someone changing something (failed). */
  Stalled: 'Stalled',
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

/**
 * Failures a retry does not get past until someone changes something: the spec, the operator's
 * policy, a conflicting object, Ops Manager's organization or project. They stall the resource
 * (kstatus Failed: Flux fails fast instead of waiting for its timeout) even where the operator
 * keeps looking now and then. Passing failures (Ops Manager down, rate limits, a connection not
 * there yet) are progress with retries.
 */
const STALLING = new Set<string>([
  Reason.PolicyDenied, Reason.InvalidSpec, Reason.AccessListRejected, Reason.OrgNotFound, Reason.ProjectNotFound,
  Reason.SecretConflict, Reason.ConfigMapConflict, Reason.AdoptionRefused, Reason.AdoptionPairInvalid,
  Reason.AdoptionKeyNotFound, Reason.AdoptionConflict, Reason.AdoptionSecretInvalid,
]);

/** Whether a failure stalls the resource: terminal (no retry until it changes), or one only a person resolves. */
export function stalls(reason: string, terminal: boolean): boolean {
  return terminal || STALLING.has(reason);
}

/**
 * Where the resource stands, as kstatus reads it: `done` (neither condition; Ready says the
 * rest), `working` (Reconciling=True: first create, replacement, rotation, adoption, a retry)
 * or `stalled` (Stalled=True with the failure's reason).
 */
export type Progress = { kind: 'done' } | { kind: 'working' | 'stalled'; reason: string; message: string };

/**
 * Reconciling and Stalled as kstatus wants them: each present only while True (as Flux's own
 * controllers keep them), so a resource at rest carries neither and an upgrade rewrites no
 * settled status.
 */
export function setProgress(conditions: readonly Condition[] | undefined, p: Progress, generation: number | undefined, now: Date): Condition[] {
  const keep = p.kind === 'working' ? ConditionType.Reconciling : p.kind === 'stalled' ? ConditionType.Stalled : undefined;
  const rest = (conditions ?? []).filter((c) => (c.type !== ConditionType.Reconciling && c.type !== ConditionType.Stalled) || c.type === keep);
  if (p.kind === 'done' || keep === undefined) return rest;
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  return setCondition(rest, { type: keep, status: 'True', reason: p.reason, message: p.message, ...gen }, now);
}

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
