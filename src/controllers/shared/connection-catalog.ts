import {
  CLUSTER_CONNECTION_KIND,
  NAMESPACED_CONNECTION_KIND,
  type ClusterOpsManagerConnection,
  type ConnectionRef,
  type OpsManagerApiKey,
  type OpsManagerConnection,
} from '../../api/types.ts';
import { grantServes, type Access } from './policy.ts';

/** How status, marks and messages name a connection: `<Kind>/<name>`; `default` is what a spec naming none asks for. */
export const DEFAULT_CONNECTION = 'default';
const CLUSTER_PREFIX = `${CLUSTER_CONNECTION_KIND}/`;
const NAMESPACED_PREFIX = `${NAMESPACED_CONNECTION_KIND}/`;

export function refName(ref: ConnectionRef | undefined): string {
  return ref ? `${ref.kind}/${ref.name}` : DEFAULT_CONNECTION;
}

/** The informers' caches the catalog reads: nothing here reads the API server. */
export interface ConnectionCaches {
  cluster(name: string): ClusterOpsManagerConnection | undefined;
  clusterAll(): readonly ClusterOpsManagerConnection[];
  namespaced(namespace: string, name: string): OpsManagerConnection | undefined;
  /** The namespace's labels; undefined when the namespace is not (yet) known. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  keys(namespace: string): readonly OpsManagerApiKey[];
}

export type Found =
  | { kind: 'cluster'; name: string; obj: ClusterOpsManagerConnection }
  | { kind: 'namespaced'; name: string; obj: OpsManagerConnection }
  | { kind: 'missing'; message: string };

/**
 * The connection objects as the caches hold them: which one a name means (`default` included),
 * and what a namespace may do through it. Resolving a key's connection costs no Kubernetes read.
 */
export class ConnectionCatalog {
  /** The last object seen under each name, so that keys made through a connection since deleted can still be cleaned up. */
  private readonly lastSeen = new Map<string, Exclude<Found, { kind: 'missing' }>>();

  constructor(private readonly caches: ConnectionCaches) {}

  /** Every cluster connection, by the name status records (`ClusterOpsManagerConnection/<name>`). */
  clusterNames(): string[] {
    return this.caches.clusterAll().map((c) => `${CLUSTER_PREFIX}${c.metadata.name ?? ''}`);
  }

  /** The default cluster connection's name, or why there is none to use. */
  defaultConnection(): { name: string } | { problem: string } {
    const marked = this.caches.clusterAll().filter((c) => c.spec.default === true && !c.metadata.deletionTimestamp);
    const names = marked.map((c) => c.metadata.name ?? '').sort();
    if (names.length === 1) return { name: `${CLUSTER_PREFIX}${names[0] ?? ''}` };
    if (names.length === 0) return { problem: 'no ClusterOpsManagerConnection is marked default: true; name one in spec.connectionRef' };
    return { problem: `several ClusterOpsManagerConnections are marked default: true (${names.join(', ')}); an admin must keep one` };
  }

  /** `default` (and the name an earlier version recorded for it) as the connection it is now; other names as they are. */
  concrete(name: string): string {
    if (name !== DEFAULT_CONNECTION) return name;
    const d = this.defaultConnection();
    return 'name' in d ? d.name : DEFAULT_CONNECTION;
  }

  /**
   * `forCleanup`: a deletion may use the connection as last seen by this process when the
   * object is gone (removed with its namespace, or by an admin before the keys made through it).
   */
  find(namespace: string, name: string, opts: { forCleanup?: boolean } = {}): Found {
    const found = this.lookup(namespace, name);
    const id = found.kind === 'namespaced' || (found.kind === 'missing' && name.startsWith(NAMESPACED_PREFIX)) ? `${namespace}/${name}` : name;
    if (found.kind !== 'missing') this.lastSeen.set(id, found);
    else if (opts.forCleanup) return this.lastSeen.get(id) ?? found;
    return found;
  }

  private lookup(namespace: string, name: string): Found {
    const concrete = this.concrete(name);
    if (concrete.startsWith(CLUSTER_PREFIX)) {
      const obj = this.caches.cluster(concrete.slice(CLUSTER_PREFIX.length));
      return obj ? { kind: 'cluster', name: concrete, obj } : { kind: 'missing', message: `${concrete} not found` };
    }
    if (concrete.startsWith(NAMESPACED_PREFIX)) {
      const obj = this.caches.namespaced(namespace, concrete.slice(NAMESPACED_PREFIX.length));
      return obj ? { kind: 'namespaced', name: concrete, obj } : { kind: 'missing', message: `${concrete} not found in namespace ${namespace}` };
    }
    if (concrete === DEFAULT_CONNECTION) {
      const d = this.defaultConnection();
      return { kind: 'missing', message: 'problem' in d ? d.problem : 'no default connection' };
    }
    return { kind: 'missing', message: `connection ${concrete} (recorded by an earlier version) no longer exists: name a connection object in spec.connectionRef` };
  }

  /**
   * What `namespace` may do through `name`. `key`: the OpsManagerApiKey asking (for the quota:
   * the keys of the namespace through the same connection that come before it).
   */
  access(namespace: string, name: string, key?: OpsManagerApiKey): Access {
    const found = this.find(namespace, name);
    if (found.kind === 'missing') return { kind: 'unresolved', reason: 'ConnectionNotFound', message: found.message };
    if (found.kind === 'namespaced') return { kind: 'own', connection: found.name };
    const labels = this.caches.namespaceLabels(namespace);
    const grants = (found.obj.spec.policy?.grants ?? []).filter((g) => grantServes(g, namespace, labels));
    const quota = grants.some((g) => g.maxKeys !== undefined);
    const keysAhead = quota && key && !key.status?.keyId ? this.keysAhead(namespace, found.name, key) : 0;
    return { kind: 'granted', connection: found.name, grants, keysAhead };
  }

  /**
   * The namespace's keys through `connection` that count before `key`: every one holding a key,
   * then those waiting for one that were created earlier (so of N applied at once, the first
   * maxKeys by creation are served, whatever order they are reconciled in).
   */
  private keysAhead(namespace: string, connection: string, key: OpsManagerApiKey): number {
    const rank = (k: OpsManagerApiKey): string => `${k.metadata.creationTimestamp ?? ''}/${k.metadata.name ?? ''}`;
    let ahead = 0;
    for (const k of this.caches.keys(namespace)) {
      if (k.metadata.uid === key.metadata.uid || k.metadata.deletionTimestamp) continue;
      if (this.concrete(refName(k.spec.connectionRef)) !== connection) continue;
      if (k.status?.keyId || rank(k) < rank(key)) ahead++;
    }
    return ahead;
  }
}
