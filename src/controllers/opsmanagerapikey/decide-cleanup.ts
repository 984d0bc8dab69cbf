import { ConditionType, Reason, setCondition } from '../../api/conditions.ts';
import type { OpsManagerApiKeyStatus } from '../../api/types.ts';
import { hasFinalizer } from '../shared/finalizers.ts';
import { finalizeKeyIds, keyInUse, openMark, publishedNewKey, secretKeyId, secretProtected } from './facts.ts';
import type { Gathered, Plan, Step, Tally } from './plan.ts';
import { desiredDescription, secretName } from './secret-builder.ts';
import { notReadyStatus, statusChanged } from './status.ts';

/** Not Ready for a reason only the user can fix (`terminal`) or that may pass: state it once, then wait or back off. */
export function blockedPlan(g: Gathered, detail: 'KeyProvisioned' | 'SecretSynced', reason: string, message: string, terminal: boolean): Plan {
  const status = notReadyStatus(g.obj, detail, reason, message, g.now, { ...g.obj.status });
  const steps: Step[] = statusChanged(g.obj, status)
    ? [{ kind: 'StatusWrite', status }, { kind: 'Event', type: 'Warning', reason, message }]
    : [];
  return { name: 'Blocked', steps, then: { kind: 'fail', terminal, reason, message } };
}

const ORPHAN: Tally = { kind: 'OrphanDeleted' };

/** A key deleted through a project-scoped connection is at least taken out of the project. */
export function keyDelete(g: Gathered, keyId: string): Step {
  const orgId = g.connection.state === 'read' ? g.connection.orgId : '';
  return { kind: 'KeyDelete', orgId, keyId, ...(g.obj.spec.projectId ? { orUnassignFrom: g.obj.spec.projectId } : {}) };
}

/**
 * Cleans Ops Manager up before the resource may go: its key (unless Retain), a previous key
 * still in its grace period, and keys a lost create left behind. Any remote failure keeps the
 * finalizer; the Secret goes with the resource through its ownerReference, released first.
 */
export function finalizePlan(g: Gathered): Plan {
  if (!hasFinalizer(g.obj.metadata)) return { name: 'Finalize', steps: [], then: { kind: 'done', synced: false } };
  const current = keyInUse(g);
  // Keys of an interrupted create that were never published (not the current or the grace key) are orphans, as in a sweep.
  const published = new Set([current, g.obj.status?.previousKeyId]);
  const orphans = new Set(g.pending.state === 'read' ? g.pending.keyIds.filter((id) => !published.has(id)) : []);
  const steps: Step[] = finalizeKeyIds(g).map((id) => (orphans.has(id) ? { ...keyDelete(g, id), counts: ORPHAN } : keyDelete(g, id)));
  if (current && g.obj.spec.deletionPolicy === 'Retain') {
    // A kept key that still carries the tag (a create interrupted after its Secret write) is
    // named first: a tagged key whose resource is gone is what the janitor deletes.
    if (current === publishedNewKey(g) && g.connection.state === 'read') {
      steps.push({ kind: 'KeyUpdate', orgId: g.connection.orgId, keyId: current, desc: desiredDescription(g.obj) });
    }
    steps.push({ kind: 'Event', type: 'Normal', reason: 'KeyRetained', message: `deletionPolicy Retain: key ${current} stays in Ops Manager` });
  }
  // The Secret goes with the resource (its ownerReference); it must not wait for an operator that is done.
  steps.push(...releaseSteps(g), { kind: 'RemoveFinalizer' });
  return { name: 'Finalize', steps, then: { kind: 'done', synced: false } };
}

/** Takes our finalizer off our Secret, if it carries it. */
export function releaseSteps(g: Gathered): Step[] {
  return g.secret.state === 'ours' && secretProtected(g) ? [{ kind: 'ReleaseSecret', current: g.secret.raw }] : [];
}

/** Lets our Secret's deletion proceed: no open create needs it as the record of its key. */
export function releasePlan(g: Gathered): Plan {
  // Done: the Secret's removal is an event of its own, and the reconcile it starts replaces the pair.
  return { name: 'ReleaseSecret', steps: releaseSteps(g), then: { kind: 'done', synced: false } };
}

/**
 * A create was interrupted (crash, lost answer, refused): every key carrying the tag that the
 * Secret does not name was never published, and is deleted; the key the Secret names is kept.
 * If the Secret still names the key that the marker meant to retire, the crash came before the
 * create: that key is still the current one, not a previous one.
 */
export function sweepPlan(g: Gathered): Plan {
  const inSecret = secretKeyId(g);
  // Tracked keys are never orphans, whatever their description says (a crash can leave a kept key tagged).
  const published = publishedNewKey(g);
  const tracked = new Set([inSecret, published, g.obj.status?.keyId, g.obj.status?.previousKeyId].filter((id): id is string => id !== undefined));
  const tagged = g.pending.state === 'read' ? g.pending.keyIds : [];
  const orphans = tagged.filter((id) => !tracked.has(id));
  const steps: Step[] = orphans.map((id) => ({ ...keyDelete(g, id), counts: ORPHAN }));
  if (orphans.length > 0) {
    const message = `deleted ${orphans.length} key(s) whose creation was interrupted before the pair reached the Secret: ${orphans.join(', ')}`;
    steps.push({ kind: 'Event', type: 'Warning', reason: 'OrphanKeyDeleted', message });
  }
  const mark = openMark(g.obj);
  const status: OpsManagerApiKeyStatus = { ...g.obj.status, ...(mark ? { createSettled: mark.value } : {}) };
  if (status.previousKeyId !== undefined && status.previousKeyId === inSecret) {
    delete status.previousKeyId;
    delete status.previousKeyRevokeAt;
  }
  // The new pair reached the Secret before the crash: the create happened. Status records the
  // key (so that losing the Secret now orphans nothing), a scheduled rotation is not due again,
  // and the rotation request it answered is handled.
  if (published !== undefined && mark && g.secret.state === 'ours') {
    status.keyId = published;
    if (g.secret.reading.publicKey !== undefined) status.publicKey = g.secret.reading.publicKey;
    if (mark.startedAt) status.rotatedAt = mark.startedAt;
    if (mark.rotationRequest !== undefined) status.lastRotationRequest = mark.rotationRequest;
    // Status now names a key still carrying the tag: Ready (kept True through a rotation, the
    // old pair working) waits for the rename, as in an uninterrupted create.
    const message = `recording key ${published}, created before a restart, and giving it its description`;
    status.conditions = setCondition(status.conditions, { type: ConditionType.Ready, status: 'False', reason: Reason.Progressing, message, observedGeneration: g.obj.metadata.generation }, g.now);
  }
  // Recorded first, then renamed: a kept key must not keep the tag a later sweep looks for.
  steps.push({ kind: 'StatusWrite', status });
  if (published !== undefined && g.connection.state === 'read') {
    steps.push({ kind: 'KeyUpdate', orgId: g.connection.orgId, keyId: published, desc: desiredDescription(g.obj) });
  }
  // spec.secret.name changed while the create was open: the Secret it wrote is no longer the
  // resource's (status now records its key, which the next reconcile replaces) and is let go.
  if (mark?.secret !== undefined && mark.secret !== secretName(g.obj) && g.secret.state === 'ours') {
    steps.push(...releaseSteps(g));
    return { name: 'SweepPending', steps, then: { kind: 'done', synced: false, requeueAfterMs: 100 } };
  }
  return { name: 'SweepPending', steps, then: { kind: 'again' } };
}
