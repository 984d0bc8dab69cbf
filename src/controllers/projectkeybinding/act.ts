import type { ProjectKeyBinding } from '../../api/types.ts';
import { isNotFound } from '../../kube/api-errors.ts';
import { ConflictError, NotFoundError } from '../../opsmanager/errors.ts';
import type { Connection } from '../shared/connections.ts';
import { withFinalizer, withoutFinalizer } from '../shared/finalizers.ts';
import type { EventSink, ObjectStore, StepHook } from '../shared/ports.ts';
import type { BindingPlan, BindingStep } from './plan.ts';
import type { ProjectKeysCache } from './project-keys-cache.ts';

export interface BindingActDeps {
  bindings: ObjectStore<ProjectKeyBinding>;
  events: EventSink;
  projectKeys: ProjectKeysCache;
  onStep?: StepHook;
}

export type BindingOutcome = { ok: true; obj: ProjectKeyBinding } | { ok: false; obj: ProjectKeyBinding; step: BindingStep; error: unknown };

/** Carries out a plan, step by step, in order; the first failure stops it. No choices are made here. */
export async function actBinding(deps: BindingActDeps, plan: BindingPlan, obj: ProjectKeyBinding, conn: Connection | undefined): Promise<BindingOutcome> {
  let current = obj;
  for (const step of plan.steps) {
    const point = step.kind.replace(/[A-Z]/g, (c, i: number) => (i > 0 ? '-' : '') + c.toLowerCase());
    deps.onStep?.('projectkeybinding', `before-${point}`);
    try {
      current = await perform(deps, current, step, conn);
    } catch (err) {
      return { ok: false, obj: current, step, error: err };
    }
    deps.onStep?.('projectkeybinding', `after-${point}`);
  }
  return { ok: true, obj: current };
}

function must(conn: Connection | undefined): Connection {
  if (!conn) throw new Error('internal: the plan writes to Ops Manager but no connection was gathered');
  return conn;
}

async function perform(deps: BindingActDeps, obj: ProjectKeyBinding, step: BindingStep, conn: Connection | undefined): Promise<ProjectKeyBinding> {
  switch (step.kind) {
    case 'AddFinalizer':
      return deps.bindings.replace(withFinalizer(obj));
    case 'RemoveFinalizer':
      try {
        return await deps.bindings.replace(withoutFinalizer(obj));
      } catch (err) {
        if (isNotFound(err)) return obj;
        throw err;
      }
    case 'StatusWrite':
      return deps.bindings.replaceStatus({ ...obj, status: step.status });
    case 'ProjectAssign': {
      const c = must(conn);
      await c.client.assignProjectKey(step.projectId, step.keyId, step.roles);
      deps.projectKeys.noteAssigned(c.client, step.projectId, step.keyId, step.roles);
      return obj;
    }
    case 'ProjectUnassign': {
      const c = must(conn);
      try {
        await c.client.unassignProjectKey(step.projectId, step.keyId);
      } catch (err) {
        const gone = err instanceof NotFoundError || (err instanceof ConflictError && err.errorCode === 'API_KEY_NOT_IN_GROUP_ORG');
        if (!gone) throw err;
      }
      deps.projectKeys.noteUnassigned(c.client, step.projectId, step.keyId);
      return obj;
    }
    case 'Event':
      await deps.events.record(obj, step.type, step.reason, step.message);
      return obj;
  }
}
