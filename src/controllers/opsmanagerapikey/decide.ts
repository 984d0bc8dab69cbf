import { Reason } from '../../api/conditions.ts';
import { ANNOTATION_CREATE_PENDING, type OpsManagerApiKey } from '../../api/types.ts';
import { hasFinalizer } from '../shared/finalizers.ts';
import { keyVerdict } from '../shared/policy.ts';
import { reconcileRequested } from '../shared/reconcile-request.ts';
import { bindingsFingerprint, convergePlan, inSyncPlan, repairReads } from './decide-converge.ts';
import { blockedPlan, connectionChangedPlan, finalizePlan, stripPlan, sweepPlan } from './decide-cleanup.ts';
import { provisionPlan, type ProvisionReason } from './decide-provision.ts';
import { configMapFingerprint } from './config-map-builder.ts';
import { adoptPlan } from './decide-adopt.ts';
import { adopting, connectionChanged, finalizeKeyIds, openMark, rotationDue, rotationRequest, secretHasLegacyFinalizer } from './facts.ts';
import type { Decision, Gathered, Plan, Read } from './plan.ts';
import { isPendingTagOf } from './pending-tag.ts';
import { desiredDescription, secretName } from './secret-builder.ts';

/**
 * The one place where an OpsManagerApiKey's reconcile decides anything: what must still be
 * read (and whether it must be live), and then the plan of writes. Pure: from what gather
 * read to a Decision; act carries a plan out step by step without choices of its own.
 */
export function decide(g: Gathered): Decision {
  const { obj } = g;
  if (obj.metadata.deletionTimestamp) return needs(g, finalizeReads(g)) ?? act(finalizePlan(g));
  // A first key's pending mark carries the finalizer (one write); anything else adds it first.
  if (!hasFinalizer(obj.metadata) && !firstKeyNext(g)) return act({ name: 'AddFinalizer', steps: [{ kind: 'AddFinalizer' }], then: { kind: 'again' } });
  // An interrupted create is swept before anything else (a Secret found foreign only after the
  // create, say); deleting its keys never rests on a cache that may lag the Secret naming one.
  if (openMark(obj)) return needs(g, ['live', 'connection', 'pending']) ?? act(sweepPlan(g));
  // No Secret waits for the operator: the finalizer an earlier version wrote is taken off.
  if (secretHasLegacyFinalizer(g)) return act(stripPlan(g));
  // A key recorded and then interrupted before its rename still carries its tag: it is named
  // before anything may block the resource (a refused spec, a Secret conflict), whatever blocks it.
  if (mayBeRecordedUnnamed(obj)) {
    const missing = needs(g, ['connection', 'remote']);
    if (missing) return missing;
    if (g.remote.state === 'present' && isPendingTagOf(g.remote.key.desc, obj.metadata.uid)) return act(namePlan(g, g.remote.key.id));
  }
  if (g.templateError) return act(blockedPlan(g, 'SecretSynced', Reason.InvalidSpec, g.templateError, true));
  // Checked before any Ops Manager write, and for a key that exists too: a narrowed policy is reported, nothing widened.
  const policy = keyVerdict(g.access, obj.metadata.namespace ?? '', obj.spec, obj.status?.keyId !== undefined);
  if (!policy.allowed) return act(blockedPlan(g, 'KeyProvisioned', policy.reason, policy.message, policy.reason === Reason.PolicyDenied && policy.retry !== true));
  if (g.secret.state === 'foreign') {
    const message = `Secret ${secretName(obj)} exists and is not owned by this OpsManagerApiKey; it is left untouched. Delete it or choose spec.secret.name`;
    return act(blockedPlan(g, 'SecretSynced', Reason.SecretConflict, message, false));
  }
  if (g.configMap.state === 'foreign') {
    const message = `ConfigMap ${obj.spec.opsManagerConfigMap?.name ?? ''} exists and is not owned by this OpsManagerApiKey; it is left untouched. Delete it or choose spec.opsManagerConfigMap.name`;
    return act(blockedPlan(g, 'SecretSynced', Reason.ConfigMapConflict, message, false));
  }

  // Keys made through another connection are acted on through that one only, then forgotten.
  if (connectionChanged(g)) return needs(g, ['live', 'connection']) ?? act(connectionChangedPlan(g));
  if (adopting(g)) return needs(g, ['live', 'connection', 'adopt']) ?? act(adoptPlan(g));
  const early = provisionBeforeRemote(g);
  if (early) return needs(g, provisionReads(g, early)) ?? act(provisionPlan(g, early));
  // A reconcile someone asked for (reconcile.fluxcd.io/requestedAt) reads Ops Manager, however fresh the last read.
  if (isFresh(g) && !rotationRequest(g) && !reconcileRequested(obj.metadata, obj.status)) return needs(g, repairReads(g)) ?? act(inSyncPlan(g));
  const missing = needs(g, ['connection', 'remote', ...repairReads(g)]);
  if (missing) return missing;
  // A key that still carries its pending tag (a crash before it was named) is named before it is
  // rotated, so that no grace key keeps the tag a later sweep looks for.
  if (g.remote.state === 'present' && isPendingTagOf(g.remote.key.desc, obj.metadata.uid)) return act({ ...convergePlan(g), then: { kind: 'again' } });
  const late = provisionAfterRemote(g);
  if (late) return needs(g, provisionReads(g, late)) ?? act(provisionPlan(g, late));
  // A ConfigMap missing from the cache may be one we do not own (not cached): look before creating it.
  if (obj.spec.opsManagerConfigMap && g.configMap.state === 'absent') return needs(g, ['live']) ?? act(convergePlan(g));
  return act(convergePlan(g));
}

/**
 * Status records a key and says it is in progress (what the record before a rename, a sweep's
 * record and a replacement's first status say): the key may still carry its tag.
 */
function mayBeRecordedUnnamed(obj: OpsManagerApiKey): boolean {
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  return obj.status?.keyId !== undefined && ready?.status === 'False' && ready.reason === Reason.Progressing;
}

/** Gives a recorded key the spec's description (it loses its tag), then decides again. */
function namePlan(g: Gathered, keyId: string): Plan {
  const orgId = g.connection.state === 'read' ? g.connection.orgId : '';
  return { name: 'Converge', steps: [{ kind: 'KeyUpdate', orgId, keyId, desc: desiredDescription(g.obj) }], then: { kind: 'again' } };
}

function act(plan: Plan): Decision {
  return { kind: 'act', plan };
}

/** The reads among `wanted` that gather has not done yet, as a Decision; undefined when all are there. */
function needs(g: Gathered, wanted: Read[]): Decision | undefined {
  const done: Record<Read, boolean> = {
    live: g.live,
    secret: g.secret.state !== 'ours' || g.secret.complete,
    connection: g.connection.state === 'read',
    remote: g.remote.state !== 'unread',
    pending: g.pending.state === 'read',
    adopt: g.adopt.state !== 'unread',
  };
  const reads = wanted.filter((r) => !done[r]);
  return reads.length > 0 ? { kind: 'read', reads } : undefined;
}

/**
 * Which key ids a deletion may have to clean up, and so what it must read. Every key tagged
 * with the resource's uid is looked for whenever a create may have been sent (a mark was ever
 * written, open or settled: a mark removed by hand, and its key, are the janitor's).
 */
function finalizeReads(g: Gathered): Read[] {
  if (!hasFinalizer(g.obj.metadata)) return [];
  const reads: Read[] = ['live'];
  if (openMark(g.obj) || g.obj.metadata.annotations?.[ANNOTATION_CREATE_PENDING] !== undefined) reads.push('connection', 'pending');
  if (!g.live) return reads;
  if (finalizeKeyIds(g).length > 0 && !reads.includes('connection')) reads.push('connection');
  return reads;
}

/**
 * A create is drastic (a new key, the old one retired): it rests on live reads. After a create
 * that Ops Manager refused, a read goes first, so that while Ops Manager still refuses nothing
 * is written and backoff is not undone by the operator's own status writes.
 */
function provisionReads(g: Gathered, why: ProvisionReason): Read[] {
  // A first key may rest on the cache: a stale resource fails its pending-mark write (409), a
  // Secret the cache has not seen fails the Secret create, and the key made is then swept.
  const reads: Read[] = why === 'Initial' ? ['connection'] : ['live', 'connection'];
  return lastCreateRefused(g.obj) ? [...reads, 'pending'] : reads;
}

/** Whether, all else being in order, this reconcile's plan is a resource's first key. */
function firstKeyNext(g: Gathered): boolean {
  const { obj } = g;
  const policy = keyVerdict(g.access, obj.metadata.namespace ?? '', obj.spec, obj.status?.keyId !== undefined);
  return g.secret.state !== 'foreign' && !obj.status?.keyId && !openMark(obj) && !obj.spec.adopt && !g.templateError && policy.allowed && g.configMap.state !== 'foreign';
}

const REFUSALS = new Set<string>([
  Reason.OpsManagerUnreachable, Reason.Unauthorized, Reason.Forbidden, Reason.NotOnAccessList,
  Reason.OrgNotFound, Reason.ProjectNotFound, Reason.RateLimited, Reason.ConnectionInvalid,
]);

function lastCreateRefused(obj: OpsManagerApiKey): boolean {
  const c = obj.status?.conditions?.find((x) => x.type === 'KeyProvisioned');
  return c?.status === 'False' && REFUSALS.has(c.reason);
}

/**
 * Reasons to mint a key that status and the Secret show. Status is the record; the Secret is
 * output compared with it: one that holds another pair than status's key (edited, or written by
 * hand) is not trusted to name anything, and the pair is replaced.
 */
function provisionBeforeRemote(g: Gathered): ProvisionReason | undefined {
  const recorded = g.obj.status?.keyId;
  if (recorded === undefined) return g.secret.state === 'foreign' ? undefined : 'Initial';
  if (g.secret.state === 'absent') return 'SecretDeleted';
  if (g.secret.state !== 'ours') return undefined;
  const r = g.secret.reading;
  if (!r.pairIntact || r.keyId !== recorded) return 'PairEdited';
  const publicKey = g.obj.status?.publicKey;
  if (publicKey !== undefined && r.publicKey !== publicKey) return 'PairEdited';
  return undefined;
}

function provisionAfterRemote(g: Gathered): ProvisionReason | undefined {
  if (g.remote.state === 'absent') return 'KeyDeletedInOpsManager';
  if (rotationRequest(g)) return 'OnDemand';
  if (rotationDue(g)) return 'Rotation';
  return undefined;
}

/**
 * Whether Ops Manager was checked so recently, with nothing of the resource's changed since,
 * that this reconcile (usually the echo of the operator's own write) may skip its reads. The
 * Secret is still compared with what it must hold: a hand edit of it is repaired at once.
 */
function isFresh(g: Gathered): boolean {
  const last = g.lastSync;
  const st = g.obj.status;
  if (!last || g.freshnessMs <= 0 || g.secret.state !== 'ours') return false;
  if (st?.previousKeyId || rotationDue(g)) return false;
  if (g.now.getTime() - last.at >= g.freshnessMs) return false;
  if (g.obj.spec.opsManagerConfigMap && (g.configMap.state !== 'ours' || configMapFingerprint(g.configMap.raw) !== last.configMap)) return false;
  if (last.bindings !== bindingsFingerprint(g)) return false;
  return last.generation === g.obj.metadata.generation && last.keyId === g.secret.reading.keyId && st?.keyId === last.keyId;
}
