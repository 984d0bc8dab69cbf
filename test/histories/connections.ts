import {
  API_VERSION, CLUSTER_CONNECTION_KIND, NAMESPACED_CONNECTION_KIND, type ClusterOpsManagerConnection,
  type ConnectionGrant, type ConnectionRef, type OpsManagerApiKey, type OpsManagerConnection,
} from '../../src/api/types.ts';
import { ConnectionCatalog, refName } from '../../src/controllers/shared/connection-catalog.ts';
import type { Access } from '../../src/controllers/shared/policy.ts';
import { OpsManagerClient, type OpsManagerClientOptions } from '../../src/opsmanager/client.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import type { KubeObject } from '../support/fake-kube.ts';
import { GROUP_ROLES, ORG_ROLES } from './model.ts';

// The connection objects of every history's world (issue 21): the administrator's default
// ClusterOpsManagerConnection, whose policy serves both namespaces, and each namespace's own
// OpsManagerConnection (a tenant's ORG_OWNER credential, tampering.ts). The fake API server
// holds no such kinds, so the world keeps them here and the operator's catalog reads them as
// its informers' caches would.

/** Where the operator's own credential lives (a namespace no tenant writes in). */
const OPERATOR_NS = 'omkeys-system';
const CLUSTER_NAME = 'history';
const CREDENTIALS = 'om-credentials';
/** What status records for the default connection. */
export const DEFAULT_CONN = `${CLUSTER_CONNECTION_KIND}/${CLUSTER_NAME}`;
/** Each namespace's OpsManagerConnection, and the Secret holding its credential. */
export const OWN_CONN = 'om-conn';
export const OWN_REF: ConnectionRef = { kind: NAMESPACED_CONNECTION_KIND, name: OWN_CONN };
/**
 * A namespaced connection must be https:// and not loopback (connections.ts): its objects name
 * this host, which the operator's client maker sends to the simulator, as a DNS name of a
 * public address serving the same Ops Manager would.
 */
const OWN_BASE_URL = 'https://om.tenants.test';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/**
 * The default connection's policy: the organization, every project, the roles the histories
 * ask for (ORG_OWNER and GROUP_USER_ADMIN refused, as the roles-denied change and a kept
 * project role need); adoption with the private key in ns-a, `rotate: true` too in ns-b only.
 */
export function historyGrants(orgId: string, projectIds: readonly string[]): ConnectionGrant[] {
  const common = { organizations: [orgId], projects: [...projectIds], roles: [...ORG_ROLES, ...GROUP_ROLES] };
  return [
    { namespaces: { names: ['ns-a'] }, ...common, adoption: 'WithPrivateKey' },
    { namespaces: { names: ['ns-b'] }, ...common, adoption: 'Rotate' },
  ];
}

export class ConnectionObjects {
  readonly cluster: ClusterOpsManagerConnection;
  private readonly namespaced = new Map<string, OpsManagerConnection>();

  constructor(sim: SimHandle) {
    this.cluster = {
      apiVersion: API_VERSION,
      kind: CLUSTER_CONNECTION_KIND,
      metadata: { name: CLUSTER_NAME, uid: 'uid-connection-history', generation: 1 },
      spec: {
        baseUrl: sim.url,
        credentialsSecretRef: { namespace: OPERATOR_NS, name: CREDENTIALS },
        default: true,
        policy: { grants: historyGrants(sim.orgId, sim.projectIds) },
      },
    };
  }

  /** The namespace's own connection object, made again if it went (with its namespace). */
  ensureOwn(ns: string): void {
    if (this.namespaced.has(ns)) return;
    this.namespaced.set(ns, {
      apiVersion: API_VERSION,
      kind: NAMESPACED_CONNECTION_KIND,
      metadata: { name: OWN_CONN, namespace: ns, uid: `uid-connection-${ns}`, generation: 1 },
      spec: { baseUrl: OWN_BASE_URL, credentialsSecretRef: { name: OWN_CONN } },
    });
  }

  /** The default connection's credentials Secret: the simulator's bootstrap key, where no tenant writes. */
  operatorCredentials(sim: SimHandle): KubeObject {
    const { namespace, name } = this.cluster.spec.credentialsSecretRef;
    const data = { publicKey: b64(sim.admin.publicKey), privateKey: b64(sim.admin.privateKey) };
    return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace }, data };
  }

  /** A namespace deleted: its connection objects go at once (they have no finalizer). */
  dropNamespace(ns: string): void {
    this.namespaced.delete(ns);
  }

  /** The catalog over these objects; `keys`: the OpsManagerApiKeys as the cache holds them (the quota's count). */
  catalog(keys: () => readonly OpsManagerApiKey[]): ConnectionCatalog {
    return new ConnectionCatalog({
      cluster: (name) => (name === CLUSTER_NAME ? this.cluster : undefined),
      clusterAll: () => [this.cluster],
      namespaced: (ns, name) => (name === OWN_CONN ? this.namespaced.get(ns) : undefined),
      namespaceLabels: () => ({}),
      keys: (ns) => keys().filter((k) => k.metadata.namespace === ns),
    });
  }

  /** What `ns` may do through the connection `ref` names (none: the default), as the operator judges key `k` there. */
  access(ns: string, ref: ConnectionRef | undefined, keys: () => readonly OpsManagerApiKey[], k?: OpsManagerApiKey):
  Access {
    return this.catalog(keys).access(ns, refName(ref), k);
  }
}

/** Clients as the operator makes them, but a namespaced connection's host is the simulator. */
export function simClientMaker(sim: SimHandle): (opts: OpsManagerClientOptions) => OpsManagerClient {
  return (opts) => {
    if (!opts.baseUrl.startsWith(OWN_BASE_URL)) return new OpsManagerClient(opts);
    const { lookup, ...rest } = opts;
    void lookup;
    return new OpsManagerClient({ ...rest, baseUrl: sim.url });
  };
}
