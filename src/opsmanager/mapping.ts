import { OpsManagerError } from './errors.ts';
import type { AccessListEntry, AccessListInput, ApiKey, Project, RoleAssignment } from './types.ts';

/** Reads Ops Manager JSON into the client's types, tolerating fields it does not know. */

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new OpsManagerError(`unexpected ${what} in Ops Manager response`);
  return v as Obj;
}

function str(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new OpsManagerError(`unexpected ${what} in Ops Manager response: ${key} is not a string`);
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
    ...(typeof o.orgId === 'string' ? { orgId: o.orgId } : {}),
    ...(typeof o.groupId === 'string' ? { groupId: o.groupId } : {}),
  };
}

export function toApiKey(v: unknown): ApiKey {
  const o = obj(v, 'API key');
  const self = links(o).find((l) => l.rel === 'self')?.href;
  const orgId = self !== undefined ? /\/orgs\/([^/?#]+)\/apiKeys\//.exec(self)?.[1] : undefined;
  return {
    id: str(o, 'id', 'API key'),
    desc: typeof o.desc === 'string' ? o.desc : '',
    publicKey: str(o, 'publicKey', 'API key'),
    privateKey: typeof o.privateKey === 'string' ? o.privateKey : '',
    roles: Array.isArray(o.roles) ? o.roles.map(toRole) : [],
    ...(orgId !== undefined ? { orgId: decodeURIComponent(orgId) } : {}),
  };
}

export function toAccessListEntry(v: unknown): AccessListEntry {
  const o = obj(v, 'access list entry');
  return {
    cidrBlock: str(o, 'cidrBlock', 'access list entry'),
    ipAddress: typeof o.ipAddress === 'string' ? o.ipAddress : null,
    ...(typeof o.count === 'number' ? { count: o.count } : {}),
    ...(typeof o.created === 'string' ? { created: o.created } : {}),
    ...(typeof o.lastUsed === 'string' ? { lastUsed: o.lastUsed } : {}),
    ...(typeof o.lastUsedAddress === 'string' ? { lastUsedAddress: o.lastUsedAddress } : {}),
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
