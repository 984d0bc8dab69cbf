import { maskPrivateKey } from './ids.ts';
import type { AccessEntry, ApiKey } from './state.ts';

export function keyPath(key: ApiKey): string {
  return `/orgs/${key.orgId}/apiKeys/${key.id}`;
}

/** `self` always names the org path, even when the key is fetched through `/groups/…`. */
export function renderKey(key: ApiKey, apiBase: string, clearPrivateKey = false): unknown {
  return {
    desc: key.desc,
    id: key.id,
    links: [{ href: apiBase + keyPath(key), rel: 'self' }],
    privateKey: clearPrivateKey ? key.privateKey : maskPrivateKey(key.privateKey),
    publicKey: key.publicKey,
    roles: key.roles.map((r) =>
      r.groupId !== undefined ? { groupId: r.groupId, roleName: r.roleName } : { orgId: r.orgId, roleName: r.roleName },
    ),
  };
}

export function entryPath(key: ApiKey, e: AccessEntry): string {
  return `${keyPath(key)}/accessList/${encodeURIComponent(e.ipAddress ?? e.cidrBlock)}`;
}

export function renderEntry(key: ApiKey, e: AccessEntry, apiBase: string, single = false): unknown {
  const links = [{ href: apiBase + entryPath(key, e), rel: 'self' }];
  if (single) links.push({ href: apiBase + keyPath(key), rel: 'http://mms.mongodb.com/apiKey' });
  return {
    cidrBlock: e.cidrBlock,
    count: e.count,
    created: e.created,
    ipAddress: e.ipAddress,
    lastUsed: e.lastUsed,
    lastUsedAddress: e.lastUsedAddress,
    links,
  };
}
