import type { Logger } from 'pino';
import { API_VERSION, OPS_MANAGER_API_KEY_KIND, type OpsManagerApiKey } from '../../api/types.ts';
import type { OpsManagerClient } from '../../opsmanager/client.ts';
import { NotFoundError } from '../../opsmanager/errors.ts';
import type { ApiKey } from '../../opsmanager/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { summarizeError } from '../../runtime/errors.ts';
import type { ClusterIdentity } from '../shared/cluster-identity.ts';
import type { EventSink } from '../shared/ports.ts';
import { decideJanitor, orphanMessage, tagSightings, type JanitorInput, type Orphan } from './decide-janitor.ts';
import type { Tally } from './plan.ts';

export interface JanitorDeps {
  cluster: Pick<ClusterIdentity, 'known'>;
  /** Namespaces this operator handles (OMKEYS_NAMESPACES); empty: all. */
  namespaces: readonly string[];
  /** How long a key must have been seen tagged before it is judged (see decide-janitor.ts). */
  minAgeMs: number;
  /** The OpsManagerApiKeys of a namespace, listed from the API server (never the cache). */
  listLive(namespace: string): Promise<readonly OpsManagerApiKey[]>;
  /** The informer's cache of OpsManagerApiKeys. */
  cached(): readonly OpsManagerApiKey[];
  events: EventSink;
  clock: Clock;
  logger: Logger;
  /** Told each orphan deleted (omkeys_keys_orphans_swept_total). */
  onCounted?: (tally: Tally) => void;
  /** Shared key lists no longer speak for a key deleted here. */
  noteWritten?: (client: OpsManagerClient, keyId: string) => void;
}

/** Lists, reads and questions per pass are bounded: a decision asks for each at most once. */
const MAX_ROUNDS = 3;

/**
 * Deletes the keys of resources that are gone without having cleaned up after themselves:
 * removed under their first create (kubernetes/kubernetes#77988) while the operator died
 * between the create and its next write, so that no object and no event is left to find the
 * key by. Fed each organization key list the operator reads anyway (the resync's shared
 * lists, key-list-cache.ts): no Ops Manager call of its own unless a list holds a tagged key.
 * Remembers, in memory, since when it has seen each tagged key. Decides in decide-janitor.ts.
 */
export class PendingKeyJanitor {
  private readonly seen = new WeakMap<OpsManagerClient, Map<string, Map<string, number>>>();
  private readonly running = new WeakMap<OpsManagerClient, Set<string>>();

  constructor(private readonly deps: JanitorDeps) {}

  /** For the shared key lists: a pass in the background, its failure a log line (the next list tries again). */
  observe(client: OpsManagerClient, orgId: string, keys: Iterable<ApiKey>): void {
    this.sweep(client, orgId, keys).catch((err: unknown) => this.deps.logger.warn({ orgId, err: summarizeError(err) }, 'janitor: pass failed; the next key list tries again'));
  }

  /** One pass over a list of the organization's keys; the orphans deleted. One pass per organization at a time. */
  async sweep(client: OpsManagerClient, orgId: string, list: Iterable<ApiKey>): Promise<Orphan[]> {
    const cluster = this.deps.cluster.known();
    const running = this.runningOf(client);
    if (!cluster || running.has(orgId)) return [];
    running.add(orgId);
    try {
      return await this.pass(client, orgId, cluster, [...list].map((k) => ({ id: k.id, desc: k.desc })));
    } finally {
      running.delete(orgId);
    }
  }

  private async pass(client: OpsManagerClient, orgId: string, cluster: string, keys: JanitorInput['keys']): Promise<Orphan[]> {
    const memory = this.memoryOf(client);
    const now = this.deps.clock.now();
    const before = memory.get(orgId) ?? new Map<string, number>();
    const sightings = tagSightings(keys, before, now);
    if (sightings.size === 0) memory.delete(orgId);
    else memory.set(orgId, sightings);
    const tracked = new Set(this.deps.cached().flatMap((k) => [k.status?.keyId, k.status?.previousKeyId]).filter((id): id is string => !!id));
    const input: JanitorInput = { now, cluster, namespaces: this.deps.namespaces, minAgeMs: this.deps.minAgeMs, keys, seen: before, tracked, live: new Map(), confirmed: new Map() };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const d = decideJanitor(input);
      if (d.kind === 'list-live') input.live = await this.listLive(d.namespaces);
      else if (d.kind === 'confirm') input.confirmed = await confirm(client, orgId, d.keyIds);
      else return this.deleteOrphans(client, orgId, d.orphans, sightings);
    }
    throw new Error('internal: the janitor reached no decision');
  }

  private async listLive(namespaces: readonly string[]): Promise<JanitorInput['live']> {
    const live = new Map<string, { uids: Set<string>; keyIds: Set<string> }>();
    for (const ns of namespaces) {
      const objs = await this.deps.listLive(ns);
      live.set(ns, {
        uids: new Set(objs.map((o) => o.metadata.uid ?? '')),
        keyIds: new Set(objs.flatMap((o) => [o.status?.keyId, o.status?.previousKeyId]).filter((id): id is string => !!id)),
      });
    }
    return live;
  }

  /** One delete (gone counts as done), its count and its Event, per orphan; the first failure stops the pass. */
  private async deleteOrphans(client: OpsManagerClient, orgId: string, orphans: readonly Orphan[], sightings: Map<string, number>): Promise<Orphan[]> {
    for (const o of orphans) {
      this.deps.noteWritten?.(client, o.keyId);
      try {
        await client.deleteOrgKey(orgId, o.keyId);
      } catch (err) {
        if (!(err instanceof NotFoundError && err.errorCode === 'API_KEY_NOT_FOUND')) throw err;
      }
      sightings.delete(o.keyId);
      this.deps.onCounted?.({ kind: 'OrphanDeleted' });
      this.deps.logger.warn({ orgId, keyId: o.keyId, uid: o.uid, namespace: o.namespace }, 'janitor: deleted the key of a resource that no longer exists');
      // The resource is gone: the Event names it by uid in its namespace, where its owner looks.
      const target = { apiVersion: API_VERSION, kind: OPS_MANAGER_API_KEY_KIND, metadata: { namespace: o.namespace, uid: o.uid } };
      await this.deps.events.record(target, 'Warning', 'OrphanKeyDeleted', orphanMessage(o));
    }
    return [...orphans];
  }

  private memoryOf(client: OpsManagerClient): Map<string, Map<string, number>> {
    let m = this.seen.get(client);
    if (!m) this.seen.set(client, (m = new Map<string, Map<string, number>>()));
    return m;
  }

  private runningOf(client: OpsManagerClient): Set<string> {
    let r = this.running.get(client);
    if (!r) this.running.set(client, (r = new Set<string>()));
    return r;
  }
}

/** Each suspect read again from Ops Manager after the live lists: its description, or undefined when it is gone. */
async function confirm(client: OpsManagerClient, orgId: string, keyIds: readonly string[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const id of keyIds) {
    try {
      out.set(id, (await client.getOrgKey(orgId, id)).desc);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      out.set(id, undefined);
    }
  }
  return out;
}
