import { requireAccessListAccess } from './auth.ts';
import type { Ctx, Reply } from './context.ts';
import { errors } from './errors.ts';
import { contains, entryToCidr, formatAddress, formatNet, parseAddress, parseCidr } from './ip.ts';
import { getKeyInOrg, getOrg } from './lookup.ts';
import { paginate, readPaging } from './pagination.ts';
import type { Route } from './router.ts';
import type { AccessEntry, ApiKey } from './state.ts';
import { checkFields, parseJson } from './validate.ts';
import { keyPath, renderEntry } from './views.ts';

const p = (ctx: Ctx, name: string): string => ctx.params[name] ?? '';

function targetKey(ctx: Ctx): ApiKey {
  const org = getOrg(ctx.state, p(ctx, 'orgId'));
  const key = getKeyInOrg(ctx.state, org.id, p(ctx, 'keyId'));
  requireAccessListAccess(ctx.caller, key);
  return key;
}

function findEntry(ctx: Ctx, key: ApiKey): AccessEntry {
  const raw = p(ctx, 'entry');
  const cidr = entryToCidr(raw);
  const entry = cidr === undefined ? undefined : key.accessList.find((e) => e.cidrBlock === cidr);
  if (!entry) throw errors.accessListEntryNotFound(key.id, raw);
  return entry;
}

function listReply(ctx: Ctx, key: ApiKey): Reply {
  const body = paginate(key.accessList, ctx.query, `${ctx.apiBase}${keyPath(key)}/accessList`, (e) => renderEntry(key, e, ctx.apiBase));
  return { status: 200, body };
}

function list(ctx: Ctx): Reply {
  const key = targetKey(ctx);
  readPaging(ctx.query);
  return listReply(ctx, key);
}

function get(ctx: Ctx): Reply {
  const key = targetKey(ctx);
  return { status: 200, body: renderEntry(key, findEntry(ctx, key), ctx.apiBase, true) };
}

/** One request element: exactly one of `ipAddress` (a single address) or `cidrBlock`. */
function parseElement(el: unknown): { cidrBlock: string; ipAddress: string | null } {
  if (el === null || typeof el !== 'object' || Array.isArray(el)) throw errors.invalidJson();
  const obj = el as Record<string, unknown>;
  checkFields(obj, ['ipAddress', 'cidrBlock']);
  const { ipAddress, cidrBlock } = obj;
  if (ipAddress !== undefined && cidrBlock !== undefined) throw errors.badAccessListAdd();
  if (ipAddress !== undefined) {
    const a = typeof ipAddress === 'string' ? parseAddress(ipAddress) : undefined;
    if (!a) throw errors.invalidAttribute('ipAddress', 'It must be an IPv4 or IPv6 address.');
    return { cidrBlock: formatNet(a), ipAddress: formatAddress(a) };
  }
  if (cidrBlock !== undefined) {
    // Host bits set (10.0.0.5/16) is refused rather than silently widened (see README).
    const n = typeof cidrBlock === 'string' ? parseCidr(cidrBlock) : undefined;
    if (!n) throw errors.invalidAttribute('cidrBlock', 'It must be a CIDR block without host bits.');
    return { cidrBlock: formatNet(n), ipAddress: null };
  }
  throw errors.missingAttribute('ipAddress');
}

function add(ctx: Ctx): Reply {
  const key = targetKey(ctx);
  readPaging(ctx.query);
  const input = parseJson(ctx.body);
  if (!Array.isArray(input)) throw errors.invalidJson();
  const wanted = input.map(parseElement);
  const seen = new Set<string>();
  for (const w of wanted) {
    if (seen.has(w.cidrBlock)) throw errors.duplicateAddresses(w.ipAddress ?? w.cidrBlock);
    seen.add(w.cidrBlock);
    if (key.accessList.some((e) => e.cidrBlock === w.cidrBlock)) throw errors.addressAlreadyInList(w.ipAddress ?? w.cidrBlock);
  }
  const created = new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const w of wanted) key.accessList.push({ ...w, created, count: 0 });
  // Adds, never replaces; answers with the whole list.
  return { ...listReply(ctx, key), changed: wanted.length > 0 };
}

function remove(ctx: Ctx): Reply {
  const key = targetKey(ctx);
  const entry = findEntry(ctx, key);
  const caller = parseAddress(ctx.callerAddress);
  const net = parseCidr(entry.cidrBlock);
  if (ctx.caller.id === key.id && caller && net && contains(net, caller)) {
    throw errors.cannotRemoveCaller(entry.ipAddress ?? entry.cidrBlock);
  }
  key.accessList = key.accessList.filter((e) => e !== entry);
  return { status: 204, changed: true };
}

const base = '/orgs/{orgId}/apiKeys/{keyId}/accessList';
export const accessListRoutes: Route[] = [
  { method: 'GET', template: base, handler: list },
  { method: 'POST', template: base, handler: add },
  { method: 'GET', template: `${base}/{entry}`, handler: get },
  { method: 'DELETE', template: `${base}/{entry}`, handler: remove },
];
