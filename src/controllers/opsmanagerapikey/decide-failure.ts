import { stalls } from '../../api/conditions.ts';
import type { OpsManagerApiKey, OpsManagerApiKeyStatus } from '../../api/types.ts';
import { isConflict } from '../../kube/api-errors.ts';
import { AmbiguousCreateError, ForbiddenError, OpsManagerError } from '../../opsmanager/errors.ts';
import { classifyError } from '../shared/classify.ts';
import { hasFinalizer } from '../shared/finalizers.ts';
import { openMark } from './facts.ts';
import type { Gathered, Plan, Step } from './plan.ts';
import { notReadyStatus, statusChanged } from './status.ts';

/**
 * What to write when a read or a step failed: the failure, stated on the latest copy of the
 * resource (the one the plan's own writes returned, so the write is not refused as stale), and
 * how to retry. A create that Ops Manager refused outright made no key: its pending mark goes
 * again, so nothing is left to sweep and a deletion needs no connection.
 */
export function failurePlan(g: Gathered, latest: OpsManagerApiKey, failure: { step?: Step; error: unknown }): Plan {
  const { error, step } = failure;
  if (isConflict(error)) {
    const message = 'the resource or its Secret changed while reconciling; retrying from fresh reads';
    return { name: 'Failed', steps: [], then: { kind: 'fail', terminal: false, reason: 'Conflict', message } };
  }
  const spec = latest.spec;
  const c = classifyError(error, { ...(spec.orgId ? { orgId: spec.orgId } : {}), ...(spec.projectId ? { projectId: spec.projectId } : {}) });
  if (step?.kind === 'Create' && 'projectId' in step.scope && error instanceof ForbiddenError && error.notOnAccessList) {
    // Ops Manager asks this of project-key creation only, whatever the organization requires.
    const address = error.parameters?.[0] ?? 'the operator\'s address';
    c.message = `creating a project key must come from an address on the access list of the connection's own key (Ops Manager 5.0 requires it even where the organization does not require access lists): add ${address} to that key's access list in Ops Manager`;
  }
  let base: OpsManagerApiKeyStatus = { ...latest.status };
  if (step?.kind === 'Create' && error instanceof OpsManagerError && !(error instanceof AmbiguousCreateError)) {
    const mark = openMark(latest);
    base = { ...base, ...(mark ? { createSettled: mark.value } : {}), previousKeyId: g.obj.status?.previousKeyId, previousKeyRevokeAt: g.obj.status?.previousKeyRevokeAt };
  }
  const detail = step?.kind === 'SecretWrite' ? 'SecretSynced' : 'KeyProvisioned';
  const status = notReadyStatus(latest, { detail, reason: c.reason, message: c.message, stalled: stalls(c.reason, c.terminal) }, g.now, base);
  const writable = !latest.metadata.deletionTimestamp || hasFinalizer(latest.metadata);
  const steps: Step[] = writable && statusChanged(latest, status)
    ? [{ kind: 'StatusWrite', status }, { kind: 'Event', type: 'Warning', reason: c.reason, message: c.message }]
    : [];
  const then = { kind: 'fail' as const, terminal: c.terminal, reason: c.reason, message: c.message, ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {}) };
  return { name: 'Failed', steps, then };
}
