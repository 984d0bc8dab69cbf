import { onOwnAccessList, requireGroupRead, requireGroupUserAdmin } from './auth.ts';
import type { Ctx, Reply } from './context.ts';
import { errors } from './errors.ts';
import { checkKeyLimit, getProject } from './lookup.ts';
import { paginate, readPaging } from './pagination.ts';
import type { Route } from './router.ts';
import type { ApiKey, Project } from './state.ts';
import { parseDesc, parseObject, parseRoleNames } from './validate.ts';
import { renderKey } from './views.ts';

const p = (ctx: Ctx, name: string): string => ctx.params[name] ?? '';
const assigned = (k: ApiKey, groupId: string): boolean => k.roles.some((r) => r.groupId === groupId);

/** `GET /groups/{id}`: the project, with the organization it belongs to (fields in alphabetical order, as Ops Manager sends them). */
function project(ctx: Ctx): Reply {
  const found = getProject(ctx.state, p(ctx, 'groupId'));
  requireGroupRead(ctx.caller, found.id, found.orgId);
  const body = { id: found.id, links: [{ href: `${ctx.apiBase}/groups/${found.id}`, rel: 'self' }], name: found.name, orgId: found.orgId };
  return { status: 200, body };
}

function list(ctx: Ctx): Reply {
  const project = getProject(ctx.state, p(ctx, 'groupId'));
  requireGroupRead(ctx.caller, project.id, project.orgId);
  readPaging(ctx.query);
  const keys = ctx.state.keysOfOrg(project.orgId).filter((k) => assigned(k, project.id));
  // Each key lists all its roles, organization and every project.
  const body = paginate(keys, ctx.query, `${ctx.apiBase}/groups/${project.id}/apiKeys`, (k) => renderKey(k, ctx.apiBase));
  return { status: 200, body };
}

function create(ctx: Ctx): Reply {
  const project = getProject(ctx.state, p(ctx, 'groupId'));
  requireGroupUserAdmin(ctx.caller, project.id, project.orgId);
  // Ops Manager 5.0 documents that this call must come from an address on the caller's own
  // access list, even where the organization does not require access lists.
  if (!onOwnAccessList(ctx.caller, ctx.callerAddress)) throw errors.ipNotOnAccessList(ctx.callerAddress);
  const input = parseObject(ctx.body, ['desc', 'roles']);
  const desc = parseDesc(input.desc);
  const roles = parseRoleNames(input.roles, 'group');
  checkKeyLimit(ctx.state, project.orgId);
  // A project key is an organization key with roles in this project only.
  const key = ctx.state.addKey(project.orgId, desc, roles.map((roleName) => ({ groupId: project.id, roleName })));
  return { status: 200, body: renderKey(key, ctx.apiBase, true), changed: true };
}

function existingKey(ctx: Ctx, project: Project): ApiKey {
  const keyId = p(ctx, 'keyId');
  const key = ctx.state.apiKeys.get(keyId);
  if (!key) throw errors.apiKeyNotFound(keyId);
  // Undocumented in Ops Manager: 409 API_KEY_NOT_IN_GROUP_ORG, so that a client can tell
  // "wrong organization" from "no such key" (README, "Documented choices").
  if (key.orgId !== project.orgId) throw errors.apiKeyInOtherOrg(keyId, project.id);
  return key;
}

function assign(ctx: Ctx): Reply {
  const project = getProject(ctx.state, p(ctx, 'groupId'));
  requireGroupUserAdmin(ctx.caller, project.id, project.orgId);
  const key = existingKey(ctx, project);
  // `desc` is tolerated because the official Go client's update call may send it.
  const input = parseObject(ctx.body, ['roles', 'desc']);
  const roles = parseRoleNames(input.roles, 'group');
  const desc = input.desc !== undefined ? parseDesc(input.desc) : undefined;
  if (desc !== undefined) key.desc = desc;
  key.roles = [...key.roles.filter((r) => r.groupId !== project.id), ...roles.map((roleName) => ({ groupId: project.id, roleName }))];
  return { status: 200, body: renderKey(key, ctx.apiBase), changed: true };
}

function unassign(ctx: Ctx): Reply {
  const project = getProject(ctx.state, p(ctx, 'groupId'));
  requireGroupUserAdmin(ctx.caller, project.id, project.orgId);
  const key = existingKey(ctx, project);
  if (!assigned(key, project.id)) throw errors.apiKeyNotFound(key.id);
  key.roles = key.roles.filter((r) => r.groupId !== project.id);
  return { status: 200, changed: true };
}

export const projectKeyRoutes: Route[] = [
  { method: 'GET', template: '/groups/{groupId}', handler: project },
  { method: 'GET', template: '/groups/{groupId}/apiKeys', handler: list },
  { method: 'POST', template: '/groups/{groupId}/apiKeys', handler: create },
  { method: 'PATCH', template: '/groups/{groupId}/apiKeys/{keyId}', handler: assign },
  { method: 'DELETE', template: '/groups/{groupId}/apiKeys/{keyId}', handler: unassign },
];
