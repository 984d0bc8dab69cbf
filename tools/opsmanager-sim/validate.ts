import { errors } from './errors.ts';

export const ORG_ROLES = ['ORG_OWNER', 'ORG_MEMBER', 'ORG_GROUP_CREATOR', 'ORG_READ_ONLY'];
export const GROUP_ROLES = [
  'GROUP_OWNER', 'GROUP_READ_ONLY', 'GROUP_AUTOMATION_ADMIN', 'GROUP_BACKUP_ADMIN', 'GROUP_MONITORING_ADMIN',
  'GROUP_USER_ADMIN', 'GROUP_DATA_ACCESS_ADMIN', 'GROUP_DATA_ACCESS_READ_WRITE', 'GROUP_DATA_ACCESS_READ_ONLY',
  'GROUP_CHARTS_ADMIN',
];
export const GLOBAL_ROLES = [
  'GLOBAL_OWNER', 'GLOBAL_READ_ONLY', 'GLOBAL_AUTOMATION_ADMIN', 'GLOBAL_BACKUP_ADMIN', 'GLOBAL_MONITORING_ADMIN',
  'GLOBAL_USER_ADMIN',
];
export const MAX_DESC = 250;

export function parseJson(body: string): unknown {
  if (body.trim() === '') throw errors.invalidJson();
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw errors.invalidJson();
  }
}

export function parseObject(body: string, allowed: string[]): Record<string, unknown> {
  const v = parseJson(body);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw errors.invalidJson();
  checkFields(v as Record<string, unknown>, allowed);
  return v as Record<string, unknown>;
}

/** Ops Manager rejects unknown request fields with 400 INVALID_ATTRIBUTE. */
export function checkFields(obj: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw errors.invalidAttribute(k);
}

export function parseDesc(v: unknown): string {
  if (v === undefined || v === null) throw errors.missingAttribute('desc');
  if (typeof v !== 'string') throw errors.invalidAttribute('desc', 'It must be a string.');
  const len = [...v].length;
  if (len < 1 || len > MAX_DESC) throw errors.invalidAttribute('desc', `It must be 1 to ${MAX_DESC} characters long.`);
  return v;
}

/** A non-empty array of role names valid for the scope; duplicates collapse. */
export function parseRoleNames(v: unknown, scope: 'org' | 'group'): string[] {
  if (v === undefined || v === null) throw errors.missingAttribute('roles');
  if (!Array.isArray(v)) throw errors.invalidAttribute('roles', 'It must be an array of role names.');
  if (v.length === 0) throw errors.invalidAttribute('roles', 'At least one role is required.');
  const out: string[] = [];
  for (const r of v) {
    if (typeof r !== 'string') throw errors.invalidAttribute('roles', 'It must be an array of role names.');
    const known = ORG_ROLES.includes(r) || GROUP_ROLES.includes(r) || GLOBAL_ROLES.includes(r);
    if (!known) throw errors.invalidEnumValue(r, 'roles');
    if (scope === 'org' && GROUP_ROLES.includes(r)) throw errors.roleNeedsGroupId(r);
    if (scope === 'org' && !ORG_ROLES.includes(r)) throw errors.invalidEnumValue(r, 'roles');
    if (scope === 'group' && !GROUP_ROLES.includes(r)) throw errors.invalidRoleForGroup(r);
    if (!out.includes(r)) out.push(r);
  }
  return out;
}
