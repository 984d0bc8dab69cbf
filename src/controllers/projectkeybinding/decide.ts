import { findCondition, Reason } from '../../api/conditions.ts';
import { FINALIZER, type OpsManagerApiKey, type ProjectKeyBinding } from '../../api/types.ts';
import type { PolicyVerdict } from '../opsmanagerapikey/policy.ts';

export type KeyView = { state: 'absent' } | { state: 'present'; key: OpsManagerApiKey };

/** Ops Manager's view of one project: key id -> that key's roles in the project. */
export type ProjectView = { state: 'unread' } | { state: 'read'; assigned: ReadonlyMap<string, readonly string[]> };

export interface BindingGathered {
  obj: ProjectKeyBinding;
  key: KeyView;
  /** Other bindings in the namespace for the same key and project (deleting ones included). */
  siblings: readonly ProjectKeyBinding[];
  /** The operator's policy for these roles through the key's connection (allowed when the key is absent). */
  policy: PolicyVerdict;
  project: ProjectView;
}

export type WaitReason = typeof Reason.KeyNotFound | typeof Reason.KeyNotReady | typeof Reason.Conflict | typeof Reason.PolicyDenied;

export type BindingPlan =
  | { kind: 'Done' }
  | { kind: 'AddFinalizer' }
  /** Remove the key ids from the project (gone counts as done), then the finalizer. */
  | { kind: 'Finalize'; unassign: string[] }
  /** Not Ready for a reason that a watched change (key, sibling, spec) resolves: no retry loop. */
  | { kind: 'Wait'; reason: WaitReason; message: string }
  | { kind: 'ReadProject' }
  | {
      kind: 'Converge';
      keyId: string;
      /** Roles to PATCH onto the key in the project; `drift` when the binding had them right before. */
      assign?: { roles: string[]; drift: boolean; previous: string[] };
      /** Earlier key ids of this binding still assigned to the project. */
      unassign: string[];
      /** The roles Ops Manager reports once the plan is applied. */
      roles: string[];
    };

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sb].every((x) => sa.has(x));
}

/** Creation time first, then name: a total order, so every reconcile agrees on who wins. */
export function isOlder(a: ProjectKeyBinding, b: ProjectKeyBinding): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/** The live binding that owns the key's assignment to the project, if `obj` is not it. */
export function olderRival(obj: ProjectKeyBinding, siblings: readonly ProjectKeyBinding[]): ProjectKeyBinding | undefined {
  return siblings.filter((s) => !s.metadata.deletionTimestamp && isOlder(s, obj)).sort((a, b) => (isOlder(a, b) ? -1 : 1))[0];
}

/** A project-mode key's own project is the key controller's to manage, never a binding's. */
export function ownProjectOfKey(obj: ProjectKeyBinding, key: OpsManagerApiKey): boolean {
  return key.spec.projectId !== undefined && key.spec.projectId === obj.spec.projectId;
}

export function keyIsReady(key: OpsManagerApiKey): boolean {
  return findCondition(key.status?.conditions, 'Ready')?.status === 'True' && !!key.status?.keyId && !key.metadata.deletionTimestamp;
}

/** Pure: from what was gathered, the next thing to do. */
export function decide(g: BindingGathered): BindingPlan {
  const { obj } = g;
  const keyName = obj.spec.apiKeyRef.name;
  const project = obj.spec.projectId;

  if (obj.metadata.deletionTimestamp) return finalizePlan(g);
  if (!(obj.metadata.finalizers ?? []).includes(FINALIZER)) return { kind: 'AddFinalizer' };
  if (g.key.state === 'absent' || g.key.key.metadata.deletionTimestamp) {
    const gone = g.key.state === 'absent' ? 'does not exist' : 'is being deleted';
    return { kind: 'Wait', reason: Reason.KeyNotFound, message: `OpsManagerApiKey ${keyName} ${gone}` };
  }
  const key = g.key.key;
  if (ownProjectOfKey(obj, key)) {
    return { kind: 'Wait', reason: Reason.Conflict, message: `OpsManagerApiKey ${keyName} was created in project ${project}; its roles there come from its own spec.roles` };
  }
  const rival = olderRival(obj, g.siblings);
  if (rival) {
    return { kind: 'Wait', reason: Reason.Conflict, message: `ProjectKeyBinding ${rival.metadata.name ?? ''} (older) already binds key ${keyName} to project ${project}` };
  }
  if (!keyIsReady(key)) return { kind: 'Wait', reason: Reason.KeyNotReady, message: `waiting for OpsManagerApiKey ${keyName} to be Ready` };
  if (!g.policy.allowed) return { kind: 'Wait', reason: Reason.PolicyDenied, message: g.policy.message };
  if (g.project.state === 'unread') return { kind: 'ReadProject' };
  return convergePlan(g, key, g.project.assigned);
}

function finalizePlan(g: BindingGathered): BindingPlan {
  const { obj } = g;
  if (!(obj.metadata.finalizers ?? []).includes(FINALIZER)) return { kind: 'Done' };
  const key = g.key.state === 'present' ? g.key.key : undefined;
  // A live sibling owns the assignment (it takes over when this one goes); a project-mode
  // key's own project is not ours to touch.
  if (g.siblings.some((s) => !s.metadata.deletionTimestamp) || (key && ownProjectOfKey(obj, key))) {
    return { kind: 'Finalize', unassign: [] };
  }
  const ids = new Set<string>();
  for (const id of [obj.status?.keyId, key?.status?.keyId, key?.status?.previousKeyId]) if (id) ids.add(id);
  return { kind: 'Finalize', unassign: [...ids] };
}

function convergePlan(g: BindingGathered, key: OpsManagerApiKey, assigned: ReadonlyMap<string, readonly string[]>): BindingPlan {
  const { obj } = g;
  const keyId = key.status?.keyId ?? '';
  const want = [...new Set(obj.spec.roles)].sort();
  const have = assigned.get(keyId);
  const old = obj.status?.keyId;
  // A previous key in its rotation grace period keeps its roles until the key controller deletes it.
  const unassign = old && old !== keyId && old !== key.status?.previousKeyId && assigned.has(old) ? [old] : [];
  if (have && sameSet(have, want)) return { kind: 'Converge', keyId, unassign, roles: [...have].sort() };
  const wasConverged =
    old === keyId &&
    obj.status?.observedGeneration === obj.metadata.generation &&
    findCondition(obj.status?.conditions, 'Ready')?.status === 'True';
  return { kind: 'Converge', keyId, assign: { roles: want, drift: wasConverged, previous: [...(have ?? [])].sort() }, unassign, roles: want };
}

/** True when a Converge plan writes nothing to Ops Manager. */
export function isNoop(plan: BindingPlan): boolean {
  return plan.kind === 'Converge' && plan.assign === undefined && plan.unassign.length === 0;
}

/**
 * Which project roles a freshly created key must carry before its pair is published: one
 * entry per binding that would be Ready with it (valid, not in conflict, allowed by policy).
 */
export function assignmentsForNewKey(
  key: OpsManagerApiKey,
  bindings: readonly ProjectKeyBinding[],
  policy: (b: ProjectKeyBinding) => PolicyVerdict,
): Array<{ binding: string; projectId: string; roles: string[] }> {
  const out: Array<{ binding: string; projectId: string; roles: string[] }> = [];
  for (const b of bindings) {
    if (b.metadata.deletionTimestamp || b.spec.apiKeyRef.name !== key.metadata.name || ownProjectOfKey(b, key)) continue;
    const siblings = bindings.filter((s) => s !== b && s.spec.projectId === b.spec.projectId && s.spec.apiKeyRef.name === b.spec.apiKeyRef.name);
    if (olderRival(b, siblings) || !policy(b).allowed) continue;
    out.push({ binding: b.metadata.name ?? '', projectId: b.spec.projectId, roles: [...new Set(b.spec.roles)].sort() });
  }
  return out;
}
