import type { OpsManagerApiKey } from '../../api/types.ts';
import { collect, type OpsManagerClient } from '../../opsmanager/client.ts';
import { NotFoundError } from '../../opsmanager/errors.ts';
import type { ApiKey } from '../../opsmanager/types.ts';
import { canonicalCidr } from './access-list.ts';
import type { RemoteKey, RemoteView } from './decide.ts';
import { pendingTag } from './decide.ts';

/** Roles of `key` in the scope this resource manages: its org roles, or its roles in spec.projectId. */
export function scopedRoles(obj: OpsManagerApiKey, key: ApiKey): string[] {
  const roles = obj.spec.projectId
    ? key.roles.filter((r) => r.groupId === obj.spec.projectId)
    : key.roles.filter((r) => r.orgId !== undefined && r.groupId === undefined);
  return [...new Set(roles.map((r) => r.roleName))].sort();
}

export function toRemoteKey(obj: OpsManagerApiKey, key: ApiKey, accessList: string[], fallbackOrgId?: string): RemoteKey {
  const orgId = key.orgId ?? obj.spec.orgId ?? fallbackOrgId;
  return {
    id: key.id,
    publicKey: key.publicKey,
    desc: key.desc,
    roles: scopedRoles(obj, key),
    accessList: [...new Set(accessList.map(canonicalCidr))].sort(),
    ...(orgId ? { orgId } : {}),
  };
}

/**
 * Reads the key a Secret names. A project-mode key is looked up through its project (which a
 * project-scoped connection may read); if it is no longer assigned there, the organization
 * endpoint tells "unassigned" (roles to put back) from "deleted" (a new key is needed).
 */
export async function readRemoteKey(client: OpsManagerClient, obj: OpsManagerApiKey, keyId: string, knownOrgId?: string): Promise<RemoteView> {
  let key: ApiKey | undefined;
  const projectId = obj.spec.projectId;
  try {
    if (projectId) {
      key = (await collect(client.listProjectKeys(projectId))).find((k) => k.id === keyId);
      const orgId = key?.orgId ?? knownOrgId;
      if (!key && orgId) key = await client.getOrgKey(orgId, keyId);
    } else {
      key = await client.getOrgKey(obj.spec.orgId ?? '', keyId);
    }
  } catch (err) {
    if (err instanceof NotFoundError && (err.errorCode === 'API_KEY_NOT_FOUND' || err.errorCode === undefined)) return { state: 'absent' };
    throw err;
  }
  if (!key) return { state: 'absent' };
  const orgId = key.orgId ?? obj.spec.orgId ?? knownOrgId;
  if (!orgId) return { state: 'absent' };
  const accessList = (await collect(client.listAccessList(orgId, keyId))).map((e) => e.cidrBlock);
  return { state: 'present', key: toRemoteKey(obj, key, accessList, orgId) };
}

/** Keys still carrying this resource's pending-create tag: created, but never confirmed in the Secret. */
export async function findPendingKeys(client: OpsManagerClient, obj: OpsManagerApiKey): Promise<ApiKey[]> {
  const tag = pendingTag(obj);
  const source = obj.spec.projectId ? client.listProjectKeys(obj.spec.projectId) : client.listOrgKeys(obj.spec.orgId ?? '');
  return (await collect(source)).filter((k) => k.desc === tag);
}
