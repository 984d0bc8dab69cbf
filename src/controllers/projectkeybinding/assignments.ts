import { findCondition } from '../../api/conditions.ts';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../../api/types.ts';
import { hasFinalizer } from '../shared/finalizers.ts';
import type { Verdict } from '../shared/policy.ts';

// Rules about bindings that both controllers apply: which binding owns a key's assignment to a
// project, and which project roles a freshly created key must carry. Pure.

/** Creation time first, then name: a total order, so every reconcile agrees on who wins. */
function isOlder(a: ProjectKeyBinding, b: ProjectKeyBinding): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/** The live binding that owns the key's assignment to the project, if `obj` is not it. */
export function olderRival(obj: ProjectKeyBinding, siblings: readonly ProjectKeyBinding[]): ProjectKeyBinding | undefined {
  return siblings.filter((s) => !s.metadata.deletionTimestamp && isOlder(s, obj)).sort((a, b) => (isOlder(a, b) ? -1 : 1))[0];
}

/** A project key's own project is the key controller's to manage, never a binding's. */
export function ownProjectOfKey(obj: ProjectKeyBinding, key: OpsManagerApiKey): boolean {
  return key.spec.projectId !== undefined && key.spec.projectId === obj.spec.projectId;
}

export function keyIsReady(key: OpsManagerApiKey): boolean {
  return findCondition(key.status?.conditions, 'Ready')?.status === 'True' && !!key.status?.keyId && !key.metadata.deletionTimestamp;
}

/**
 * The key controller has not stated anything about this key yet (no Ready condition): a first
 * key being created, whose first status is Ready or a reason. That status is news for the
 * key's bindings (keyAsBindingsSee), so a binding made with its key can wait for it silently.
 */
export function keyNotJudgedYet(key: OpsManagerApiKey): boolean {
  return !key.metadata.deletionTimestamp && findCondition(key.status?.conditions, 'Ready') === undefined;
}

/**
 * Everything of a key that a binding's reconcile reads (decide and gather): whether it is going,
 * whether it is Ready, its current and previous key ids, its own project and its connection.
 * A change of the key that leaves this as it was (its pending mark, the first of a new key's two
 * status writes, a condition's message) is no news for its bindings and reconciles none of them.
 */
export function keyAsBindingsSee(key: OpsManagerApiKey): string {
  const ready = findCondition(key.status?.conditions, 'Ready')?.status ?? null;
  const { keyId, previousKeyId } = key.status ?? {};
  return JSON.stringify([key.metadata.uid ?? null, !!key.metadata.deletionTimestamp, ready, keyId ?? null, previousKeyId ?? null, key.spec.projectId ?? null, key.spec.connectionRef ?? null, key.status?.connection ?? null]);
}

/**
 * Which project roles a freshly created key must carry before its pair is published: one
 * entry per binding that would be Ready with it (valid, not in conflict, allowed by policy).
 */
export function assignmentsForNewKey(
  key: OpsManagerApiKey,
  bindings: readonly ProjectKeyBinding[],
  policy: (b: ProjectKeyBinding) => Verdict,
): Array<{ binding: string; projectId: string; roles: string[] }> {
  const out: Array<{ binding: string; projectId: string; roles: string[] }> = [];
  for (const b of bindings) {
    // A binding without its finalizer yet could go without cleaning up: it is served once it has one.
    if (b.metadata.deletionTimestamp || !hasFinalizer(b.metadata) || b.spec.apiKeyRef.name !== key.metadata.name || ownProjectOfKey(b, key)) continue;
    const siblings = bindings.filter((s) => s !== b && s.spec.projectId === b.spec.projectId && s.spec.apiKeyRef.name === b.spec.apiKeyRef.name);
    if (olderRival(b, siblings) || !policy(b).allowed) continue;
    out.push({ binding: b.metadata.name ?? '', projectId: b.spec.projectId, roles: [...new Set(b.spec.roles)].sort() });
  }
  return out;
}
