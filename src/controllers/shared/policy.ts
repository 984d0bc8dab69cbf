import type { AdoptionGrant, ConnectionGrant, LabelSelector } from '../../api/types.ts';

/**
 * What a namespace may do through the connection a resource uses, as gather found it in the
 * caches. A ClusterOpsManagerConnection's policy is default deny: only the grants that serve the
 * namespace allow anything. A team's OpsManagerConnection is its own credential: what it can do
 * is what Ops Manager lets that credential do.
 */
export type Access =
  | { kind: 'own'; connection: string }
  | {
      kind: 'granted';
      connection: string;
      /** The grants whose namespaces include this one (none: the namespace is not served). */
      grants: readonly ConnectionGrant[];
      /** Keys of this namespace through this connection that come before this one (the quota's count). */
      keysAhead: number;
    }
  /** No usable connection: ConnectionNotFound (none by that name, or no default) or ConnectionInvalid. */
  | { kind: 'unresolved'; reason: 'ConnectionNotFound' | 'ConnectionInvalid'; message: string };

/** `retry`: the refusal can lift without this object changing (another key going frees the quota). */
export type Verdict = { allowed: true } | { allowed: false; reason: string; message: string; retry?: boolean };

const ALLOWED: Verdict = { allowed: true };

function denied(message: string): Verdict {
  return { allowed: false, reason: 'PolicyDenied', message };
}

/** Whether a namespace with `labels` matches a metav1.LabelSelector ({} matches every namespace). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const inValues = has && value !== undefined && (e.values ?? []).includes(value);
    const ok = e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

/** Whether a grant serves `namespace` (its name listed, or its labels matching the selector). */
export function grantServes(grant: ConnectionGrant, namespace: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (grant.namespaces.names?.includes(namespace)) return true;
  return grant.namespaces.selector !== undefined && labels !== undefined && selectorMatches(grant.namespaces.selector, labels);
}

function unresolved(access: Extract<Access, { kind: 'unresolved' }>): Verdict {
  return { allowed: false, reason: access.reason, message: access.message };
}

function notServed(connection: string, namespace: string): Verdict {
  return denied(`${connection} does not serve namespace ${namespace}: no grant of its policy names it (policy.grants[].namespaces)`);
}

/** The first refusal by one grant of a scope (org or project) and roles; undefined when the grant allows them. */
function grantRefusal(grant: ConnectionGrant, scope: { orgId?: string; projectId?: string }, roles: readonly string[]): string | undefined {
  if (scope.orgId !== undefined && !(grant.organizations ?? []).includes(scope.orgId)) return `organization ${scope.orgId} is not in policy.grants[].organizations`;
  if (scope.projectId !== undefined && !(grant.projects ?? []).includes(scope.projectId)) return `project ${scope.projectId} is not in policy.grants[].projects`;
  const refused = roles.filter((r) => !(grant.roles ?? []).includes(r));
  if (refused.length > 0) return `role(s) ${refused.join(', ')} not in policy.grants[].roles${refused.includes('ORG_OWNER') ? ' (ORG_OWNER only when named)' : ''}`;
  return undefined;
}

/**
 * Whether one grant allows it all; otherwise the refusal of the grant closest to allowing it
 * (the first), so the message names the rule an admin would change.
 */
function anyGrant(
  access: Extract<Access, { kind: 'granted' }>,
  namespace: string,
  check: (grant: ConnectionGrant) => string | { quota: string } | undefined,
): Verdict {
  if (access.grants.length === 0) return notServed(access.connection, namespace);
  let first: string | { quota: string } | undefined;
  for (const grant of access.grants) {
    const refusal = check(grant);
    if (refusal === undefined) return ALLOWED;
    first ??= refusal;
  }
  const message = `${access.connection} refuses namespace ${namespace}: ${typeof first === 'object' ? first.quota : (first ?? '')}`;
  return typeof first === 'object' ? { ...denied(message), retry: true } as Verdict : denied(message);
}

/**
 * An OpsManagerApiKey's spec against its connection's policy. `holdsKey`: status records a key
 * already, so the quota (which only stops new keys) does not apply; its roles still must be
 * allowed, so a policy narrowed after the fact is reported.
 */
export function keyVerdict(
  access: Access,
  namespace: string,
  spec: { orgId?: string; projectId?: string; roles: readonly string[] },
  holdsKey: boolean,
): Verdict {
  if (access.kind === 'unresolved') return unresolved(access);
  if (access.kind === 'own') return ALLOWED;
  const scope = spec.projectId !== undefined ? { projectId: spec.projectId } : { orgId: spec.orgId ?? '' };
  return anyGrant(access, namespace, (grant) => {
    const refusal = grantRefusal(grant, scope, spec.roles);
    if (refusal) return refusal;
    if (!holdsKey && grant.maxKeys !== undefined && access.keysAhead >= grant.maxKeys) {
      return { quota: `the namespace has ${access.keysAhead} key(s) through it, policy.grants[].maxKeys is ${grant.maxKeys}` };
    }
    return undefined;
  });
}

/** A ProjectKeyBinding's project and roles against the connection of its key. */
export function bindingVerdict(access: Access, namespace: string, projectId: string, roles: readonly string[]): Verdict {
  if (access.kind === 'unresolved') return unresolved(access);
  if (access.kind === 'own') return ALLOWED;
  return anyGrant(access, namespace, (grant) => grantRefusal(grant, { projectId }, roles));
}

const ADOPTION_RANK: Record<AdoptionGrant, number> = { None: 0, WithPrivateKey: 1, Rotate: 2 };

/**
 * Taking a key over: the form (with the private key, or `rotate: true`, which proves nothing
 * about the key) must be allowed, and so must the key's scope and every project role it keeps.
 */
export function adoptionVerdict(
  access: Access,
  namespace: string,
  form: 'WithPrivateKey' | 'Rotate',
  key: { orgId?: string; projectId?: string; roles: readonly string[] },
  kept: ReadonlyArray<{ projectId: string; roles: readonly string[] }>,
): Verdict {
  if (access.kind === 'unresolved') return unresolved(access);
  if (access.kind === 'own') return ALLOWED;
  return anyGrant(access, namespace, (grant) => {
    if (ADOPTION_RANK[grant.adoption ?? 'None'] < ADOPTION_RANK[form]) {
      return `adoption ${form === 'Rotate' ? 'with rotate: true' : 'with the private key'} is not allowed (policy.grants[].adoption is ${grant.adoption ?? 'None'})`;
    }
    const own = grantRefusal(grant, key.projectId !== undefined ? { projectId: key.projectId } : { orgId: key.orgId ?? '' }, key.roles);
    if (own) return own;
    for (const p of kept) {
      const refusal = grantRefusal(grant, { projectId: p.projectId }, p.roles);
      if (refusal) return `the key's roles in project ${p.projectId} would be kept: ${refusal}`;
    }
    return undefined;
  });
}
