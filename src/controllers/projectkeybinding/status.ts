import { ConditionType, setCondition } from '../../api/conditions.ts';
import type { ProjectKeyBinding, ProjectKeyBindingStatus } from '../../api/types.ts';

/** Ready=True reason of a binding whose key holds the wanted roles in the project. */
const REASON_ASSIGNED = 'Assigned';

export function readyStatus(obj: ProjectKeyBinding, keyId: string, roles: readonly string[], now: Date): ProjectKeyBindingStatus {
  const g = obj.metadata.generation;
  const message = `key ${keyId} holds ${[...roles].sort().join(', ')} in project ${obj.spec.projectId}`;
  return {
    ...obj.status,
    observedGeneration: g,
    keyId,
    roles: [...roles].sort(),
    conditions: setCondition(obj.status?.conditions, { type: ConditionType.Ready, status: 'True', reason: REASON_ASSIGNED, message, observedGeneration: g }, now),
  };
}

/** Not Ready; keyId is kept, because a later cleanup may still need to remove that key from the project. */
export function notReadyStatus(obj: ProjectKeyBinding, reason: string, message: string, now: Date): ProjectKeyBindingStatus {
  const g = obj.metadata.generation;
  return {
    ...obj.status,
    observedGeneration: g,
    conditions: setCondition(obj.status?.conditions, { type: ConditionType.Ready, status: 'False', reason, message, observedGeneration: g }, now),
  };
}
