import type { Logger } from 'pino';
import type { OpsManagerApiKey } from '../../api/types.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { splitKey } from '../../runtime/controller.ts';
import { TerminalError, TransientError } from '../../runtime/errors.ts';
import { act, type ActDeps } from './act.ts';
import { decide } from './decide.ts';
import { failurePlan } from './decide-failure.ts';
import { gatherLocal, gatherMore, type GatherDeps, type Session } from './gather.ts';
import { workingConnection } from './facts.ts';
import type { LastSync, Plan, Step, Then } from './plan.ts';

export type KeyReconcilerDeps = GatherDeps & ActDeps;

/** Rounds of gather → decide → act in one reconcile (finalizer, sweep, then the real work); more is a bug. */
const MAX_ROUNDS = 12;

/**
 * OpsManagerApiKey reconcile: gather (cache first, more as decide asks), decide (pure, in
 * decide.ts: the only place that decides), act (the plan's steps, in order). A plan may ask for
 * another round from the objects its writes returned.
 */
export class OpsManagerApiKeyReconciler {
  /** uid -> what was true at the last successful sync, so that echoes of our own writes skip Ops Manager. */
  private readonly lastSync = new Map<string, LastSync>();

  constructor(private readonly deps: KeyReconcilerDeps) {}

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    // Read once per process; until it is known no key is created (its tag would lack it).
    await this.deps.cluster?.resolve();
    const cached = this.deps.cache.key(namespace, name);
    if (!cached) return;
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
        // A connection change's next round works through the spec's connection, not the one it left.
        const same = s.conn !== undefined && s.conn.name === this.deps.connections.catalog.concrete(workingConnection(out.obj));
        s = same && s.conn ? { ...next, g: { ...next.g, connection: s.g.connection }, conn: s.conn, objLive: true } : { ...next, objLive: true };
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
    else if (then.synced) {
      const extra = { ...(then.configMap !== undefined ? { configMap: then.configMap } : {}), ...(then.bindings !== undefined ? { bindings: then.bindings } : {}) };
      this.lastSync.set(uid, { generation: obj.metadata.generation, keyId: obj.status?.keyId, at: this.deps.clock.now(), ...extra });
    }
    return then.requeueAfterMs !== undefined ? { requeueAfterMs: then.requeueAfterMs } : undefined;
  }

  /**
   * States the failure on the resource (best effort: the failure decides the retry, not this
   * write). A resource removed under its create (kubernetes/kubernetes#77988) fails here like
   * any write; the keys tagged with its uid are then the janitor's (janitor.ts).
   */
  private async fail(s: Session, latest: OpsManagerApiKey, step: Step | undefined, error: unknown, log: Logger): Promise<void> {
    const plan: Plan = failurePlan(s.g, latest, { ...(step ? { step } : {}), error });
    if (plan.then.kind !== 'fail') throw new Error('internal: a failure plan must fail');
    log.warn({ reason: plan.then.reason, err: plan.then.message, step: step?.kind }, 'reconcile failed');
    await act(this.deps, plan, latest, s.conn);
    this.lastSync.delete(latest.metadata.uid ?? '');
    throw failureError(plan.then, error);
  }
}

function failureError(then: Extract<Then, { kind: 'fail' }>, cause?: unknown): Error {
  if (then.terminal) return new TerminalError(then.message, { reason: then.reason, ...(cause !== undefined ? { cause } : {}) });
  return new TransientError(then.message, { ...(cause !== undefined ? { cause } : {}), ...(then.retryAfterMs !== undefined ? { retryAfterMs: then.retryAfterMs } : {}) });
}
