import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../../api/types.ts';
import { isNotFound } from '../../kube/api-errors.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ClusterIdentity } from '../shared/cluster-identity.ts';
import type { Connection, ConnectionPool } from '../shared/connections.ts';
import type { KeyListCache } from '../shared/key-list-cache.ts';
import type { ConfigMapStore, ObjectStore, SecretStore } from '../shared/ports.ts';
import { readAdopt } from './gather-adopt.ts';
import { recordedConnection, specConnection, workingConnection } from './facts.ts';
import type { ConfigMapView, Gathered, LastSync, Read, SecretView } from './plan.ts';
import { findPendingKeys, readRemoteKey } from './remote.ts';
import { cachedFacts, cachedSecretMatches } from './secret-facts.ts';
import { buildSecret, checkTemplate, isOwnedBy, materialFromSecret, readSecret, secretMatches, secretMatchesBarDigests, secretName, TemplateError } from './secret-builder.ts';

export interface GatherDeps {
  keys: ObjectStore<OpsManagerApiKey>;
  secrets: SecretStore;
  configMaps?: ConfigMapStore;
  /** The informers' caches. */
  cache: {
    key(namespace: string, name: string): OpsManagerApiKey | undefined;
    secret(namespace: string, name: string): V1Secret | undefined;
    bindingsOf(namespace: string, keyName: string): readonly ProjectKeyBinding[];
    configMap(namespace: string, name: string): V1ConfigMap | undefined;
    /** Every OpsManagerApiKey (to tell whether a key to adopt is managed already). */
    allKeys(): readonly OpsManagerApiKey[];
  };
  connections: ConnectionPool;
  clock: Clock;
  freshnessMs: number;
  /** Shared key lists for a resync pass (fewer Ops Manager reads per key); absent: one read per key. */
  keyLists?: KeyListCache;
  /** This cluster's identity for the pending tag (the reconciler resolves it first); absent: the tag without it. */
  cluster?: Pick<ClusterIdentity, 'known' | 'resolve'>;
}

/** What gather read, and the Ops Manager client that act will use. */
export interface Session {
  g: Gathered;
  conn?: Connection;
  /** The resource itself came from the API server (a write's answer): a live read need only fetch the Secret. */
  objLive?: boolean;
  /** The Secret and ConfigMap as read (ours or not), so that a next round of the same reconcile keeps what a live read saw. */
  read: { secret: V1Secret | undefined; configMap: V1ConfigMap | undefined };
}

function viewSecret(obj: OpsManagerApiKey, secret: V1Secret | undefined): SecretView {
  if (!secret) return { state: 'absent' };
  if (!isOwnedBy(secret, obj)) return { state: 'foreign' };
  const facts = cachedFacts(secret);
  const reading = facts ? facts.reading : readSecret(secret);
  let matchesDesired = true;
  let onlyDigestsDiffer = false;
  if (reading.pairIntact) {
    try {
      if (facts) matchesDesired = cachedSecretMatches(obj, secret, facts);
      else {
        const desired = buildSecret(obj, materialFromSecret(secret));
        matchesDesired = secretMatches(secret, desired);
        onlyDigestsDiffer = !matchesDesired && secretMatchesBarDigests(secret, desired);
      }
    } catch {
      matchesDesired = true; // a template error is reported on its own
    }
  }
  return { state: 'ours', raw: secret, reading, matchesDesired, complete: facts === undefined, ...(onlyDigestsDiffer ? { onlyDigestsDiffer } : {}) };
}

function viewConfigMap(obj: OpsManagerApiKey, cm: V1ConfigMap | undefined): ConfigMapView {
  if (!cm) return { state: 'absent' };
  const owned = (cm.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === obj.metadata.uid);
  return owned ? { state: 'ours', raw: cm } : { state: 'foreign' };
}

function templateError(obj: OpsManagerApiKey): string | undefined {
  try {
    checkTemplate(obj);
    return undefined;
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    return err.message;
  }
}

/** The first view of a reconcile: the resource as given (cache or a write's answer) and the Secret from the cache. */
export function gatherLocal(deps: GatherDeps, obj: OpsManagerApiKey, opts: { live: boolean; secret?: V1Secret | undefined; configMap?: V1ConfigMap | undefined; lastSync?: LastSync }): Session {
  const ns = obj.metadata.namespace ?? '';
  const secret = 'secret' in opts ? opts.secret : deps.cache.secret(ns, secretName(obj));
  const cmName = obj.spec.opsManagerConfigMap?.name;
  const configMap = 'configMap' in opts ? opts.configMap : cmName ? deps.cache.configMap(ns, cmName) : undefined;
  const te = templateError(obj);
  const cluster = deps.cluster?.known();
  return {
    g: {
      obj,
      live: opts.live,
      now: new Date(deps.clock.now()),
      access: deps.connections.catalog.access(ns, specConnection(obj), obj),
      connections: { spec: deps.connections.catalog.concrete(specConnection(obj)), recorded: deps.connections.catalog.concrete(recordedConnection(obj)) },
      ...(te ? { templateError: te } : {}),
      secret: viewSecret(obj, secret),
      connection: { state: 'unread' },
      remote: { state: 'unread' },
      pending: { state: 'unread' },
      bindings: deps.cache.bindingsOf(ns, obj.metadata.name ?? ''),
      adopt: { state: 'unread' },
      adoptRivals: [],
      configMap: viewConfigMap(obj, configMap),
      ...(opts.lastSync ? { lastSync: opts.lastSync } : {}),
      freshnessMs: deps.freshnessMs,
      ...(cluster ? { cluster } : {}),
    },
    read: { secret, configMap },
  };
}

/** Adds what decide asked for. Returns undefined when the resource turned out to be gone. */
export async function gatherMore(deps: GatherDeps, s: Session, reads: readonly Read[]): Promise<Session | undefined> {
  let { g, conn, read } = s;
  if (reads.includes('live')) {
    const live = await readLive(deps, g.obj, s.objLive === true);
    if (!live) return undefined;
    const fresh = gatherLocal(deps, live.obj, { live: true, secret: live.secret, configMap: live.configMap, ...(g.lastSync ? { lastSync: g.lastSync } : {}) });
    g = { ...fresh.g, connection: g.connection };
    read = fresh.read;
  }
  const obj = g.obj;
  if (reads.includes('secret') && !reads.includes('live')) {
    // The Secret's data, for a rewrite: the cache holds only its metadata.
    const secret = await deps.secrets.get(obj.metadata.namespace ?? '', secretName(obj));
    g = { ...g, secret: viewSecret(obj, secret) };
    read = { ...read, secret };
  }
  if (!conn && (reads.includes('connection') || reads.includes('remote') || reads.includes('pending'))) {
    // The connection that made the keys status (or an open create) names, whatever the spec says now.
    conn = await deps.connections.resolve(obj.metadata.namespace ?? '', workingConnection(obj), { forCleanup: obj.metadata.deletionTimestamp !== undefined });
    const name = conn.name;
    const project = obj.spec.projectId ? await deps.connections.projectOf(conn, obj.spec.projectId) : undefined;
    const orgId = obj.spec.orgId ?? project?.orgId ?? '';
    const connection = { state: 'read' as const, name, baseUrl: conn.baseUrl, orgId, publicKey: conn.publicKey };
    g = { ...g, connection, ...(project ? { projectName: project.name } : {}) };
  }
  const orgId = g.connection.state === 'read' ? g.connection.orgId : '';
  const client = conn?.client;
  if (client && reads.includes('remote')) {
    // Only the key status records is read (and so changed): the Secret's key id is output.
    const keyId = obj.status?.keyId;
    g = { ...g, remote: keyId ? await readRemoteKey(client, obj, keyId, orgId, deps.keyLists) : { state: 'absent' } };
  }
  if (client && reads.includes('pending')) {
    const pair = g.secret.state === 'ours' && g.secret.reading.pairIntact ? g.secret.reading.publicKey : undefined;
    g = { ...g, pending: { state: 'read', ...(await findPendingKeys(client, obj, orgId, pair)) } };
  }
  if (conn && reads.includes('adopt')) g = { ...g, ...(await readAdopt(deps, conn, obj, orgId)) };
  return { g, ...(conn ? { conn } : {}), objLive: s.objLive === true || reads.includes('live'), read };
}

async function readLive(deps: GatherDeps, obj: OpsManagerApiKey, objLive: boolean): Promise<{ obj: OpsManagerApiKey; secret: V1Secret | undefined; configMap: V1ConfigMap | undefined } | undefined> {
  let fresh: OpsManagerApiKey;
  try {
    fresh = objLive ? obj : await deps.keys.get(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const ns = fresh.metadata.namespace ?? '';
  const cmName = fresh.spec.opsManagerConfigMap?.name;
  // A ConfigMap we do not own is not in the cache (it has no managed-by label): only a live read shows it.
  const configMap = cmName && deps.configMaps ? await deps.configMaps.get(ns, cmName) : undefined;
  return { obj: fresh, secret: await deps.secrets.get(ns, secretName(fresh)), configMap };
}
