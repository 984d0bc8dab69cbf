/**
 * What the operator's configuration allows. The default connection is the operator's own
 * (usually powerful) Ops Manager credential, so who may mint keys through it, and with which
 * roles, is a cluster-admin decision, not a namespace user's.
 */
export interface KeyPolicy {
  /** Namespaces that may use the default connection; `['*']` means all. */
  defaultConnectionNamespaces: readonly string[];
  /** Roles that may be requested through the default connection; empty means any (except ORG_OWNER unless allowed). */
  allowedRoles: readonly string[];
  /** ORG_OWNER through the default connection would let a namespace user become organization owner. */
  allowOrgOwnerViaDefault: boolean;
  /**
   * Namespaces that may adopt with `rotate: true` (`['*']`: all). That form proves nothing about
   * the key (anyone can read key ids), so it is refused unless an admin allows it.
   */
  adoptRotateNamespaces: readonly string[];
}

export const DEFAULT_POLICY: KeyPolicy = {
  defaultConnectionNamespaces: ['*'],
  allowedRoles: [],
  allowOrgOwnerViaDefault: false,
  adoptRotateNamespaces: [],
};

/** Whether `namespace` may adopt a key without its private key (`rotate: true`). */
export function mayAdoptByRotation(policy: KeyPolicy, namespace: string): boolean {
  return policy.adoptRotateNamespaces.includes('*') || policy.adoptRotateNamespaces.includes(namespace);
}

export type PolicyVerdict = { allowed: true } | { allowed: false; message: string };

export function checkPolicy(policy: KeyPolicy, namespace: string, usesDefaultConnection: boolean, roles: readonly string[]): PolicyVerdict {
  if (!usesDefaultConnection) return { allowed: true };
  const nsAllowed = policy.defaultConnectionNamespaces.includes('*') || policy.defaultConnectionNamespaces.includes(namespace);
  if (!nsAllowed) {
    return {
      allowed: false,
      message: `namespace ${namespace} may not use the operator's default Ops Manager connection; set spec.connectionSecretRef`,
    };
  }
  if (roles.includes('ORG_OWNER') && !policy.allowOrgOwnerViaDefault) {
    return { allowed: false, message: 'ORG_OWNER cannot be granted through the default connection (it would make a namespace user organization owner)' };
  }
  const refused = policy.allowedRoles.length === 0 ? [] : roles.filter((r) => !policy.allowedRoles.includes(r));
  if (refused.length > 0) {
    return { allowed: false, message: `role(s) ${refused.join(', ')} are not allowed by the operator's policy (allowed: ${policy.allowedRoles.join(', ')})` };
  }
  return { allowed: true };
}
