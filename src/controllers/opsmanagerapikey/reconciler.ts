import type { Logger } from 'pino';
import type { OpsManagerApiKey } from '../../api/types.ts';
import { isConflict, isNotFound } from '../../kube/api-errors.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { splitKey } from '../../runtime/controller.ts';
import { TerminalError, TransientError } from '../../runtime/errors.ts';
import { act, type ActDeps } from './act.ts';
import { decide } from './decide.ts';
import { failurePlan } from './decide-failure.ts';
import { decideVanished } from './decide-vanished.ts';
import { openMark } from './facts.ts';
import { gatherLocal, gatherMore, type GatherDeps, type Session } from './gather.ts';
import { resourceGone } from './gather-vanished.ts';
import type { LastSync, Plan, Step, Then } from './plan.ts';

export type KeyReconcilerDeps = GatherDeps & ActDeps;

/** Rounds of gather → decide → act in one reconcile (finalizer, sweep, then the real work); more is a bug. */
const MAX_ROUNDS = 12;

/** Writes to the resource itself: a 404 from one may mean it is gone, a 409 that it was also made again (see decide-vanished.ts). */
const RESOURCE_WRITES = new Set<Step['kind']>(['AddFinalizer', 'PendingMark', 'StatusWrite']);
const mayBeGone = (err: unknown): boolean => isNotFound(err) || isConflict(err);

/**
 * OpsManagerApiKey reconcile: gather (cache first, more as decide asks), decide (pure, in
 * decide.ts: the only place that decides), act (the plan's steps, in order). A plan may ask for
 * another round from the objects its writes returned.
 */
export class OpsManagerApiKeyReconciler {
  /** uid -> what was true at the last successful sync, so that echoes of our own writes skip Ops Manager. */
  private readonly lastSync = new Map<string, LastSync>();
  /** namespace/name -> the last copy of a resource found gone during a create, whose keys are not cleaned up yet. */
  private readonly vanished = new Map<string, OpsManagerApiKey>();

  constructor(private readonly deps: KeyReconcilerDeps) {}

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    // Read once per process; until it is known no key is created (its tag would lack it).
    await this.deps.cluster?.resolve();
    const left = this.vanished.get(key);
    if (left) await this.cleanUpVanished(key, this.local(left, false), log);
    const cached = this.deps.cache.key(namespace, name);
    if (!cached || this.vanishedUid(cached)) return;
    let s: Session = this.local(cached, false);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const d = decide(s.g);
      if (d.kind === 'read') {
        let more: Session | undefined;
        try {
          more = await gatherMore(this.deps, s, d.reads);
        } catch (err) {
          return this.fail(s, s.g.obj, undefined, err, log);
        }
        if (!more) return;
        s = more;
        continue;
      }
      const plan = d.plan;
      log.debug({ plan: plan.name, steps: plan.steps.map((st) => st.kind) }, 'plan');
      const out = await act(this.deps, plan, s.g.obj, s.conn);
      if (!out.ok) return this.fail(s, out.obj, out.step, out.error, log);
      if (plan.then.kind === 'again') {
        // The plans that go round again wrote only the resource: the Secret (and ConfigMap) read still hold.
        const next = this.local(out.obj, s.g.live, s.read);
        s = { ...next, g: { ...next.g, connection: s.g.connection }, ...(s.conn ? { conn: s.conn } : {}), objLive: true };
        continue;
      }
      return this.finish(out.obj, plan.then);
    }
    throw new TransientError(`internal: no settled plan after ${MAX_ROUNDS} rounds`);
  }

  private local(obj: OpsManagerApiKey, live: boolean, read?: Session['read']): Session {
    const last = this.lastSync.get(obj.metadata.uid ?? '');
    return gatherLocal(this.deps, obj, { live, ...(read ? read : {}), ...(last ? { lastSync: last } : {}) });
  }

  private finish(obj: OpsManagerApiKey, then: Then): ReconcileResult | void {
    const uid = obj.metadata.uid ?? '';
    if (then.kind === 'fail') throw failureError(then);
    if (then.kind !== 'done') return;
    if (obj.metadata.deletionTimestamp) this.lastSync.delete(uid);
    else if (then.synced) this.lastSync.set(uid, { generation: obj.metadata.generation, keyId: obj.status?.keyId, at: this.deps.clock.now(), ...(then.configMap !== undefined ? { configMap: then.configMap } : {}) });
    return then.requeueAfterMs !== undefined ? { requeueAfterMs: then.requeueAfterMs } : undefined;
  }

  /**
   * States the failure on the resource (best effort: the failure decides the retry, not this
   * write). A resource write refused (404, 409) while a pending mark is open may mean that the
   * resource was removed under the create: a live read tells, and then its keys are cleaned up.
   */
  private async fail(s: Session, latest: OpsManagerApiKey, step: Step | undefined, error: unknown, log: Logger): Promise<void> {
    if (step && RESOURCE_WRITES.has(step.kind) && mayBeGone(error) && (await this.goneDuringCreate(s, latest, log))) return;
    const plan: Plan = failurePlan(s.g, latest, { ...(step ? { step } : {}), error });
    if (plan.then.kind !== 'fail') throw new Error('internal: a failure plan must fail');
    log.warn({ reason: plan.then.reason, err: plan.then.message, step: step?.kind }, 'reconcile failed');
    const out = await act(this.deps, plan, latest, s.conn);
    this.lastSync.delete(latest.metadata.uid ?? '');
    if (!out.ok && mayBeGone(out.error) && (await this.goneDuringCreate(s, out.obj, log))) return;
    throw failureError(plan.then, error);
  }

  /** Whether `latest` (with an open mark) is gone for good; if so its keys are cleaned up, now or on a retry of the same queue key. */
  private async goneDuringCreate(s: Session, latest: OpsManagerApiKey, log: Logger): Promise<boolean> {
    if (!openMark(latest) || !(await resourceGone(this.deps.keys, latest))) return false;
    const key = `${latest.metadata.namespace ?? ''}/${latest.metadata.name ?? ''}`;
    log.warn({ uid: latest.metadata.uid }, 'the resource was deleted while its key was being created; cleaning up its keys');
    this.vanished.set(key, latest);
    this.lastSync.delete(latest.metadata.uid ?? '');
    // Tagged keys are listed again: a list read before the create cannot show the key it made.
    await this.cleanUpVanished(key, { ...s, g: { ...s.g, obj: latest, pending: { state: 'unread' } } }, log);
    return true;
  }

  /** Carries out decideVanished; a failure is thrown (the queue retries the key, and the entry stays). */
  private async cleanUpVanished(key: string, start: Session, log: Logger): Promise<void> {
    let s = start;
    for (let round = 0; round < 3; round++) {
      const d = decideVanished(s.g);
      if (d.kind === 'read') {
        s = (await gatherMore(this.deps, s, d.reads)) ?? s;
        continue;
      }
      log.debug({ plan: d.plan.name, steps: d.plan.steps.map((st) => st.kind) }, 'plan');
      const out = await act(this.deps, d.plan, s.g.obj, s.conn);
      if (!out.ok) throw new TransientError(`cleaning up the keys of a resource deleted during its create: ${out.step.kind} failed`, { cause: out.error });
      this.vanished.delete(key);
      return;
    }
    throw new TransientError('internal: no settled plan for a vanished resource');
  }

  /** The cache still shows a resource found gone (the informer lags): nothing to reconcile. */
  private vanishedUid(cached: OpsManagerApiKey): boolean {
    return [...this.vanished.values()].some((v) => v.metadata.uid === cached.metadata.uid);
  }
}

function failureError(then: Extract<Then, { kind: 'fail' }>, cause?: unknown): Error {
  if (then.terminal) return new TerminalError(then.message, { reason: then.reason, ...(cause !== undefined ? { cause } : {}) });
  return new TransientError(then.message, { ...(cause !== undefined ? { cause } : {}), ...(then.retryAfterMs !== undefined ? { retryAfterMs: then.retryAfterMs } : {}) });
}
