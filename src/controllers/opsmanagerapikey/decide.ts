import { FINALIZER, type OpsManagerApiKey } from '../../api/types.ts';
import { Reason } from '../../api/conditions.ts';
import { diffAccessList, type AccessListDiff } from './access-list.ts';
import { parseDuration } from './duration.ts';
import type { PolicyVerdict } from './policy.ts';
import { secretName, type SecretReading } from './secret-builder.ts';

/** The Ops Manager key as far as this resource cares: roles in its own scope only. */
export interface RemoteKey {
  id: string;
  publicKey: string;
  desc: string;
  /** Org roles for an org key, roles in spec.projectId for a project key. */
  roles: string[];
  /** Canonical CIDRs. */
  accessList: string[];
  orgId?: string;
}

export type SecretView =
  | { state: 'absent' }
  | { state: 'foreign' }
  | { state: 'ours'; reading: SecretReading; matchesDesired: boolean };

export type RemoteView = { state: 'unread' } | { state: 'absent' } | { state: 'present'; key: RemoteKey };

export interface Gathered {
  obj: OpsManagerApiKey;
  now: Date;
  policy: PolicyVerdict;
  templateError?: string;
  secret: SecretView;
  /** The key named by the Secret, read from Ops Manager. */
  remote: RemoteView;
  /** Keys carrying this resource's pending-create tag (read only while a create is unconfirmed or on deletion). */
  pendingKeyIds: string[];
}

export type ProvisionReason = 'Initial' | 'SecretDeleted' | 'PairEdited' | 'KeyDeletedInOpsManager' | 'Rotation';

export type Plan =
  | { kind: 'AddFinalizer' }
  | { kind: 'Finalize'; deleteKeyIds: string[]; retainedKeyId?: string }
  | { kind: 'Blocked'; reason: string; message: string; terminal: boolean; condition: 'KeyProvisioned' | 'SecretSynced' }
  | { kind: 'SweepPending'; deleteKeyIds: string[]; clearPreviousKey: boolean }
  | {
      kind: 'Provision';
      why: ProvisionReason;
      /** Key to retire once the new pair is in the Secret, and when. */
      retire?: { keyId: string; revokeAt: Date };
      /** A retirement that a new provisioning overtakes: delete before creating. */
      deleteFirst: string[];
    }
  | {
      kind: 'Converge';
      key: RemoteKey;
      patch?: { desc?: string; roles?: string[] };
      accessList: AccessListDiff;
      rewriteSecret: boolean;
      retireNow?: string;
      requeueAfterMs?: number;
    };

export function desiredDescription(obj: OpsManagerApiKey): string {
  return obj.spec.description ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/**
 * The description a key carries between its creation and the moment its pair is safe in the
 * Secret. If the create's answer is lost (crash, dropped connection), this tag is how the
 * key is found again and deleted, so no orphan survives.
 */
export function pendingTag(obj: OpsManagerApiKey): string {
  return `omkeys-pending:${obj.metadata.uid ?? ''}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && [...new Set(b)].every((x) => sa.has(x));
}

function rotationDue(obj: OpsManagerApiKey, now: Date): boolean {
  const every = obj.spec.rotation?.every;
  if (!every) return false;
  const since = obj.status?.rotatedAt;
  if (!since) return false;
  return Date.parse(since) + parseDuration(every) <= now.getTime();
}

/** Pure: from what was gathered, the next thing to do. Business rules live here and only here. */
export function decide(g: Gathered): Plan {
  const { obj } = g;
  const secretKeyId = g.secret.state === 'ours' ? g.secret.reading.keyId : undefined;

  if (obj.metadata.deletionTimestamp) {
    const retain = obj.spec.deletionPolicy === 'Retain';
    const current = secretKeyId ?? obj.status?.keyId;
    const ids = new Set<string>(g.pendingKeyIds);
    const prev = obj.status?.previousKeyId;
    if (prev && prev !== current) ids.add(prev);
    if (current && !retain) ids.add(current);
    if (current && retain) ids.delete(current);
    return { kind: 'Finalize', deleteKeyIds: [...ids], ...(retain && current ? { retainedKeyId: current } : {}) };
  }
  if (!(obj.metadata.finalizers ?? []).includes(FINALIZER)) return { kind: 'AddFinalizer' };
  if (g.templateError) {
    return { kind: 'Blocked', reason: Reason.InvalidSpec, message: g.templateError, terminal: true, condition: 'SecretSynced' };
  }
  if (!g.policy.allowed) {
    return { kind: 'Blocked', reason: Reason.PolicyDenied, message: g.policy.message, terminal: true, condition: 'KeyProvisioned' };
  }
  if (g.secret.state === 'foreign') {
    const name = secretName(obj);
    return {
      kind: 'Blocked',
      reason: Reason.SecretConflict,
      message: `Secret ${name} exists and is not owned by this OpsManagerApiKey; it is left untouched. Delete it or choose spec.secret.name`,
      terminal: false,
      condition: 'SecretSynced',
    };
  }
  if (obj.status?.pendingCreate) {
    const prev = obj.status.previousKeyId;
    return {
      kind: 'SweepPending',
      deleteKeyIds: g.pendingKeyIds.filter((id) => id !== secretKeyId),
      // A marker left by a crash before the create: the "previous" key is still the current one.
      clearPreviousKey: prev !== undefined && prev === secretKeyId,
    };
  }

  const why = provisionReason(g, secretKeyId);
  if (why) return provisionPlan(g, why, secretKeyId);
  if (g.remote.state !== 'present') {
    // Nothing to converge against (remote not read); the reconciler always reads it when a Secret is ours.
    return { kind: 'Blocked', reason: Reason.Progressing, message: 'Ops Manager key not read yet', terminal: false, condition: 'KeyProvisioned' };
  }
  return convergePlan(g, g.remote.key, secretKeyId);
}

function provisionReason(g: Gathered, secretKeyId: string | undefined): ProvisionReason | undefined {
  if (g.secret.state === 'absent') return g.obj.status?.keyId ? 'SecretDeleted' : 'Initial';
  if (g.secret.state === 'ours' && (!g.secret.reading.pairIntact || !secretKeyId)) return 'PairEdited';
  if (g.remote.state === 'absent') return 'KeyDeletedInOpsManager';
  if (rotationDue(g.obj, g.now)) return 'Rotation';
  return undefined;
}

function provisionPlan(g: Gathered, why: ProvisionReason, secretKeyId: string | undefined): Plan {
  const { obj, now } = g;
  const old = why === 'KeyDeletedInOpsManager' ? undefined : (secretKeyId ?? obj.status?.keyId);
  const graceMs = why === 'Rotation' && obj.spec.rotation?.gracePeriod ? parseDuration(obj.spec.rotation.gracePeriod) : 0;
  const prev = obj.status?.previousKeyId;
  const deleteFirst = prev && prev !== old && prev !== secretKeyId ? [prev] : [];
  return {
    kind: 'Provision',
    why,
    deleteFirst,
    ...(old ? { retire: { keyId: old, revokeAt: new Date(now.getTime() + graceMs) } } : {}),
  };
}

function convergePlan(g: Gathered, key: RemoteKey, secretKeyId: string | undefined): Plan {
  const { obj, now } = g;
  const patch: { desc?: string; roles?: string[] } = {};
  const desc = desiredDescription(obj);
  if (key.desc !== desc) patch.desc = desc;
  if (!sameSet(key.roles, obj.spec.roles)) patch.roles = [...obj.spec.roles];
  const accessList = diffAccessList(obj.spec.accessList, key.accessList);
  const rewriteSecret = g.secret.state === 'ours' && !g.secret.matchesDesired;

  let retireNow: string | undefined;
  const waits: number[] = [];
  const prev = obj.status?.previousKeyId;
  if (prev && prev !== secretKeyId) {
    const revokeAt = obj.status?.previousKeyRevokeAt ? Date.parse(obj.status.previousKeyRevokeAt) : 0;
    if (revokeAt <= now.getTime()) retireNow = prev;
    else waits.push(revokeAt - now.getTime());
  }
  const every = obj.spec.rotation?.every;
  if (every && obj.status?.rotatedAt) waits.push(Date.parse(obj.status.rotatedAt) + parseDuration(every) - now.getTime());
  const requeue = waits.length > 0 ? Math.max(1000, Math.min(...waits)) : undefined;
  return {
    kind: 'Converge',
    key,
    ...(Object.keys(patch).length > 0 ? { patch } : {}),
    accessList,
    rewriteSecret,
    ...(retireNow ? { retireNow } : {}),
    ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}),
  };
}

/** True when a Converge plan has nothing to write anywhere. */
export function isNoop(plan: Plan): boolean {
  return (
    plan.kind === 'Converge' &&
    plan.patch === undefined &&
    plan.accessList.add.length === 0 &&
    plan.accessList.remove.length === 0 &&
    !plan.rewriteSecret &&
    plan.retireNow === undefined
  );
}
