import type { KubernetesObject, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { SECRET_FINALIZER, type OpsManagerApiKey } from '../../api/types.ts';
import type { OpsManagerClient } from '../../opsmanager/client.ts';
import type { Clock } from '../../runtime/clock.ts';
import { splitKey } from '../../runtime/controller.ts';
import { codeOf, summarizeError } from '../../runtime/errors.ts';
import type { ChangeHandler } from '../../runtime/informer.ts';
import { initControllerSeries, type Metrics } from '../../runtime/metrics.ts';
import { WorkQueue } from '../../runtime/work-queue.ts';
import { ConnectionError, type Connection, type ConnectionPool } from '../shared/connections.ts';
import type { EventSink, EventTarget, ObjectStore, SecretStore } from '../shared/ports.ts';
import { connectionRef, controllingOwner, decideSecretJanitor, releaseByHand, type SecretIds, type SecretJanitorInput, type SecretJanitorStep } from './decide-secret-janitor.ts';
import { secretInView } from './facts.ts';
import { deleteKeyOrUnassign } from './remote.ts';
import { isProtected } from './secret-builder.ts';
import { resourceGone } from './gather-vanished.ts';
import type { Tally } from './plan.ts';

/** What the janitor needs of an informer: its cache and its events. */
export interface CacheOf<T> {
  get(namespace: string, name: string): T | undefined;
  list(): T[];
  onChange(handler: ChangeHandler<T>): void;
}

export interface SecretJanitorDeps {
  /** The operator's own Secrets (metadata only). */
  secretCache: CacheOf<V1Secret>;
  keyCache: CacheOf<KubernetesObject>;
  /** Live reads of OpsManagerApiKeys (the proof that an owner is gone). */
  keys: Pick<ObjectStore<OpsManagerApiKey>, 'get'>;
  /** Live reads of Secrets (their data, on this rare path only) and the release. */
  secrets: Pick<SecretStore, 'get' | 'removeFinalizer'>;
  connections: Pick<ConnectionPool, 'resolve' | 'projectOf'>;
  events: EventSink;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** Namespaces this operator handles (OMKEYS_NAMESPACES); anything else is never looked at. */
  inScope?: (namespace: string) => boolean;
  queue?: { baseDelayMs?: number; maxDelayMs?: number; jitter?: number; random?: () => number };
  /** Every period the cache is scanned again for protected Secrets whose owner is absent (0: only at start). */
  resyncPeriodMs?: number;
  /**
   * How long after an event a Secret is looked at: a finalizer that ran releases the Secret just
   * before the resource goes, and decide-vanished.ts releases it when the key controller saw the
   * resource go; either release should reach the cache first (default 2 s).
   */
  settleMs?: number;
  /** Told each orphan deleted (omkeys_keys_orphans_swept_total). */
  onCounted?: (tally: Tally) => void;
  /** Shared key lists no longer speak for a key deleted here. */
  noteWritten?: (client: OpsManagerClient, keyId: string) => void;
}

export const SECRET_JANITOR = 'secret-janitor';
/** Each read is asked for at most once: owner, Secret, connection, then a plan. */
const MAX_ROUNDS = 4;

export type JanitorResult = { kind: 'leave'; why: string } | { kind: 'blocked'; why: string } | { kind: 'done'; steps: Array<SecretJanitorStep['kind']> };

/**
 * Releases the Secrets whose resource is gone without having released them (decided in
 * decide-secret-janitor.ts), deleting the key they name. Its own queue: keyed by Secret,
 * fed (after settleMs) by add/update events of protected Secrets whose owner is not in the
 * cache and by the deletion of an OpsManagerApiKey (its Secret), and at once by a scan of the
 * cache at start and every resync. Failures are retried with the queue's per-key backoff.
 */
export class SecretJanitor {
  private readonly log: Logger;
  private queue: WorkQueue | undefined;
  private rescanHandle: unknown;
  /** Per Secret, the keys deleted by an attempt whose release failed since. */
  private readonly deleted = new Map<string, Set<string>>();
  /** Per blocked Secret, the resourceVersion it was logged at: told once, not at every scan. */
  private readonly blocked = new Map<string, string | undefined>();

  constructor(private readonly deps: SecretJanitorDeps) {
    this.log = deps.logger.child({ controller: SECRET_JANITOR });
    if (deps.metrics) initControllerSeries(deps.metrics, SECRET_JANITOR);
    deps.secretCache.onChange((s, kind) => {
      const key = keyOf(s.metadata);
      if (kind === 'delete') {
        this.deleted.delete(key);
        this.blocked.delete(key);
      } else if (this.suspect(s)) this.enqueue(key, deps.settleMs ?? 2_000);
    });
    // A resource gone leaves its Secret; one whose spec.secret.name changed leaves the former one.
    deps.keyCache.onChange((obj, kind, old) => {
      const o = obj as unknown as OpsManagerApiKey;
      const was = old === undefined ? undefined : (old as unknown as OpsManagerApiKey);
      const left = kind === 'delete' ? o : was && secretInView(was) !== secretInView(o) ? was : undefined;
      if (left) this.enqueue(`${left.metadata.namespace ?? ''}/${secretInView(left)}`, deps.settleMs ?? 2_000);
    });
  }

  get running(): boolean {
    return this.queue !== undefined;
  }

  /** Starts the worker and scans the cache (the events before the start were not acted on). */
  start(): void {
    if (this.queue) return;
    const metrics = this.deps.metrics;
    const queue = new WorkQueue({
      clock: this.deps.clock,
      concurrency: 1,
      ...this.deps.queue,
      onMetrics: (e) => {
        if (!metrics) return;
        if (e.type === 'depth') metrics.queueDepth.set({ controller: SECRET_JANITOR }, e.depth);
        else metrics.queueWait.observe({ controller: SECRET_JANITOR }, e.ms / 1000);
      },
    });
    this.queue = queue;
    queue.run((key) => this.process(queue, key));
    this.rescan();
    this.log.info('secret janitor started');
  }

  async stop(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.queue = undefined;
    if (this.rescanHandle !== undefined) this.deps.clock.clearTimeout(this.rescanHandle);
    this.rescanHandle = undefined;
    await queue.shutdown();
  }

  /** Whether a cached Secret is one to look at: protected, its controlling owner not cached (by uid) or reading another Secret. */
  private suspect(s: V1Secret): boolean {
    const owner = this.cachedOwner(s.metadata);
    return isProtected(s.metadata) && controllingOwner(s.metadata) !== undefined && (!owner || secretInView(owner) !== s.metadata?.name);
  }

  private cachedOwner(meta: V1ObjectMeta | undefined): OpsManagerApiKey | undefined {
    const owner = controllingOwner(meta);
    const cached = owner ? this.deps.keyCache.get(meta?.namespace ?? '', owner.name) : undefined;
    return cached && cached.metadata?.uid === owner?.uid ? (cached as unknown as OpsManagerApiKey) : undefined;
  }

  private enqueue(key: string, afterMs = 0): void {
    if (!this.queue || (this.deps.inScope && !this.deps.inScope(splitKey(key).namespace))) return;
    this.queue.addAfter(key, afterMs);
  }

  private rescan(): void {
    for (const s of this.deps.secretCache.list()) if (this.suspect(s)) this.enqueue(keyOf(s.metadata));
    const period = this.deps.resyncPeriodMs ?? 0;
    if (period > 0 && this.queue) this.rescanHandle = this.deps.clock.setTimeout(() => this.rescan(), period);
  }

  private async process(queue: WorkQueue, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const log = this.log.child({ namespace, name });
    const started = this.deps.clock.now();
    let result: 'success' | 'error' = 'success';
    try {
      await this.janitor(key, log);
      queue.forget(key);
    } catch (err) {
      result = 'error';
      this.deps.metrics?.reconcileErrors.inc({ controller: SECRET_JANITOR, code: codeOf(err) });
      queue.addRateLimited(key);
      const failures = queue.failures(key);
      const hint = err instanceof ConnectionError ? { releaseByHand: releaseByHand(this.deps.secretCache.get(namespace, name)?.metadata ?? { namespace, name }) } : {};
      const msg = err instanceof ConnectionError
        ? 'secret janitor: the connection that made the Secret\'s key cannot be resolved; retrying with backoff (to give the key up and release the Secret by hand, run releaseByHand)'
        : 'secret janitor: failed; retrying with backoff';
      log[failures > 5 ? 'error' : 'warn']({ err: summarizeError(err), failures, ...hint }, msg);
    }
    this.deps.metrics?.reconcileTotal.inc({ controller: SECRET_JANITOR, result });
    this.deps.metrics?.reconcileDuration.observe({ controller: SECRET_JANITOR }, (this.deps.clock.now() - started) / 1000);
  }

  /** One look at the Secret `namespace/name`: gathers what the decision asks for, then acts. Throws to be retried. */
  async janitor(key: string, log: Logger = this.log): Promise<JanitorResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.deps.secretCache.get(namespace, name);
    if (!cached) return { kind: 'leave', why: 'the Secret is not in the cache' };
    const owner = this.cachedOwner(cached.metadata);
    const deleted = this.deleted.get(key) ?? new Set<string>();
    const input: SecretJanitorInput = {
      cached,
      ownerCached: owner !== undefined,
      ...(owner ? { ownerSecret: secretInView(owner) } : {}),
      owner: { state: 'unread' },
      live: { state: 'unread' },
      connection: { state: 'unread' },
      tracked: new Set(),
      deleted,
    };
    let conn: Connection | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const d = decideSecretJanitor(input);
      if (d.kind === 'read' && d.read === 'owner') {
        const owner = controllingOwner(cached.metadata) ?? { name: '', uid: '' };
        input.owner = { state: 'read', gone: await resourceGone(this.deps.keys, { metadata: { namespace, name: owner.name, uid: owner.uid } }) };
      } else if (d.kind === 'read' && d.read === 'secret') {
        const live = await this.deps.secrets.get(namespace, name);
        input.live = live ? { state: 'read', metadata: live.metadata ?? {}, data: idsOf(live) } : { state: 'gone' };
        input.tracked = this.tracked();
      } else if (d.kind === 'read') {
        const meta = input.live.state === 'read' ? input.live.metadata : {};
        const ids = input.live.state === 'read' ? input.live.data : {};
        conn = await this.deps.connections.resolve(namespace, connectionRef(meta), { forCleanup: true });
        input.connection = { state: 'read', orgId: ids.orgId ?? (await this.deps.connections.projectOf(conn, ids.projectId ?? '')).orgId };
      } else if (d.kind === 'leave') {
        this.forgetOutcome(key);
        log.debug({ why: d.why }, 'secret janitor: nothing to do');
        return d;
      } else if (d.kind === 'blocked') {
        const meta = input.live.state === 'read' ? input.live.metadata : (cached.metadata ?? {});
        const told = this.blocked.has(key) && this.blocked.get(key) === meta.resourceVersion;
        this.blocked.set(key, meta.resourceVersion);
        log[told ? 'debug' : 'error']({ why: d.why, releaseByHand: releaseByHand(meta) }, 'secret janitor: the Secret of a resource that is gone needs a person; it stays until released by hand');
        return d;
      } else {
        const meta = input.live.state === 'read' ? input.live.metadata : (cached.metadata ?? {});
        for (const step of d.steps) await this.perform(step, meta, conn, deleted, key, log);
        this.forgetOutcome(key);
        return { kind: 'done', steps: d.steps.map((s) => s.kind) };
      }
    }
    throw new Error('internal: the secret janitor reached no decision');
  }

  private async perform(step: SecretJanitorStep, meta: V1ObjectMeta, conn: Connection | undefined, deleted: Set<string>, key: string, log: Logger): Promise<void> {
    const target: EventTarget = { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: meta.namespace ?? '', name: meta.name ?? '', ...(meta.uid ? { uid: meta.uid } : {}) } };
    switch (step.kind) {
      case 'KeyDelete': {
        if (!conn) throw new Error('internal: a key delete without a connection');
        await this.keyDelete(conn, step, target);
        deleted.add(step.keyId);
        this.deleted.set(key, deleted);
        this.deps.onCounted?.({ kind: 'OrphanDeleted' });
        log.warn({ keyId: step.keyId, orgId: step.orgId }, 'secret janitor: deleted the key of a Secret whose resource no longer exists');
        return;
      }
      case 'Event':
        await this.deps.events.record(target, step.type, step.reason, step.message);
        return;
      case 'Release':
        await this.deps.secrets.removeFinalizer({ apiVersion: 'v1', kind: 'Secret', metadata: meta }, SECRET_FINALIZER);
        log.info('secret janitor: released the Secret of a resource that no longer exists');
        return;
    }
  }

  /** As act.ts deletes a key (remote.ts), telling the Secret's namespace. */
  private async keyDelete(conn: Connection, step: Extract<SecretJanitorStep, { kind: 'KeyDelete' }>, target: EventTarget): Promise<void> {
    this.deps.noteWritten?.(conn.client, step.keyId);
    await deleteKeyOrUnassign(conn.client, step, (reason, message) => this.deps.events.record(target, 'Warning', reason, message));
  }

  /** Key ids the cached resources record: never deleted here, whatever Secret names them. */
  private tracked(): Set<string> {
    const ids = new Set<string>();
    for (const obj of this.deps.keyCache.list()) {
      const o = obj as unknown as OpsManagerApiKey;
      for (const id of [o.status?.keyId, o.status?.previousKeyId, o.spec?.adopt?.keyId]) if (id) ids.add(id);
    }
    return ids;
  }

  private forgetOutcome(key: string): void {
    this.deleted.delete(key);
    this.blocked.delete(key);
  }
}

function keyOf(meta: V1ObjectMeta | undefined): string {
  return `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

/** The ids of a live Secret's data, decoded one by one: the pair is never decoded here. */
function idsOf(secret: V1Secret): SecretIds {
  const field = (k: string): string | undefined => {
    const v = secret.data?.[k];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8') || undefined;
  };
  const keyId = field('keyId');
  const orgId = field('orgId');
  const projectId = field('projectId');
  return { ...(keyId ? { keyId } : {}), ...(orgId ? { orgId } : {}), ...(projectId ? { projectId } : {}) };
}
