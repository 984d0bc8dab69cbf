import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ConditionType, Reason, findCondition } from '../../api/conditions.ts';
import { FINALIZER, type OpsManagerApiKey } from '../../api/types.ts';
import { isConflict, isNotFound } from '../../kube/api-errors.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { splitKey } from '../../runtime/controller.ts';
import { TerminalError, TransientError } from '../../runtime/errors.ts';
import { wantedCidrs } from './access-list.ts';
import { classifyError } from './classify.ts';
import type { Connection } from './connection.ts';
import { converge, writeReady } from './converge.ts';
import { decide, isNoop, type Plan } from './decide.ts';
import type { KeyControllerDeps } from './deps.ts';
import { finalize } from './finalize.ts';
import { loadSecret, localView, needsRemote, remoteView, type World } from './gather.ts';
import { findPendingKeys } from './remote.ts';
import { provision } from './provision.ts';
import { retireKey } from './retire.ts';
import { notReadyStatus, sameJson } from './status.ts';

/**
 * What one round read, and whether each part came from the API server just now (a write's
 * response or a live GET) rather than from the informer cache.
 */
interface Reads {
  obj: OpsManagerApiKey;
  objLive: boolean;
  secret?: { value: V1Secret | undefined; live: boolean };
}

type Step = { done: true; result?: ReconcileResult } | { done: false; next: Reads };

/** Thrown when a write raced another writer (409): retried at once from fresh reads. */
class StaleRead extends TransientError {}

/**
 * OpsManagerApiKey reconcile: gather (cache, then Ops Manager), decide (pure), act; repeated
 * within one call while a step leads to another (finalizer, sweep, create), up to a bound.
 */
export class OpsManagerApiKeyReconciler {
  /** uid -> what was true at the last successful sync, to skip Ops Manager reads on our own echo events. */
  private readonly lastSync = new Map<string, { generation?: number; keyId?: string; at: number }>();

  constructor(private readonly deps: KeyControllerDeps) {}

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.deps.cachedKey(namespace, name);
    if (!cached) return;
    let reads: Reads = { obj: cached, objLive: false };
    for (let round = 0; round < 8; round++) {
      let step: Step;
      try {
        step = await this.step(reads, log);
      } catch (err) {
        await this.fail(reads.obj, err, log);
        return;
      }
      if (step.done) return step.result;
      reads = step.next;
    }
    return { requeueAfterMs: 1000 };
  }

  private async step(reads: Reads, log: Logger): Promise<Step> {
    const deps = this.deps;
    const obj = reads.obj;
    const loaded = reads.secret ?? (await loadSecret(deps, obj, false));
    const secret = loaded.value;
    const local = localView(deps, obj, secret);
    const uid = obj.metadata.uid ?? '';
    if (needsRemote(local) && this.isFresh(obj, local.secret.state === 'ours' ? local.secret.reading.keyId : undefined)) return { done: true };

    let plan: Plan = decide(local);
    let world: World = { g: local, ...(secret ? { secret } : {}) };
    let conn: Connection | undefined;
    const needsConnection =
      plan.kind === 'Provision' || plan.kind === 'SweepPending' || needsRemote(local) ||
      (plan.kind === 'Finalize' && (plan.deleteKeyIds.length > 0 || obj.status?.pendingCreate !== undefined));
    if (needsConnection) {
      conn = await deps.connections.resolve(obj, { forCleanup: obj.metadata.deletionTimestamp !== undefined });
      world = await remoteView(conn, local, secret);
      plan = decide(world.g);
    }
    // Creating or replacing a key is drastic: never on the strength of a cache that may lag our own writes.
    if (plan.kind === 'Provision' && !(reads.objLive && loaded.live)) return this.reread(obj);
    // After a create that Ops Manager refused (unreachable, credentials, org gone...), retry with
    // a read first: while it still fails, nothing is written, so backoff is not undone by our own
    // status writes; once it works, the create goes ahead.
    if (plan.kind === 'Provision' && lastCreateFailedRemotely(obj)) await findPendingKeys(must(conn).client, obj);
    log.debug({ plan: plan.kind }, 'plan');

    switch (plan.kind) {
      case 'AddFinalizer':
        return {
          done: false,
          next: { obj: await deps.keys.replace({ ...obj, metadata: { ...obj.metadata, finalizers: [...(obj.metadata.finalizers ?? []), FINALIZER] } }), objLive: true, secret: loaded },
        };
      case 'Finalize':
        if ((obj.metadata.finalizers ?? []).includes(FINALIZER)) await finalize(deps, obj, plan, conn, world.secret, world.orgId);
        this.lastSync.delete(uid);
        return { done: true };
      case 'Blocked':
        return this.blocked(obj, plan);
      case 'SweepPending':
        return { done: false, next: { obj: await this.sweep(obj, plan, conn, world), objLive: true, secret: loaded } };
      case 'Provision': {
        const done = await provision(deps, obj, plan, must(conn), world.secret);
        const complete = sameJson(done.status?.accessList ?? [], wantedCidrs(obj.spec.accessList));
        if (!complete) return { done: false, next: { obj: done, objLive: true } };
        this.markFresh(done);
        return { done: true, ...this.plannedCheck(done) };
      }
      case 'Converge': {
        const result = isNoop(plan) ? await writeReady(deps, obj, plan.key, { ...obj.status }) : await converge(deps, obj, plan, must(conn), world.secret);
        this.markFresh(result);
        return { done: true, ...(plan.requeueAfterMs !== undefined ? { result: { requeueAfterMs: plan.requeueAfterMs } } : {}) };
      }
    }
  }

  /** Reads the resource and its Secret from the API server, for a decision that must not rest on the cache. */
  private async reread(obj: OpsManagerApiKey): Promise<Step> {
    try {
      const fresh = await this.deps.keys.get(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
      return { done: false, next: { obj: fresh, objLive: true, secret: await loadSecret(this.deps, fresh, true) } };
    } catch (err) {
      if (isNotFound(err)) return { done: true };
      throw err;
    }
  }

  private async sweep(obj: OpsManagerApiKey, plan: Extract<Plan, { kind: 'SweepPending' }>, conn: Connection | undefined, world: World): Promise<OpsManagerApiKey> {
    const c = must(conn);
    for (const id of plan.deleteKeyIds) await retireKey(this.deps, obj, c, id, world.orgId ?? obj.spec.orgId ?? '');
    if (plan.deleteKeyIds.length > 0) {
      await this.deps.events.record(obj, 'Warning', 'OrphanKeyDeleted', `deleted ${plan.deleteKeyIds.length} key(s) whose creation was interrupted before the pair reached the Secret: ${plan.deleteKeyIds.join(', ')}`);
    }
    const { pendingCreate: _p, ...status } = obj.status ?? {};
    if (plan.clearPreviousKey) {
      delete status.previousKeyId;
      delete status.previousKeyRevokeAt;
    }
    return this.deps.keys.replaceStatus({ ...obj, status });
  }

  private async blocked(obj: OpsManagerApiKey, plan: Extract<Plan, { kind: 'Blocked' }>): Promise<Step> {
    await this.setNotReady(obj, plan.condition, plan.reason, plan.message);
    if (plan.terminal) throw new TerminalError(plan.message, { reason: plan.reason });
    throw new TransientError(plan.message);
  }

  private async fail(obj: OpsManagerApiKey, err: unknown, log: Logger): Promise<never> {
    if (err instanceof TerminalError) throw err;
    if (isConflict(err) || err instanceof StaleRead) throw new TransientError('resource changed while reconciling; retrying from fresh reads', { cause: err });
    if (err instanceof TransientError && !(err.cause)) throw err;
    const c = classifyError(err, { ...(obj.spec.orgId ? { orgId: obj.spec.orgId } : {}), ...(obj.spec.projectId ? { projectId: obj.spec.projectId } : {}) });
    log.warn({ reason: c.reason, err: c.message }, 'reconcile failed');
    try {
      await this.setNotReady(obj, 'KeyProvisioned', c.reason, c.message);
    } catch {
      // The status write is best effort; the error itself is what decides the retry.
    }
    if (c.terminal) throw new TerminalError(c.message, { reason: c.reason, cause: err });
    throw new TransientError(c.message, { cause: err, ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}) });
  }

  private async setNotReady(obj: OpsManagerApiKey, detail: 'KeyProvisioned' | 'SecretSynced', reason: string, message: string): Promise<void> {
    const now = new Date(this.deps.clock.now());
    const status = notReadyStatus(obj, detail, reason, message, now, { ...obj.status });
    if (sameJson(status, obj.status)) return;
    await this.deps.events.record(obj, 'Warning', reason, message);
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).includes(FINALIZER)) return;
    await this.deps.keys.replaceStatus({ ...obj, status });
  }

  private isFresh(obj: OpsManagerApiKey, keyId: string | undefined): boolean {
    const last = this.lastSync.get(obj.metadata.uid ?? '');
    if (!last || this.deps.freshnessMs <= 0) return false;
    // A planned check (retiring the previous key, a rotation) must never be skipped as an echo.
    const st = obj.status;
    if (st?.previousKeyId || st?.pendingCreate) return false;
    if (st?.nextRotationAt && Date.parse(st.nextRotationAt) <= this.deps.clock.now()) return false;
    return last.generation === obj.metadata.generation && last.keyId === keyId && this.deps.clock.now() - last.at < this.deps.freshnessMs;
  }

  private markFresh(obj: OpsManagerApiKey): void {
    this.lastSync.set(obj.metadata.uid ?? '', { generation: obj.metadata.generation, keyId: obj.status?.keyId, at: this.deps.clock.now() });
  }

  private plannedCheck(obj: OpsManagerApiKey): { result?: ReconcileResult } {
    const times = [obj.status?.nextRotationAt, obj.status?.previousKeyRevokeAt].filter((t): t is string => !!t).map((t) => Date.parse(t) - this.deps.clock.now());
    return times.length > 0 ? { result: { requeueAfterMs: Math.max(1000, Math.min(...times)) } } : {};
  }
}

const PROBE_FIRST = new Set<string>([
  Reason.OpsManagerUnreachable, Reason.Unauthorized, Reason.Forbidden, Reason.NotOnAccessList,
  Reason.OrgNotFound, Reason.ProjectNotFound, Reason.RateLimited, Reason.ConnectionInvalid,
]);

function lastCreateFailedRemotely(obj: OpsManagerApiKey): boolean {
  const c = findCondition(obj.status?.conditions, ConditionType.KeyProvisioned);
  return c?.status === 'False' && PROBE_FIRST.has(c.reason) && obj.status?.pendingCreate === undefined;
}

function must(conn: Connection | undefined): Connection {
  if (!conn) throw new Error('internal: Ops Manager connection not resolved');
  return conn;
}
