import type { OpsManagerApiKey } from '../../api/types.ts';
import { collect, type OpsManagerClient } from '../../opsmanager/client.ts';
import { ForbiddenError, NotFoundError } from '../../opsmanager/errors.ts';
import type { ApiKey } from '../../opsmanager/types.ts';
import type { KeyListCache } from '../shared/key-list-cache.ts';
import { canonicalCidr } from './access-list.ts';
import type { RemoteKey, RemoteView } from './plan.ts';
import { isPendingTagOf } from './pending-tag.ts';

/** Roles of `key` in the scope this resource manages: its org roles, or its roles in spec.projectId. */
function scopedRoles(obj: OpsManagerApiKey, key: ApiKey): string[] {
  const roles = obj.spec.projectId
    ? key.roles.filter((r) => r.groupId === obj.spec.projectId)
    : key.roles.filter((r) => r.orgId !== undefined && r.groupId === undefined);
  return [...new Set(roles.map((r) => r.roleName))].sort();
}

/** Roles of `key` in projects other than the resource's own (spec.projectId), by project. */
function otherProjectRoles(obj: OpsManagerApiKey, key: ApiKey): Array<{ projectId: string; roles: string[] }> {
  const byProject = new Map<string, Set<string>>();
  for (const r of key.roles) {
    if (r.groupId === undefined || r.groupId === obj.spec.projectId) continue;
    byProject.set(r.groupId, (byProject.get(r.groupId) ?? new Set()).add(r.roleName));
  }
  return [...byProject].map(([projectId, roles]) => ({ projectId, roles: [...roles].sort() })).sort((a, b) => (a.projectId < b.projectId ? -1 : 1));
}

export function toRemoteKey(obj: OpsManagerApiKey, key: ApiKey, accessList: string[]): RemoteKey {
  return {
    id: key.id,
    publicKey: key.publicKey,
    desc: key.desc,
    roles: scopedRoles(obj, key),
    accessList: [...new Set(accessList.map(canonicalCidr))].sort(),
    projectRoles: otherProjectRoles(obj, key),
  };
}

/**
 * Reads the key a Secret names. A project key is looked up through its project (which a
 * project-scoped connection may read); if it is no longer assigned there, the organization
 * endpoint tells "unassigned" (roles to put back) from "deleted" (a new key is needed).
 */
export async function readRemoteKey(client: OpsManagerClient, obj: OpsManagerApiKey, keyId: string, orgId: string, lists?: KeyListCache): Promise<RemoteView> {
  let key: ApiKey | undefined;
  const scope = obj.spec.projectId ? { projectId: obj.spec.projectId } : { orgId };
  try {
    // A list shared by the resync pass when it can vouch for the key; otherwise the key itself.
    if (lists) key = await lists.find(client, scope, keyId);
    else if (obj.spec.projectId) key = (await collect(client.listProjectKeys(obj.spec.projectId))).find((k) => k.id === keyId);
    key ??= await client.getOrgKey(orgId, keyId);
  } catch (err) {
    if (err instanceof NotFoundError && (err.errorCode === 'API_KEY_NOT_FOUND' || err.errorCode === undefined)) return { state: 'absent' };
    throw err;
  }
  const accessList = (await collect(client.listAccessList(orgId, keyId))).map((e) => e.cidrBlock);
  return { state: 'present', key: toRemoteKey(obj, key, accessList) };
}

/**
 * The keys tagged for `obj` (made by the operator for this resource and not yet recorded), and,
 * given the public key of its intact Secret, the one of them holding it.
 */
export async function findPendingKeys(client: OpsManagerClient, obj: OpsManagerApiKey, orgId: string, publicKey?: string): Promise<{ keyIds: string[]; holder?: string }> {
  const source = obj.spec.projectId ? client.listProjectKeys(obj.spec.projectId) : client.listOrgKeys(orgId);
  // Either form of the tag: one written before the operator knew its cluster is found as before.
  const ours = (await collect(source)).filter((k) => isPendingTagOf(k.desc, obj.metadata.uid));
  const holder = publicKey === undefined ? undefined : ours.find((k) => k.publicKey === publicKey);
  return { keyIds: ours.map((k) => k.id), ...(holder ? { holder: holder.id } : {}) };
}

/**
 * Deletes a key; one already gone counts as done. A project-scoped connection may not delete
 * organization keys: the key is then at least taken out of `orUnassignFrom`, and `tell` says so.
 */
export async function deleteKeyOrUnassign(client: OpsManagerClient, k: { orgId: string; keyId: string; orUnassignFrom?: string }, tell: (reason: string, message: string) => Promise<void>): Promise<void> {
  try {
    await client.deleteOrgKey(k.orgId, k.keyId);
  } catch (err) {
    if (err instanceof NotFoundError && err.errorCode === 'API_KEY_NOT_FOUND') return;
    if (!(err instanceof ForbiddenError) || err.notOnAccessList || !k.orUnassignFrom) throw err;
    await client.unassignProjectKey(k.orUnassignFrom, k.keyId);
    await tell('KeyRemainsInOrganization', `key ${k.keyId} was removed from project ${k.orUnassignFrom}, but the connection may not delete organization keys: it remains in organization ${k.orgId}`);
  }
}
