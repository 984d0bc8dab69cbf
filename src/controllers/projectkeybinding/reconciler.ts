import type { Logger } from 'pino';
import { Reason } from '../../api/conditions.ts';
import { FINALIZER, type OpsManagerApiKey, type ProjectKeyBinding } from '../../api/types.ts';
import { isConflict, isNotFound } from '../../kube/api-errors.ts';
import { ConflictError, NotFoundError } from '../../opsmanager/errors.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import { splitKey } from '../../runtime/controller.ts';
import { TerminalError, TransientError } from '../../runtime/errors.ts';
import { classifyError } from '../opsmanagerapikey/classify.ts';
import { ConnectionError, type Connection } from '../opsmanagerapikey/connection.ts';
import { checkPolicy } from '../opsmanagerapikey/policy.ts';
import { sameJson } from '../opsmanagerapikey/status.ts';
import { decide, type BindingGathered, type BindingPlan } from './decide.ts';
import type { BindingControllerDeps } from './deps.ts';
import { notReadyStatus, readyStatus } from './status.ts';

type Step = { done: true } | { done: false; obj: ProjectKeyBinding };

/**
 * ProjectKeyBinding reconcile: gather (caches, then the project's key list), decide (pure),
 * act. Steady state writes nothing: an assignment already right and a status already saying
 * so lead to no call at all.
 */
export class ProjectKeyBindingReconciler {
  constructor(private readonly deps: BindingControllerDeps) {}

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    let obj = this.deps.cachedBinding(namespace, name);
    for (let round = 0; round < 4 && obj; round++) {
      let step: Step;
      try {
        step = await this.step(obj, log);
      } catch (err) {
        await this.fail(obj, err, log);
        return;
      }
      if (step.done) return;
      obj = step.obj;
    }
    if (obj) return { requeueAfterMs: 1000 };
  }

  /** Everything decide needs that the caches hold. */
  gather(obj: ProjectKeyBinding): BindingGathered {
    const ns = obj.metadata.namespace ?? '';
    const key = this.deps.cachedKey(ns, obj.spec.apiKeyRef.name);
    return {
      obj,
      key: key ? { state: 'present', key } : { state: 'absent' },
      siblings: this.deps.siblings(obj),
      policy: key ? checkPolicy(this.deps.policy, ns, this.deps.connections.usesDefault(key), obj.spec.roles) : { allowed: true },
      project: { state: 'unread' },
    };
  }

  private async step(obj: ProjectKeyBinding, log: Logger): Promise<Step> {
    const deps = this.deps;
    let g = this.gather(obj);
    let plan: BindingPlan = decide(g);
    let conn: Connection | undefined;
    if (plan.kind === 'ReadProject' && g.key.state === 'present') {
      conn = await deps.connections.resolve(g.key.key);
      g = { ...g, project: { state: 'read', assigned: await deps.projectKeys.get(conn.client, obj.spec.projectId) } };
      plan = decide(g);
    }
    log.debug({ plan: plan.kind }, 'plan');
    switch (plan.kind) {
      case 'Done':
        return { done: true };
      case 'AddFinalizer':
        return { done: false, obj: await deps.bindings.replace({ ...obj, metadata: { ...obj.metadata, finalizers: [...(obj.metadata.finalizers ?? []), FINALIZER] } }) };
      case 'Finalize':
        await this.finalize(obj, plan.unassign, g.key.state === 'present' ? g.key.key : undefined, log);
        return { done: true };
      case 'Wait':
        await this.setNotReady(obj, plan.reason, plan.message);
        return { done: true };
      case 'ReadProject':
        throw new Error('internal: project not read');
      case 'Converge':
        await this.converge(obj, plan, must(conn));
        return { done: true };
    }
  }

  private async converge(obj: ProjectKeyBinding, plan: Extract<BindingPlan, { kind: 'Converge' }>, conn: Connection): Promise<void> {
    const { deps } = this;
    const projectId = obj.spec.projectId;
    if (plan.assign) {
      await conn.client.assignProjectKey(projectId, plan.keyId, plan.assign.roles);
      deps.projectKeys.noteAssigned(conn.client, projectId, plan.keyId, plan.assign.roles);
      const roles = plan.assign.roles.join(', ');
      if (plan.assign.drift) {
        const was = plan.assign.previous.length > 0 ? plan.assign.previous.join(', ') : 'not assigned';
        await deps.events.record(obj, 'Warning', 'DriftCorrected', `key ${plan.keyId} was changed by hand in project ${projectId} (${was}); put back: ${roles}`);
      } else {
        await deps.events.record(obj, 'Normal', 'Assigned', `key ${plan.keyId} assigned to project ${projectId} with ${roles}`);
      }
    }
    for (const id of plan.unassign) {
      await unassign(conn, projectId, id);
      deps.projectKeys.noteUnassigned(conn.client, projectId, id);
      await deps.events.record(obj, 'Normal', 'PreviousKeyUnassigned', `earlier key ${id} removed from project ${projectId}`);
    }
    const status = readyStatus(obj, plan.keyId, plan.roles, new Date(deps.clock.now()));
    if (!sameJson(status, obj.status)) await deps.bindings.replaceStatus({ ...obj, status });
  }

  /**
   * Takes the key(s) out of the project, then lets the binding go. Without the key resource
   * (deleted first) the operator's default connection is tried when the namespace may use
   * it; a connection that cannot be resolved any more does not hold the deletion forever.
   */
  private async finalize(obj: ProjectKeyBinding, ids: string[], key: OpsManagerApiKey | undefined, log: Logger): Promise<void> {
    const { deps } = this;
    const ns = obj.metadata.namespace ?? '';
    const projectId = obj.spec.projectId;
    if (ids.length > 0) {
      // With its key gone, the binding can only clean up through the default connection, which
      // the pool resolves for any key without a connectionSecretRef in this namespace.
      const defaultConnectionKey: OpsManagerApiKey = { apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', metadata: { namespace: ns }, spec: { roles: [] } };
      const mayUseDefault = checkPolicy(deps.policy, ns, true, []).allowed;
      let conn: Connection | undefined;
      try {
        if (key || mayUseDefault) conn = await deps.connections.resolve(key ?? defaultConnectionKey, { forCleanup: true });
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        log.warn({ err: err.message }, 'no connection to unassign with');
      }
      if (conn) {
        for (const id of ids) {
          await unassign(conn, projectId, id);
          deps.projectKeys.noteUnassigned(conn.client, projectId, id);
        }
        await deps.events.record(obj, 'Normal', 'Unassigned', `key ${ids.join(', ')} removed from project ${projectId}`);
      } else {
        await deps.events.record(obj, 'Warning', 'UnassignSkipped', `no usable Ops Manager connection for key ${ids.join(', ')}; it may remain assigned to project ${projectId}`);
      }
    }
    try {
      await deps.bindings.replace({ ...obj, metadata: { ...obj.metadata, finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async fail(obj: ProjectKeyBinding, err: unknown, log: Logger): Promise<never> {
    if (isConflict(err)) throw new TransientError('binding changed while reconciling; retrying from fresh reads', { cause: err });
    const c = classifyError(err, { projectId: obj.spec.projectId });
    log.warn({ reason: c.reason, err: c.message }, 'reconcile failed');
    try {
      await this.setNotReady(obj, c.reason, c.message);
    } catch {
      // Best effort: the error itself decides the retry.
    }
    if (c.terminal) throw new TerminalError(c.message, { reason: c.reason, cause: err });
    throw new TransientError(c.message, { cause: err, ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}) });
  }

  private async setNotReady(obj: ProjectKeyBinding, reason: string, message: string): Promise<void> {
    if (obj.metadata.deletionTimestamp) return;
    const status = notReadyStatus(obj, reason, message, new Date(this.deps.clock.now()));
    if (sameJson(status, obj.status)) return;
    await this.deps.events.record(obj, reason === Reason.KeyNotReady ? 'Normal' : 'Warning', reason, message);
    await this.deps.bindings.replaceStatus({ ...obj, status });
  }
}

/** Removes a key from a project; a key or project already gone (or never in this organization) counts as done. */
async function unassign(conn: Connection, projectId: string, keyId: string): Promise<void> {
  try {
    await conn.client.unassignProjectKey(projectId, keyId);
  } catch (err) {
    if (err instanceof NotFoundError) return;
    if (err instanceof ConflictError && err.errorCode === 'API_KEY_NOT_IN_GROUP_ORG') return;
    throw err;
  }
}

function must(conn: Connection | undefined): Connection {
  if (!conn) throw new Error('internal: Ops Manager connection not resolved');
  return conn;
}
