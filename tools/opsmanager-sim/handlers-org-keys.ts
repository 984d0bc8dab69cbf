import { requireOrgOwner, requireOrgRead } from './auth.ts';
import type { Ctx, Reply } from './context.ts';
import { errors } from './errors.ts';
import { checkKeyLimit, getKeyInOrg, getOrg } from './lookup.ts';
import { paginate, readPaging } from './pagination.ts';
import type { Route } from './router.ts';
import { parseDesc, parseObject, parseRoleNames } from './validate.ts';
import { renderKey } from './views.ts';

const p = (ctx: Ctx, name: string): string => ctx.params[name] ?? '';

function list(ctx: Ctx): Reply {
  const org = getOrg(ctx.state, p(ctx, 'orgId'));
  requireOrgRead(ctx.caller, org.id);
  readPaging(ctx.query);
  const keys = ctx.state.keysOfOrg(org.id);
  const body = paginate(keys, ctx.query, `${ctx.apiBase}/orgs/${org.id}/apiKeys`, (k) => renderKey(k, ctx.apiBase));
  return { status: 200, body };
}

function get(ctx: Ctx): Reply {
  const org = getOrg(ctx.state, p(ctx, 'orgId'));
  requireOrgRead(ctx.caller, org.id);
  return { status: 200, body: renderKey(getKeyInOrg(ctx.state, org.id, p(ctx, 'keyId')), ctx.apiBase) };
}

function create(ctx: Ctx): Reply {
  const org = getOrg(ctx.state, p(ctx, 'orgId'));
  requireOrgOwner(ctx.caller, org.id);
  const input = parseObject(ctx.body, ['desc', 'roles']);
  const desc = parseDesc(input.desc);
  const roles = parseRoleNames(input.roles, 'org');
  checkKeyLimit(ctx.state, org.id);
  const key = ctx.state.addKey(org.id, desc, roles.map((roleName) => ({ orgId: org.id, roleName })));
  // 200, not 201: the only response that ever carries the private key in clear.
  return { status: 200, body: renderKey(key, ctx.apiBase, true), changed: true };
}

function update(ctx: Ctx): Reply {
  const org = getOrg(ctx.state, p(ctx, 'orgId'));
  requireOrgOwner(ctx.caller, org.id);
  const key = getKeyInOrg(ctx.state, org.id, p(ctx, 'keyId'));
  const input = parseObject(ctx.body, ['desc', 'roles']);
  if (input.desc === undefined && input.roles === undefined) throw errors.missingAttribute('roles');
  const desc = input.desc !== undefined ? parseDesc(input.desc) : undefined;
  const roles = input.roles !== undefined ? parseRoleNames(input.roles, 'org') : undefined;
  if (desc !== undefined) key.desc = desc;
  if (roles) {
    // Replaces the organization roles only; project assignments stay.
    key.roles = [...roles.map((roleName) => ({ orgId: org.id, roleName })), ...key.roles.filter((r) => r.groupId !== undefined)];
  }
  return { status: 200, body: renderKey(key, ctx.apiBase), changed: true };
}

function remove(ctx: Ctx): Reply {
  const org = getOrg(ctx.state, p(ctx, 'orgId'));
  requireOrgOwner(ctx.caller, org.id);
  const key = getKeyInOrg(ctx.state, org.id, p(ctx, 'keyId'));
  // Its project assignments live in its roles and go with it.
  ctx.state.apiKeys.delete(key.id);
  return { status: 200, changed: true };
}

/** `GET /orgs`: the organizations the caller has a role in (Ops Manager: those its key can see). */
function orgs(ctx: Ctx): Reply {
  readPaging(ctx.query);
  const visible = [...ctx.state.orgs.values()].filter((o) => ctx.caller.orgId === o.id || ctx.caller.roles.some((r) => r.orgId === o.id));
  const render = (o: { id: string; name: string }): unknown => ({ id: o.id, isDeleted: false, links: [{ href: `${ctx.apiBase}/orgs/${o.id}`, rel: 'self' }], name: o.name });
  return { status: 200, body: paginate(visible, ctx.query, `${ctx.apiBase}/orgs`, render) };
}

export const orgKeyRoutes: Route[] = [
  { method: 'GET', template: '/orgs', handler: orgs },
  { method: 'GET', template: '/orgs/{orgId}/apiKeys', handler: list },
  { method: 'POST', template: '/orgs/{orgId}/apiKeys', handler: create },
  { method: 'GET', template: '/orgs/{orgId}/apiKeys/{keyId}', handler: get },
  { method: 'PATCH', template: '/orgs/{orgId}/apiKeys/{keyId}', handler: update },
  { method: 'DELETE', template: '/orgs/{orgId}/apiKeys/{keyId}', handler: remove },
];
