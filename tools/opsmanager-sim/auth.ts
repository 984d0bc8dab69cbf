import { expectedResponse, parseDigestHeader, REALM } from './digest.ts';
import type { NonceStore } from './digest.ts';
import { errors } from './errors.ts';
import { contains, parseAddress, parseCidr } from './ip.ts';
import type { ApiKey, SimState } from './state.ts';

export interface AuthRequest {
  method: string;
  /** The request-target as sent (path + query), what a Digest `uri` must name. */
  rawUrl: string;
  authorization: string | undefined;
  callerAddress: string;
}

/** Digest authentication against the keys in state, then the org's access-list requirement. */
export function authenticate(req: AuthRequest, state: SimState, nonces: NonceStore, now: () => number): ApiKey {
  const deny = (stale = false) => errors.unauthenticated(nonces.challenge(stale));
  const p = parseDigestHeader(req.authorization);
  if (!p) throw deny();
  if (p.realm !== REALM || p.qop !== 'auth' || !p.nc || !p.cnonce) throw deny();
  if (p.algorithm !== undefined && p.algorithm.toUpperCase() !== 'MD5') throw deny();
  const path = req.rawUrl.split('?')[0];
  if (p.uri !== req.rawUrl && p.uri !== path) throw deny();
  const key = state.findByPublicKey(p.username);
  if (!key || expectedResponse(p, req.method, key.privateKey) !== p.response) throw deny();
  // A replayed nc gets stale=true as well: the credentials are good, only the nonce use is not,
  // and a legitimate client that raced itself recovers by taking the fresh nonce.
  if (nonces.use(p.nonce, p.nc) !== 'ok') throw deny(true);
  checkAccessList(key, req.callerAddress, state, now);
  return key;
}

/** Whether `address` is on `key`'s own access list (whatever the organization requires). */
export function onOwnAccessList(key: ApiKey, address: string): boolean {
  const caller = parseAddress(address);
  return !!caller && key.accessList.some((e) => {
    const net = parseCidr(e.cidrBlock);
    return net !== undefined && contains(net, caller);
  });
}

function checkAccessList(key: ApiKey, address: string, state: SimState, now: () => number): void {
  const caller = parseAddress(address);
  const entry = caller && key.accessList.find((e) => {
    const net = parseCidr(e.cidrBlock);
    return net !== undefined && contains(net, caller);
  });
  if (entry) {
    entry.count += 1;
    entry.lastUsed = new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    entry.lastUsedAddress = address;
    return;
  }
  if (state.orgs.get(key.orgId)?.requireAccessList) throw errors.ipNotOnAccessList(address);
}

export function hasOrgRole(key: ApiKey, orgId: string, roles?: string[]): boolean {
  return key.orgId === orgId && key.roles.some((r) => r.orgId === orgId && (!roles || roles.includes(r.roleName)));
}

export function hasGroupRole(key: ApiKey, groupId: string, roles?: string[]): boolean {
  return key.roles.some((r) => r.groupId === groupId && (!roles || roles.includes(r.roleName)));
}

export function requireOrgRead(caller: ApiKey, orgId: string): void {
  if (!hasOrgRole(caller, orgId)) throw errors.notAuthorized();
}

export function requireOrgOwner(caller: ApiKey, orgId: string): void {
  if (hasOrgRole(caller, orgId, ['ORG_OWNER'])) return;
  throw hasOrgRole(caller, orgId) ? errors.notOrgAdmin(orgId) : errors.notAuthorized();
}

/** The key itself, or an Organization Owner of the key's organization. */
export function requireAccessListAccess(caller: ApiKey, target: ApiKey): void {
  if (caller.id === target.id) return;
  requireOrgOwner(caller, target.orgId);
}

const PROJECT_READERS_FROM_ORG = ['ORG_OWNER', 'ORG_READ_ONLY'];

export function requireGroupRead(caller: ApiKey, groupId: string, orgId: string): void {
  if (hasGroupRole(caller, groupId) || hasOrgRole(caller, orgId, PROJECT_READERS_FROM_ORG)) return;
  throw errors.notAuthorized();
}

export function requireGroupUserAdmin(caller: ApiKey, groupId: string, orgId: string): void {
  if (hasGroupRole(caller, groupId, ['GROUP_OWNER', 'GROUP_USER_ADMIN']) || hasOrgRole(caller, orgId, ['ORG_OWNER'])) return;
  throw hasGroupRole(caller, groupId) || hasOrgRole(caller, orgId) ? errors.notGroupUserAdmin(groupId) : errors.notAuthorized();
}
