import { errors } from './errors.ts';
import { isObjectId } from './ids.ts';
import type { ApiKey, Org, Project, SimState } from './state.ts';

export const MAX_KEYS_PER_ORG = 500;

export function getOrg(state: SimState, orgId: string): Org {
  const org = state.orgs.get(orgId);
  if (!org) throw errors.orgNotFound(orgId);
  return org;
}

export function getProject(state: SimState, groupId: string): Project {
  if (!isObjectId(groupId)) throw errors.invalidGroupId(groupId);
  const p = state.projects.get(groupId);
  if (!p) throw errors.groupNotFound(groupId);
  return p;
}

/** A key of another organization is as good as missing when addressed under this one. */
export function getKeyInOrg(state: SimState, orgId: string, keyId: string): ApiKey {
  const key = state.apiKeys.get(keyId);
  if (!key || key.orgId !== orgId) throw errors.apiKeyNotFound(keyId);
  return key;
}

export function checkKeyLimit(state: SimState, orgId: string): void {
  if (state.keysOfOrg(orgId).length >= MAX_KEYS_PER_ORG) throw errors.tooManyApiKeys(orgId, MAX_KEYS_PER_ORG);
}
