import type { V1Secret } from '@kubernetes/client-node';
import { FINALIZER, type OpsManagerApiKey } from '../../api/types.ts';
import type { Connection } from './connection.ts';
import type { Plan } from './decide.ts';
import type { KeyControllerDeps } from './deps.ts';
import { ANNOTATION_ORG_ID } from './material.ts';
import { retireKey } from './retire.ts';

type FinalizePlan = Extract<Plan, { kind: 'Finalize' }>;

/**
 * Cleans Ops Manager up before the resource may go: its key (unless Retain), a previous key
 * still in its grace period, and keys a lost create left behind. Any remote failure keeps the
 * finalizer; the Secret goes with the resource through its ownerReference.
 */
export async function finalize(deps: KeyControllerDeps, obj: OpsManagerApiKey, plan: FinalizePlan, conn: Connection | undefined, secret: V1Secret | undefined, orgIdHint?: string): Promise<OpsManagerApiKey> {
  if (plan.deleteKeyIds.length > 0) {
    const orgId = obj.spec.orgId ?? orgIdHint ?? secret?.metadata?.annotations?.[ANNOTATION_ORG_ID];
    if (!conn) throw new Error('no connection to delete keys with');
    for (const id of plan.deleteKeyIds) {
      if (orgId) await retireKey(deps, obj, conn, id, orgId);
      else if (obj.spec.projectId) await conn.client.unassignProjectKey(obj.spec.projectId, id);
    }
  }
  if (plan.retainedKeyId) {
    await deps.events.record(obj, 'Normal', 'KeyRetained', `deletionPolicy Retain: key ${plan.retainedKeyId} stays in Ops Manager`);
  }
  return deps.keys.replace({ ...obj, metadata: { ...obj.metadata, finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) } });
}
