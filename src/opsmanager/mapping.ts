import { OpsManagerError } from './errors.ts';
import type { AccessListEntry, AccessListInput, ApiKey, Organization, Project, RoleAssignment } from './types.ts';

/** Reads Ops Manager JSON into the client's types, tolerating fields it does not know. */

type Obj = Record<string, unknown>;

/**
 * Longest string field taken from an answer. Ops Manager's are short (ids 24 characters, public
 * keys 8, `desc` at most 250); a longer one is a broken or hostile endpoint, and these values
 * travel on into status, Secrets and messages.
 */
const MAX_FIELD = 1024;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OpsManagerError(`unexpected ${what} in Ops Manager response`);
  return v as Obj;
}

function str(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new OpsManagerError(`unexpected ${what} in Ops Manager response: ${key} is not a string`);
  return bounded(v, key, what);
}

function opt(o: Obj, key: string, what: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? bounded(v, key, what) : undefined;
}

function bounded(v: string, key: string, what: string): string {
  if (v.length > MAX_FIELD) throw new OpsManagerError(`unexpected ${what} in Ops Manager response: ${key} longer than ${MAX_FIELD} characters`);
  return v;
}

export function links(o: Obj): { rel: string; href: string }[] {
  if (!Array.isArray(o.links)) return [];
  return o.links.flatMap((l: unknown) => {
    if (typeof l !== 'object' || l === null) return [];
    const { rel, href } = l as Obj;
    return typeof rel === 'string' && typeof href === 'string' ? [{ rel, href }] : [];
  });
}

function toRole(v: unknown): RoleAssignment {
  const o = obj(v, 'role');
  return {
    roleName: str(o, 'roleName', 'role'),
    ...(typeof o.orgId === 'string' ? { orgId: bounded(o.orgId, 'orgId', 'role') } : {}),
    ...(typeof o.groupId === 'string' ? { groupId: bounded(o.groupId, 'groupId', 'role') } : {}),
  };
}

export function toApiKey(v: unknown): ApiKey {
  const o = obj(v, 'API key');
  const self = links(o).find((l) => l.rel === 'self')?.href;
  const orgId = self !== undefined ? /\/orgs\/([^/?#]+)\/apiKeys\//.exec(self)?.[1] : undefined;
  return {
    id: str(o, 'id', 'API key'),
    desc: opt(o, 'desc', 'API key') ?? '',
    publicKey: str(o, 'publicKey', 'API key'),
    privateKey: opt(o, 'privateKey', 'API key') ?? '',
    roles: Array.isArray(o.roles) ? o.roles.map(toRole) : [],
    ...(orgId !== undefined ? { orgId: bounded(decodeURIComponent(orgId), 'orgId', 'API key') } : {}),
  };
}

const ENTRY = 'access list entry';

export function toAccessListEntry(v: unknown): AccessListEntry {
  const o = obj(v, 'access list entry');
  return {
    cidrBlock: str(o, 'cidrBlock', 'access list entry'),
    ipAddress: opt(o, 'ipAddress', ENTRY) ?? null,
    ...(typeof o.count === 'number' ? { count: o.count } : {}),
    ...(typeof o.created === 'string' ? { created: bounded(o.created, 'created', ENTRY) } : {}),
    ...(typeof o.lastUsed === 'string' ? { lastUsed: bounded(o.lastUsed, 'lastUsed', ENTRY) } : {}),
    ...(typeof o.lastUsedAddress === 'string' ? { lastUsedAddress: bounded(o.lastUsedAddress, 'lastUsedAddress', ENTRY) } : {}),
  };
}

export function listResults(v: unknown): { results: unknown[]; next?: string } {
  const o = obj(v, 'list envelope');
  if (!Array.isArray(o.results)) throw new OpsManagerError('unexpected list envelope in Ops Manager response: no results');
  const next = links(o).find((l) => l.rel === 'next')?.href;
  return { results: o.results as unknown[], ...(next !== undefined ? { next } : {}) };
}

/** Whether the list already holds an input entry (a single address comes back as a /32). */
export function accessListHas(list: AccessListEntry[], input: AccessListInput): boolean {
  if ('ipAddress' in input) {
    return list.some((e) => e.ipAddress === input.ipAddress || e.cidrBlock === `${input.ipAddress}/32`);
  }
  return list.some((e) => e.cidrBlock === input.cidrBlock);
}

export function toProject(v: unknown): Project {
  const o = obj(v, 'project');
  return { id: str(o, 'id', 'project'), name: str(o, 'name', 'project'), orgId: str(o, 'orgId', 'project') };
}

export function toOrganization(v: unknown): Organization {
  const o = obj(v, 'organization');
  return { id: str(o, 'id', 'organization'), name: str(o, 'name', 'organization') };
}
