import type { Logger } from 'pino';
import { stalls } from '../../api/conditions.ts';
import type { ProjectKeyBinding } from '../../api/types.ts';
import { isConflict } from '../../kube/api-errors.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { splitKey } from '../../runtime/controller.ts';
import { TerminalError, TransientError } from '../../runtime/errors.ts';
import { classifyError } from '../shared/classify.ts';
import { sameJson } from '../shared/same-json.ts';
import { actBinding, type BindingActDeps } from './act.ts';
import { decide } from './decide.ts';
import { gatherLocal, gatherMore, type BindingGatherDeps, type BindingSession } from './gather.ts';
import type { BindingPlan, BindingStep } from './plan.ts';
import { notReadyStatus } from './status.ts';

export type BindingReconcilerDeps = BindingGatherDeps &
  BindingActDeps & {
    /** The cached copy is one the controller's own write already replaced (runtime/own-writes.ts). */
    cacheBehind?: (b: ProjectKeyBinding) => boolean;
  };

/** How soon a binding whose cached copy lags the controller's own write is looked at again. */
const CACHE_BEHIND_RETRY_MS = 100;

const MAX_ROUNDS = 8;

/** ProjectKeyBinding reconcile: gather (caches, then the project's key list), decide (pure, decide.ts), act. */
export class ProjectKeyBindingReconciler {
  constructor(private readonly deps: BindingReconcilerDeps) {}

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.deps.cache.binding(namespace, name);
    if (!cached) return;
    // A binding written moments ago (its finalizer, say) and woken by its key before the echo of
    // that write reached the cache: acting on the older copy would only fail with a conflict.
    if (this.deps.cacheBehind?.(cached)) return { requeueAfterMs: CACHE_BEHIND_RETRY_MS };
    let s: BindingSession = gatherLocal(this.deps, cached);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const d = decide(s.g);
      if (d.kind === 'read') {
        try {
          s = await gatherMore(this.deps, s, d.reads);
        } catch (err) {
          return this.fail(s, s.g.obj, undefined, err, log);
        }
        continue;
      }
      log.debug({ plan: d.plan.name, steps: d.plan.steps.map((st) => st.kind) }, 'plan');
      const out = await actBinding(this.deps, d.plan, s.g.obj, s.conn);
      if (!out.ok) return this.fail(s, out.obj, out.step, out.error, log);
      if (d.plan.then.kind !== 'again') return;
      s = { ...gatherLocal(this.deps, out.obj), ...(s.conn ? { conn: s.conn } : {}) };
    }
    throw new TransientError(`internal: no settled plan after ${MAX_ROUNDS} rounds`);
  }

  private async fail(s: BindingSession, latest: ProjectKeyBinding, step: BindingStep | undefined, error: unknown, log: Logger): Promise<never> {
    const plan = failurePlan(latest, error, new Date(this.deps.clock.now()));
    if (plan.then.kind !== 'fail') throw new Error('internal: a failure plan must fail');
    log.warn({ reason: plan.then.reason, err: plan.then.message, step: step?.kind }, 'reconcile failed');
    await actBinding(this.deps, plan, latest, s.conn);
    const { then } = plan;
    if (then.terminal) throw new TerminalError(then.message, { reason: then.reason, cause: error });
    throw new TransientError(then.message, { cause: error, ...(then.retryAfterMs !== undefined ? { retryAfterMs: then.retryAfterMs } : {}) });
  }
}

/** The failure, stated on the latest copy of the binding (a deleting one is not written), and how to retry. */
export function failurePlan(latest: ProjectKeyBinding, error: unknown, now: Date): BindingPlan {
  if (isConflict(error)) {
    return { name: 'Failed', steps: [], then: { kind: 'fail', terminal: false, reason: 'Conflict', message: 'binding changed while reconciling; retrying from fresh reads' } };
  }
  const c = classifyError(error, { projectId: latest.spec.projectId });
  const status = notReadyStatus(latest, { reason: c.reason, message: c.message, stalled: stalls(c.reason, c.terminal) }, now);
  const steps: BindingStep[] = latest.metadata.deletionTimestamp || sameJson(status, latest.status)
    ? []
    : [{ kind: 'StatusWrite', status }, { kind: 'Event', type: 'Warning', reason: c.reason, message: c.message }];
  return { name: 'Failed', steps, then: { kind: 'fail', terminal: c.terminal, reason: c.reason, message: c.message, ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}) } };
}
