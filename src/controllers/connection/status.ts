import { MAX_MESSAGE, boundText } from '../../api/bounded-text.ts';
import { findCondition, Reason, setCondition } from '../../api/conditions.ts';
import type { ConnectionStatus, ObjectMeta } from '../../api/types.ts';
import type { Organization } from '../../opsmanager/types.ts';
import type { Classified } from '../shared/classify.ts';

/** What one probe of a connection found: the organizations its credential sees, or why it cannot be used. */
export type Probe = { ok: true; organizations: readonly Organization[]; more: boolean } | { ok: false; failure: Classified };

/** The status a probe says, from the status there is. Pure. */
export function connectionStatus(meta: ObjectMeta, old: ConnectionStatus | undefined, probe: Probe, now: Date): ConnectionStatus {
  const generation = meta.generation;
  const condition = probe.ok
    ? {
        type: 'Ready',
        status: 'True' as const,
        reason: Reason.Authenticated,
        message: boundText(readyMessage(probe.organizations, probe.more), { chars: MAX_MESSAGE, bytes: MAX_MESSAGE }),
      }
    : { type: 'Ready', status: 'False' as const, reason: probe.failure.reason, message: boundText(probe.failure.message, { chars: MAX_MESSAGE, bytes: MAX_MESSAGE }) };
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: setCondition(old?.conditions, { ...condition, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, now),
  };
}

function readyMessage(orgs: readonly Organization[], more: boolean): string {
  if (orgs.length === 0) return 'the credential authenticates; it is a member of no organization it can list (a project-only or global key)';
  const names = orgs.map((o) => `${boundText(o.name, { chars: 64 })} (${o.id})`).join(', ');
  return `the credential authenticates; organizations it can see: ${names}${more ? ', and more' : ''}`;
}

/** Whether writing `next` would change anything a person or tool reads (times aside). */
export function statusDiffers(old: ConnectionStatus | undefined, next: ConnectionStatus): boolean {
  const a = findCondition(old?.conditions, 'Ready');
  const b = findCondition(next.conditions, 'Ready');
  return old?.observedGeneration !== next.observedGeneration || a?.status !== b?.status || a?.reason !== b?.reason || a?.message !== b?.message;
}

/** Whether the status says Ready for the object's current generation. Pure. */
export function readyForGeneration(meta: ObjectMeta, status: ConnectionStatus | undefined): boolean {
  const ready = findCondition(status?.conditions, 'Ready');
  return ready?.status === 'True' && status?.observedGeneration === meta.generation;
}

/**
 * Whether a probe would only repeat what is known: the status says Ready for this generation,
 * and the latest answer through the connection's client (no refusal since) authenticated within
 * `windowMs` (the period a probe is due in), either a key's call after the last probe or this
 * probe's own less than half a window ago (the status it wrote comes back as a change). Pure.
 */
export function provenByUse(
  meta: ObjectMeta,
  status: ConnectionStatus | undefined,
  at: { provenAt: number | undefined; probedAt: number | undefined; now: number },
  windowMs: number,
): boolean {
  if (!readyForGeneration(meta, status) || at.provenAt === undefined || at.now - at.provenAt >= windowMs) return false;
  return at.probedAt === undefined || at.provenAt > at.probedAt || at.now - at.probedAt < windowMs / 2;
}
