import { ConditionType, setCondition, setProgress, type Progress } from '../../api/conditions.ts';
import type { ProjectKeyBinding, ProjectKeyBindingStatus } from '../../api/types.ts';
import { handledRequest } from '../shared/reconcile-request.ts';

/** Ready=True reason of a binding whose key holds the wanted roles in the project. */
const REASON_ASSIGNED = 'Assigned';

/** The generation looked at, Reconciling/Stalled for kstatus, and the reconcile request answered. */
function judged(obj: ProjectKeyBinding, status: ProjectKeyBindingStatus, progress: Progress, now: Date): ProjectKeyBindingStatus {
  const g = obj.metadata.generation;
  return { ...status, observedGeneration: g, ...handledRequest(obj.metadata), conditions: setProgress(status.conditions, progress, g, now) };
}

export function readyStatus(obj: ProjectKeyBinding, keyId: string, roles: readonly string[], now: Date): ProjectKeyBindingStatus {
  const g = obj.metadata.generation;
  const message = `key ${keyId} holds ${[...roles].sort().join(', ')} in project ${obj.spec.projectId}`;
  const conditions = setCondition(obj.status?.conditions, { type: ConditionType.Ready, status: 'True', reason: REASON_ASSIGNED, message, observedGeneration: g }, now);
  return judged(obj, { ...obj.status, keyId, roles: [...roles].sort(), conditions }, { kind: 'done' }, now);
}

/**
 * Not Ready; keyId is kept, because a later cleanup may still need to remove that key from the
 * project. `stalled`: only someone's change gets it further; otherwise it waits or retries (Reconciling).
 */
export function notReadyStatus(obj: ProjectKeyBinding, failure: { reason: string; message: string; stalled: boolean }, now: Date): ProjectKeyBindingStatus {
  const g = obj.metadata.generation;
  const { reason, message } = failure;
  const conditions = setCondition(obj.status?.conditions, { type: ConditionType.Ready, status: 'False', reason, message, observedGeneration: g }, now);
  return judged(obj, { ...obj.status, conditions }, { kind: failure.stalled ? 'stalled' : 'working', reason, message }, now);
}
