import { findCondition, Reason } from '../../api/conditions.ts';
import type { OpsManagerApiKey } from '../../api/types.ts';
import { hasFinalizer } from '../shared/finalizers.ts';
import { bindingVerdict } from '../shared/policy.ts';
import { reconcileRequested } from '../shared/reconcile-request.ts';
import { sameJson, sameSet } from '../shared/same-json.ts';
import { keyIsReady, keyNotJudgedYet, olderRival, ownProjectOfKey } from './assignments.ts';
import type { BindingDecision, BindingGathered, BindingPlan, BindingRead, BindingStep } from './plan.ts';
import { notReadyStatus, readyStatus } from './status.ts';

/**
 * The one place where a ProjectKeyBinding's reconcile decides anything: what must still be
 * read, then the plan of writes. Pure. Steady state plans nothing: an assignment already right
 * and a status already saying so lead to no call at all.
 */
export function decide(g: BindingGathered): BindingDecision {
  const { obj } = g;
  const keyName = obj.spec.apiKeyRef.name;
  const project = obj.spec.projectId;
  if (obj.metadata.deletionTimestamp) return finalize(g);
  if (!hasFinalizer(obj.metadata)) return act({ name: 'AddFinalizer', steps: [{ kind: 'AddFinalizer' }], then: { kind: 'again' } });
  if (g.key.state === 'absent' || g.key.key.metadata.deletionTimestamp) {
    const gone = g.key.state === 'absent' ? 'does not exist' : 'is being deleted';
    return act(waitPlan(g, Reason.KeyNotFound, `OpsManagerApiKey ${keyName} ${gone}`, false));
  }
  const key = g.key.key;
  if (ownProjectOfKey(obj, key)) {
    return act(waitPlan(g, Reason.Conflict, `OpsManagerApiKey ${keyName} was created in project ${project}; its roles there come from its own spec.roles`, true));
  }
  const rival = olderRival(obj, g.siblings);
  if (rival) return act(waitPlan(g, Reason.Conflict, `ProjectKeyBinding ${rival.metadata.name ?? ''} (older) already binds key ${keyName} to project ${project}`, true));
  if (!keyIsReady(key)) {
    // A binding applied together with its key: stating "waiting" for the moment the key takes to
    // be made would cost a status write and an Event per binding; its first status wakes us.
    if (keyNotJudgedYet(key) && !obj.status?.conditions?.length) return act({ name: 'Wait', steps: [], then: { kind: 'done' } });
    return act(waitPlan(g, Reason.KeyNotReady, `waiting for OpsManagerApiKey ${keyName} to be Ready`, false));
  }
  // Checked before any Ops Manager write, for an assignment made already too: a narrowed policy is reported.
  const policy = bindingVerdict(g.access, obj.metadata.namespace ?? '', project, obj.spec.roles);
  if (!policy.allowed) return act(waitPlan(g, policy.reason, policy.message, true));
  // A reconcile someone asked for (reconcile.fluxcd.io/requestedAt) reads the project from Ops Manager itself.
  const projectRead: BindingRead = reconcileRequested(obj.metadata, obj.status) ? 'projectLive' : 'project';
  return needs(g, ['connection', projectRead]) ?? act(convergePlan(g, key));
}

function act(plan: BindingPlan): BindingDecision {
  return { kind: 'act', plan };
}

function needs(g: BindingGathered, wanted: BindingRead[]): BindingDecision | undefined {
  const reads = wanted.filter((r) => (r === 'connection' ? g.connection.state === 'unread' : g.project.state === 'unread'));
  return reads.length > 0 ? { kind: 'read', reads } : undefined;
}

/**
 * Not Ready for a reason that a watched change (key, sibling, spec) resolves: stated once, no
 * retry loop. `stalled`: a person must change something (a rival binding, the policy, the spec).
 */
function waitPlan(g: BindingGathered, reason: string, message: string, stalled: boolean): BindingPlan {
  const status = notReadyStatus(g.obj, { reason, message, stalled }, g.now);
  const steps: BindingStep[] = sameJson(status, g.obj.status)
    ? []
    : [{ kind: 'StatusWrite', status }, { kind: 'Event', type: reason === Reason.KeyNotReady ? 'Normal' : 'Warning', reason, message }];
  return { name: 'Wait', steps, then: { kind: 'done' } };
}

/**
 * Takes the key(s) out of the project, then lets the binding go. Without the key resource
 * (deleted first) the default connection is used when its policy serves the namespace; a
 * connection that cannot be resolved any more does not hold the deletion forever. A live
 * sibling owns the assignment (it takes over when this one goes); a project key's own project
 * is not a binding's to touch.
 */
function finalize(g: BindingGathered): BindingDecision {
  const { obj } = g;
  if (!hasFinalizer(obj.metadata)) return act({ name: 'Finalize', steps: [], then: { kind: 'done' } });
  const key = g.key.state === 'present' ? g.key.key : undefined;
  const ids = new Set<string>();
  const sharedOrNotOurs = g.siblings.some((s) => !s.metadata.deletionTimestamp) || (key && ownProjectOfKey(obj, key));
  if (!sharedOrNotOurs) for (const id of [obj.status?.keyId, key?.status?.keyId, key?.status?.previousKeyId]) if (id) ids.add(id);
  const projectId = obj.spec.projectId;
  const steps: BindingStep[] = [];
  const mayUseDefault = g.access.kind === 'granted' && g.access.grants.length > 0;
  if (ids.size > 0 && (key || mayUseDefault)) {
    const missing = needs(g, ['connection']);
    if (missing) return missing;
  }
  const list = [...ids].join(', ');
  if (ids.size > 0 && g.connection.state === 'read') {
    for (const keyId of ids) steps.push({ kind: 'ProjectUnassign', projectId, keyId });
    steps.push({ kind: 'Event', type: 'Normal', reason: 'Unassigned', message: `key ${list} removed from project ${projectId}` });
  } else if (ids.size > 0) {
    steps.push({ kind: 'Event', type: 'Warning', reason: 'UnassignSkipped', message: `no usable Ops Manager connection for key ${list}; it may remain assigned to project ${projectId}` });
  }
  steps.push({ kind: 'RemoveFinalizer' });
  return act({ name: 'Finalize', steps, then: { kind: 'done' } });
}

function convergePlan(g: BindingGathered, key: OpsManagerApiKey): BindingPlan {
  const { obj } = g;
  if (g.project.state !== 'read') throw new Error('internal: converge needs the project read');
  const assigned = g.project.assigned;
  const projectId = obj.spec.projectId;
  const keyId = key.status?.keyId ?? '';
  const want = [...new Set(obj.spec.roles)].sort();
  const have = assigned.get(keyId);
  const old = obj.status?.keyId;
  const steps: BindingStep[] = [];
  let roles = [...(have ?? [])].sort();
  if (!have || !sameSet(have, want)) {
    steps.push({ kind: 'ProjectAssign', projectId, keyId, roles: want });
    steps.push(assignEvent(g, keyId, have, want));
    roles = want;
  }
  // A previous key in its rotation grace period keeps its roles until the key controller deletes it.
  if (old && old !== keyId && old !== key.status?.previousKeyId && assigned.has(old)) {
    steps.push({ kind: 'ProjectUnassign', projectId, keyId: old });
    steps.push({ kind: 'Event', type: 'Normal', reason: 'PreviousKeyUnassigned', message: `earlier key ${old} removed from project ${projectId}` });
  }
  const status = readyStatus(obj, keyId, roles, g.now);
  if (!sameJson(status, obj.status)) steps.push({ kind: 'StatusWrite', status });
  return { name: 'Converge', steps, then: { kind: 'done' } };
}

function assignEvent(g: BindingGathered, keyId: string, have: readonly string[] | undefined, want: string[]): BindingStep {
  const { obj } = g;
  const projectId = obj.spec.projectId;
  const wasConverged =
    obj.status?.keyId === keyId && obj.status.observedGeneration === obj.metadata.generation && findCondition(obj.status.conditions, 'Ready')?.status === 'True';
  if (wasConverged) {
    const was = have && have.length > 0 ? [...have].sort().join(', ') : 'not assigned';
    return { kind: 'Event', type: 'Warning', reason: 'DriftCorrected', message: `key ${keyId} was changed by hand in project ${projectId} (${was}); put back: ${want.join(', ')}` };
  }
  return { kind: 'Event', type: 'Normal', reason: 'Assigned', message: `key ${keyId} assigned to project ${projectId} with ${want.join(', ')}` };
}
