import type { V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey, OpsManagerApiKeyStatus } from '../../api/types.ts';
import { canonicalCidr, wantedCidrs } from './access-list.ts';
import type { Connection } from './connection.ts';
import type { Plan, RemoteKey } from './decide.ts';
import type { KeyControllerDeps } from './deps.ts';
import { ANNOTATION_ORG_ID, materialFromSecret } from './material.ts';
import { retireKey } from './retire.ts';
import { buildSecret, secretName } from './secret-builder.ts';
import { readyStatus, sameJson } from './status.ts';

type ConvergePlan = Extract<Plan, { kind: 'Converge' }>;

/**
 * Makes an existing key match the spec: description and roles, access list, the Secret's
 * rendering, and the retirement of a previous key whose grace period is over. When the spec
 * did not change since the last success, any difference is a hand edit in Ops Manager
 * (drift): it is put back and said so in a Warning Event.
 */
export async function converge(deps: KeyControllerDeps, obj: OpsManagerApiKey, plan: ConvergePlan, conn: Connection, secret: V1Secret | undefined): Promise<OpsManagerApiKey> {
  const key: RemoteKey = { ...plan.key };
  const orgId = key.orgId ?? obj.spec.orgId ?? '';
  const changes: string[] = [];

  if (plan.patch?.roles) {
    changes.push(`roles ${key.roles.join(',') || '(none)'} -> ${plan.patch.roles.join(',')}`);
    if (obj.spec.projectId) await conn.client.assignProjectKey(obj.spec.projectId, key.id, plan.patch.roles);
    else await conn.client.updateOrgKey(orgId, key.id, { roles: plan.patch.roles });
    key.roles = [...plan.patch.roles].sort();
  }
  if (plan.patch?.desc !== undefined) {
    changes.push('description');
    key.desc = (await conn.client.updateOrgKey(orgId, key.id, { desc: plan.patch.desc })).desc;
  }
  if (plan.accessList.add.length > 0) {
    changes.push(`access list +${plan.accessList.add.map((e) => ('ipAddress' in e ? e.ipAddress : e.cidrBlock)).join(',')}`);
    await conn.client.addAccessList(orgId, key.id, plan.accessList.add);
  }
  for (const entry of plan.accessList.remove) {
    changes.push(`access list -${entry}`);
    await conn.client.deleteAccessListEntry(orgId, key.id, entry);
  }
  if (plan.accessList.add.length > 0 || plan.accessList.remove.length > 0) key.accessList = wantedCidrs(obj.spec.accessList).map(canonicalCidr);

  if (plan.rewriteSecret && secret) {
    const desired = buildSecret(obj, materialFromSecret(secret));
    if (orgId) desired.metadata = { ...desired.metadata, annotations: { ...desired.metadata?.annotations, [ANNOTATION_ORG_ID]: orgId } };
    await deps.secrets.update(secret, desired);
    changes.push('Secret re-rendered');
  }

  const base = { ...obj.status };
  if (plan.retireNow) {
    await retireKey(deps, obj, conn, plan.retireNow, orgId);
    await deps.events.record(obj, 'Normal', 'PreviousKeyRevoked', `previous key ${plan.retireNow} deleted after its grace period`);
    delete base.previousKeyId;
    delete base.previousKeyRevokeAt;
  }

  const remoteChanges = changes.filter((c) => c !== 'Secret re-rendered');
  if (remoteChanges.length > 0) {
    const drift = obj.status?.observedGeneration === obj.metadata.generation;
    await deps.events.record(
      obj,
      drift ? 'Warning' : 'Normal',
      drift ? 'DriftCorrected' : 'Updated',
      drift ? `changed by hand in Ops Manager, put back: ${remoteChanges.join('; ')}` : `Ops Manager key updated: ${remoteChanges.join('; ')}`,
    );
  }
  return writeReady(deps, obj, key, base);
}

/** Writes the Ready status for `key` unless the resource already says exactly that. */
export async function writeReady(deps: KeyControllerDeps, obj: OpsManagerApiKey, key: RemoteKey, base: OpsManagerApiKeyStatus): Promise<OpsManagerApiKey> {
  const status = readyStatus(obj, key, secretName(obj), new Date(deps.clock.now()), base);
  if (sameJson(status, obj.status)) return obj;
  return deps.keys.replaceStatus({ ...obj, status });
}
