import type { V1Secret } from '@kubernetes/client-node';
import { GROUP_ROLES, ORG_ROLES, type ClusterOpsManagerConnection, type ConnectionGrant, type OpsManagerApiKey, type OpsManagerConnection } from '../../../src/api/types.ts';
import { ConnectionCatalog } from '../../../src/controllers/shared/connection-catalog.ts';
import type { Access } from '../../../src/controllers/shared/policy.ts';

/** The cluster connection the unit tests' keys are made through (the default one). */
export const TEST_CONNECTION = 'ClusterOpsManagerConnection/om';
/** What the unit tests' decide tables assume: the namespace may do anything through its connection. */
export const OPEN_ACCESS: Access = { kind: 'own', connection: TEST_CONNECTION };
export const ALL_ROLES = [...ORG_ROLES, ...GROUP_ROLES];

export function clusterConnection(name: string, spec: Partial<ClusterOpsManagerConnection['spec']> = {}, grants: ConnectionGrant[] = []): ClusterOpsManagerConnection {
  return {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'ClusterOpsManagerConnection',
    metadata: { name, generation: 1 },
    spec: { baseUrl: 'http://om.test', credentialsSecretRef: { namespace: 'omkeys-system', name: `${name}-credentials` }, policy: { grants }, ...spec },
  };
}

export function namespacedConnection(namespace: string, name: string, baseUrl = 'https://om.example.com', secret = `${name}-credentials`): OpsManagerConnection {
  return {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'OpsManagerConnection',
    metadata: { name, namespace, generation: 1 },
    spec: { baseUrl, credentialsSecretRef: { name: secret } },
  };
}

/** A grant serving every namespace with everything in `orgs` and `projects`. */
export function openGrant(orgs: string[], projects: string[]): ConnectionGrant {
  return { namespaces: { selector: {} }, organizations: orgs, projects, roles: ALL_ROLES, adoption: 'Rotate' };
}

export function catalogOf(world: {
  cluster?: ClusterOpsManagerConnection[];
  namespaced?: OpsManagerConnection[];
  labels?: Record<string, Record<string, string>>;
  keys?: () => readonly OpsManagerApiKey[];
}): ConnectionCatalog {
  return new ConnectionCatalog({
    cluster: (name) => world.cluster?.find((c) => c.metadata.name === name),
    clusterAll: () => world.cluster ?? [],
    namespaced: (ns, name) => world.namespaced?.find((c) => c.metadata.namespace === ns && c.metadata.name === name),
    namespaceLabels: (ns) => world.labels?.[ns] ?? {},
    keys: (ns) => (world.keys?.() ?? []).filter((k) => k.metadata.namespace === ns),
  });
}

export function credentialsSecret(namespace: string, name: string, publicKey: string, privateKey: string): V1Secret {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return { metadata: { namespace, name }, data: { publicKey: b64(publicKey), privateKey: b64(privateKey) } };
}

/** Access through TEST_CONNECTION by one grant serving the namespace: everything in `orgs` and `projects`, then `over`. */
export function grantedAccess(orgs: string[], projects: string[], over: Partial<ConnectionGrant> = {}, keysAhead = 0): Access {
  return { kind: 'granted', connection: TEST_CONNECTION, grants: [{ ...openGrant(orgs, projects), ...over }], keysAhead };
}
