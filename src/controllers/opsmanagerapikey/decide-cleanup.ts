import { ConditionType, Reason, formatTime, setCondition, stalls } from '../../api/conditions.ts';
import type { OpsManagerApiKeyStatus } from '../../api/types.ts';
import { hasFinalizer } from '../shared/finalizers.ts';
import { finalizeKeyIds, heldNewKey, keyInUse, openMark, recordedConnection, secretHasLegacyFinalizer } from './facts.ts';
import type { Gathered, Plan, Step, Tally } from './plan.ts';
import { desiredDescription } from './secret-builder.ts';
import { judged, notReadyStatus, statusChanged } from './status.ts';

/**
 * Not Ready for a reason only the user can fix (`terminal`) or that may pass: state it once, then
 * wait or back off. Stalled where only someone's change gets it further, even if it is looked at again.
 */
export function blockedPlan(g: Gathered, detail: 'KeyProvisioned' | 'SecretSynced', reason: string, message: string, terminal: boolean): Plan {
  const status = notReadyStatus(g.obj, { detail, reason, message, stalled: stalls(reason, terminal) }, g.now, { ...g.obj.status });
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
 * still in its grace period, and every key carrying its tag. Any remote failure keeps the
 * finalizer. The Secret goes with the resource through its ownerReference; with Retain it is
 * let go first (the reference removed), so the pair of the key kept in Ops Manager stays usable.
 */
export function finalizePlan(g: Gathered): Plan {
  if (!hasFinalizer(g.obj.metadata)) return { name: 'Finalize', steps: [], then: { kind: 'done', synced: false } };
  const current = keyInUse(g);
  // Tagged keys that status does not name (and the Secret's pair does not hold) were never published.
  const published = new Set([current, g.obj.status?.previousKeyId]);
  const orphans = new Set(g.pending.state === 'read' ? g.pending.keyIds.filter((id) => !published.has(id)) : []);
  const steps: Step[] = finalizeKeyIds(g).map((id) => (orphans.has(id) ? { ...keyDelete(g, id), counts: ORPHAN } : keyDelete(g, id)));
  if (current && g.obj.spec.deletionPolicy === 'Retain') {
    // A kept key that still carries the tag is named first: a tagged key whose resource is
    // gone is what the janitor deletes.
    const tagged = g.pending.state === 'read' && g.pending.keyIds.includes(current);
    if (tagged && g.connection.state === 'read') {
      steps.push({ kind: 'KeyUpdate', orgId: g.connection.orgId, keyId: current, desc: desiredDescription(g.obj) });
    }
    steps.push({ kind: 'Event', type: 'Normal', reason: 'KeyRetained', message: `deletionPolicy Retain: key ${current} stays in Ops Manager` });
  }
  steps.push(...retainSecretSteps(g), ...stripSteps(g), { kind: 'RemoveFinalizer' });
  return { name: 'Finalize', steps, then: { kind: 'done', synced: false } };
}

/**
 * deletionPolicy Retain keeps the Secret too (as cert-manager and External Secrets keep theirs):
 * it loses its ownerReference before the finalizer goes, and is nobody's from then on. Before the
 * legacy finalizer's strip, which tests the finalizer list, not the resourceVersion this moves.
 */
function retainSecretSteps(g: Gathered): Step[] {
  const uid = g.obj.metadata.uid;
  if (g.obj.spec.deletionPolicy !== 'Retain' || g.secret.state !== 'ours' || uid === undefined) return [];
  const name = g.secret.raw.metadata?.name ?? '';
  const message = `deletionPolicy Retain: Secret ${name} is kept (its ownerReference removed); it is no longer managed, and a new OpsManagerApiKey writing it finds it in the way until it is deleted`;
  return [{ kind: 'ReleaseSecret', current: g.secret.raw, ownerUid: uid }, { kind: 'Event', type: 'Normal', reason: 'SecretRetained', message }];
}

/** Takes the finalizer an earlier version wrote off our Secret, if it carries it. */
export function stripSteps(g: Gathered): Step[] {
  return g.secret.state === 'ours' && secretHasLegacyFinalizer(g) ? [{ kind: 'StripSecretFinalizer', current: g.secret.raw }] : [];
}

/**
 * A Secret written by an earlier version: its finalizer goes, so that deleting it never waits
 * for the operator. The rest waits for the next reconcile, which reads the Secret as it is now.
 */
export function stripPlan(g: Gathered): Plan {
  return { name: 'StripSecretFinalizer', steps: stripSteps(g), then: { kind: 'done', synced: false, requeueAfterMs: 1000 } };
}

/**
 * spec.connectionRef (or the default connection it stands for) changed after status recorded keys made through another connection:
 * they are deleted through that one (the gathered connection, status's), never through the
 * new one, and status forgets them; the next round makes a key through the spec's connection.
 */
export function connectionChangedPlan(g: Gathered): Plan {
  const st = g.obj.status ?? {};
  const ids = [...new Set([st.keyId, st.previousKeyId].filter((id): id is string => id !== undefined))];
  const steps: Step[] = ids.map((id) => keyDelete(g, id));
  const to = g.connections.spec;
  const message = `the connection changed from ${st.connection ?? '?'} to ${to}: key(s) ${ids.join(', ')} deleted through ${st.connection ?? '?'}; a new key follows through ${to}`;
  const { keyId: _k, publicKey: _p, previousKeyId: _pk, previousKeyRevokeAt: _pr, roles: _r, accessList: _a, ...rest } = st;
  const conditions = setCondition(rest.conditions, { type: ConditionType.Ready, status: 'False', reason: Reason.Progressing, message, observedGeneration: g.obj.metadata.generation }, g.now);
  const status = judged(g.obj, { ...rest, connection: to, conditions }, { kind: 'working', reason: Reason.Progressing, message }, g.now);
  steps.push({ kind: 'StatusWrite', status }, { kind: 'Event', type: 'Normal', reason: 'ConnectionChanged', message });
  return { name: 'ConnectionChanged', steps, then: { kind: 'again' } };
}

/**
 * A create was interrupted (crash, lost answer, refused, or a mark forged by hand): the key
 * among those tagged with this resource's uid that holds the Secret's intact pair is kept and
 * recorded, then named; every other tagged key that status does not name is deleted. Nothing
 * but status and the tag names a key here, so a forged mark or Secret can only cost this
 * resource its own keys.
 */
export function sweepPlan(g: Gathered): Plan {
  const st = g.obj.status;
  // A key found through another connection than the one status's keys were made through is not
  // recorded beside them (they would then be acted on through it): it is swept like any other.
  const sameConnection = (!st?.keyId && !st?.previousKeyId) || (g.connection.state === 'read' && g.connection.name === recordedConnection(g.obj));
  const held = sameConnection ? heldNewKey(g) : undefined;
  // Tracked keys are never orphans, whatever their description says (a crash can leave a recorded key tagged).
  const tracked = new Set([held, st?.keyId, st?.previousKeyId].filter((id): id is string => id !== undefined));
  const tagged = g.pending.state === 'read' ? g.pending.keyIds : [];
  const orphans = tagged.filter((id) => !tracked.has(id));
  const steps: Step[] = orphans.map((id) => ({ ...keyDelete(g, id), counts: ORPHAN }));
  if (orphans.length > 0) {
    const message = `deleted ${orphans.length} key(s) whose creation was interrupted before the pair reached the Secret: ${orphans.join(', ')}`;
    steps.push({ kind: 'Event', type: 'Warning', reason: 'OrphanKeyDeleted', message });
  }
  const mark = openMark(g.obj);
  const status: OpsManagerApiKeyStatus = { ...st, ...(mark ? { createSettled: mark.value } : {}) };
  // The new pair reached the Secret before the crash: the create happened. Status records the
  // key (the key it replaces, if any, becomes the previous one and is retired when due), a
  // scheduled rotation is not due again, and the rotation request it answered is handled.
  if (held !== undefined && mark && held !== st?.keyId) {
    const old = st?.keyId;
    if (old !== undefined && st?.previousKeyId === undefined) {
      status.previousKeyId = old;
      status.previousKeyRevokeAt = formatTime(g.now);
    }
    status.keyId = held;
    if (g.secret.state === 'ours' && g.secret.reading.publicKey !== undefined) status.publicKey = g.secret.reading.publicKey;
    if (g.connection.state === 'read') status.connection = g.connection.name;
    if (mark.startedAt) status.rotatedAt = mark.startedAt;
    if (mark.rotationRequest !== undefined) status.lastRotationRequest = mark.rotationRequest;
    // Ready (kept True through a rotation, the old pair working) waits for the rename, as in an uninterrupted create.
    const message = `recording key ${held}, created before a restart, and giving it its description`;
    status.conditions = setCondition(status.conditions, { type: ConditionType.Ready, status: 'False', reason: Reason.Progressing, message, observedGeneration: g.obj.metadata.generation }, g.now);
    Object.assign(status, judged(g.obj, status, { kind: 'working', reason: Reason.Progressing, message }, g.now));
  }
  // No new key: the one a replacement meant to retire is still the current one.
  if (held === undefined && status.previousKeyId !== undefined && status.previousKeyId === status.keyId) {
    delete status.previousKeyId;
    delete status.previousKeyRevokeAt;
  }
  // Recorded first, then renamed: a kept key must not keep the tag a later sweep looks for.
  steps.push({ kind: 'StatusWrite', status });
  if (held !== undefined && g.connection.state === 'read') {
    steps.push({ kind: 'KeyUpdate', orgId: g.connection.orgId, keyId: held, desc: desiredDescription(g.obj) });
  }
  return { name: 'SweepPending', steps, then: { kind: 'again' } };
}
