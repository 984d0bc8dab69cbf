import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OpsManagerApiKey } from '../../src/api/types.ts';
import { PendingKeyJanitor } from '../../src/controllers/opsmanagerapikey/janitor.ts';
import { LegacySecretFinalizerStripper } from '../../src/controllers/opsmanagerapikey/legacy-secret-finalizer.ts';
import { OpsManagerApiKeyReconciler } from '../../src/controllers/opsmanagerapikey/reconciler.ts';
import { collect } from '../../src/opsmanager/client.ts';
import { BindingIndex } from '../../src/controllers/projectkeybinding/controller.ts';
import { ProjectKeyBindingReconciler } from '../../src/controllers/projectkeybinding/reconciler.ts';
import { ProjectKeysCache } from '../../src/controllers/projectkeybinding/project-keys-cache.ts';
import { dropSecretData } from '../../src/controllers/opsmanagerapikey/secret-facts.ts';
import { ConnectionPool } from '../../src/controllers/shared/connections.ts';
import { DEFAULT_CONNECTION } from '../../src/controllers/shared/connection-catalog.ts';
import { TerminalError, TransientError } from '../../src/runtime/errors.ts';
import type { ManagedInformer } from '../../src/runtime/informer.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import type { HistoryClock } from './history-clock.ts';
import type { FakeKube } from '../support/fake-kube.ts';
import type { RecordingEvents } from '../support/recording-events.ts';
import { simClientMaker, type ConnectionObjects } from './connections.ts';

/** Thrown from the step hook: the operator process dies at that write boundary. */
export class CrashSignal extends Error {
  constructor(readonly point: string) {
    super(`crashed at ${point}`);
    this.name = 'CrashSignal';
  }
}

export interface OperatorEnv {
  kube: FakeKube;
  sim: SimHandle;
  clock: HistoryClock;
  events: RecordingEvents;
  logger: Logger;
  connections: ConnectionObjects;
}

export type RunOutcome =
  | { kind: 'ok' }
  /** What the runtime retries (Transient) or parks until a change (Terminal): normal. */
  | { kind: 'failed'; error: TransientError | TerminalError }
  | { kind: 'crash'; point: string }
  | { kind: 'unexpected'; error: unknown };

/** This cluster's identity (the uid of kube-system), and another cluster's sharing the organization and the namespace names. */
export const CLUSTER = 'cluster-history';
const OTHER_CLUSTER = 'cluster-elsewhere';

/** As src/operator/build.ts derives them from the default 10 min resync period. */
const FRESHNESS_MS = 60_000;
const PROJECT_KEYS_TTL_MS = 5_000;

/**
 * One operator process: both reconcilers wired as src/operator/build.ts wires them, with its
 * own connection pool, binding index and project-key cache (all lost when it dies). Its
 * Kubernetes adapters are fenced the moment it crashes, so it cannot write after its death.
 */
export class OperatorInstance {
  readonly keys: OpsManagerApiKeyReconciler;
  readonly bindings: ProjectKeyBindingReconciler;
  /**
   * This operator's janitor, and two that share its organization and must never touch its
   * keys: an operator in another cluster with the same namespace names (whose API server holds
   * none of these objects), and one in this cluster that handles only a namespace no slot uses.
   * Their minimum age is 0, so that the proof of absence alone is what keeps every live key.
   */
  private readonly janitors: PendingKeyJanitor[];
  /** Takes the Secret finalizer of earlier versions off every Secret (a forged one included); touches no key. */
  private readonly stripper: LegacySecretFinalizerStripper;
  private readonly pool: ConnectionPool;
  private steps = 0;
  private crashAt: number | string | undefined;
  private crashedAt: string | undefined;

  constructor(private readonly env: OperatorEnv) {
    const { kube, sim, clock, events, logger, connections } = env;
    const informer = { onChange: (h: (o: KubernetesObject, kind: 'add' | 'update' | 'delete') => void) => kube.onChange('ProjectKeyBinding', (o, c) => h(o as KubernetesObject, c)) };
    const index = new BindingIndex(informer as unknown as ManagedInformer<KubernetesObject>);
    const secrets = kube.secrets();
    this.pool = new ConnectionPool({
      secrets,
      // The connection objects as the informers hold them; the quota counts the cached keys.
      catalog: connections.catalog(() => kube.cache.keys()),
      // Retries wait on the history's clock (no real time), and a short timeout, so that a history
      // takes milliseconds; a 429's Retry-After holds the connection for history time, as it would.
      clientOptions: { logger, now: () => clock.now(), sleep: (ms) => clock.advance(ms), timeoutMs: 300, maxConcurrency: 4, retry: { maxAttempts: 3 } },
      makeClient: simClientMaker(sim),
      logger,
      now: () => clock.now(),
    });
    const projectKeys = new ProjectKeysCache({ clock, ttlMs: PROJECT_KEYS_TTL_MS });
    const onStep = (_controller: string, point: string): void => this.step(point);
    this.keys = new OpsManagerApiKeyReconciler({
      keys: kube.keys(),
      secrets,
      events,
      // Histories do not use spec.opsManagerConfigMap; allKeys (the rivals of an adoption) lags with the cache.
      cache: { key: kube.cache.key, secret: (ns, name) => cachedSecret(kube.cache.secret(ns, name)), bindingsOf: (ns, name) => index.bindingsOf(ns, name), configMap: () => undefined, allKeys: () => kube.cache.keys() },
      connections: this.pool,
      clock,
      freshnessMs: FRESHNESS_MS,
      cluster: { known: () => CLUSTER, resolve: () => Promise.resolve(CLUSTER) },
      onStep,
      onAssigned: (client, projectId, keyId, roles) => projectKeys.noteAssigned(client, projectId, keyId, roles),
    });
    const janitor = (cluster: string, namespaces: string[], listLive: (ns: string) => readonly OpsManagerApiKey[]): PendingKeyJanitor =>
      new PendingKeyJanitor({ cluster: { known: () => cluster }, namespaces, minAgeMs: 0, listLive: (ns) => Promise.resolve(listLive(ns)), cached: () => kube.cache.keys(), events, clock, logger });
    const live = (ns: string): OpsManagerApiKey[] => kube.list('OpsManagerApiKey', ns) as unknown as OpsManagerApiKey[];
    this.janitors = [janitor(CLUSTER, [], live), janitor(OTHER_CLUSTER, [], () => []), janitor(CLUSTER, ['ns-elsewhere'], live)];
    // Its scan at start runs as the process starts; janitorPass runs one more, as each resync does.
    this.stripper = new LegacySecretFinalizerStripper({
      // Its scans are what the histories exercise: Secret events reach it only through them.
      secretCache: { list: () => (kube.list('Secret') as V1Secret[]).map((x) => dropSecretData(x)), onChange: () => undefined },
      secrets,
      inScope: () => true,
      clock,
      logger,
      periodMs: 0,
    });
    this.stripper.start();
    this.bindings = new ProjectKeyBindingReconciler({
      bindings: kube.bindings(),
      events,
      cache: { binding: kube.cache.binding, key: kube.cache.key, siblings: (obj) => index.siblings(obj) },
      connections: this.pool,
      clock,
      projectKeys,
      onStep,
    });
  }

  /** One reconcile; with `crashAt`, the process dies at its crashAt-th step boundary, or at the first one of that name (if it gets that far). */
  async run(kind: 'key' | 'binding', key: string, crashAt?: number | string): Promise<RunOutcome> {
    this.steps = 0;
    this.crashAt = crashAt;
    try {
      const log = this.env.logger.child({ controller: kind, key });
      await (kind === 'key' ? this.keys.reconcile(key, log) : this.bindings.reconcile(key, log));
      return this.crashedAt ? { kind: 'unexpected', error: new Error(`the crash at ${this.crashedAt} was swallowed: reconcile went on`) } : { kind: 'ok' };
    } catch (err) {
      if (err instanceof CrashSignal) return { kind: 'crash', point: err.point };
      if (this.crashedAt) return { kind: 'unexpected', error: new Error(`the crash at ${this.crashedAt} was swallowed`, { cause: err }) };
      if (err instanceof TransientError && err.message.startsWith('internal:')) return { kind: 'unexpected', error: err };
      if (err instanceof TransientError || err instanceof TerminalError) return { kind: 'failed', error: err };
      return { kind: 'unexpected', error: err };
    } finally {
      this.crashAt = undefined;
    }
  }

  /**
   * What each resync's organization list gives the janitors (key-list-cache.ts): one list, one
   * pass of each. A failing Ops Manager fails the pass, as it would for real; the next one retries.
   */
  async janitorPass(): Promise<void> {
    const { client } = await this.pool.resolve('ns-a', DEFAULT_CONNECTION);
    const orgId = this.env.sim.orgId;
    let keys;
    try {
      keys = await collect(client.listOrgKeys(orgId));
    } catch {
      return;
    }
    for (const j of this.janitors) await j.sweep(client, orgId, keys).catch(() => undefined);
    await this.stripper.scan();
  }

  close(): void {
    void this.stripper.stop();
    this.pool.close();
  }

  private step(point: string): void {
    if (this.crashedAt) throw new CrashSignal(this.crashedAt);
    const n = this.steps++;
    if (this.crashAt === undefined || (typeof this.crashAt === 'number' ? n !== this.crashAt : point !== this.crashAt)) return;
    this.crashedAt = point;
    this.env.kube.fence();
    throw new CrashSignal(point);
  }
}

/** The operator's informer holds a Secret's metadata and facts, not its data (the cache's copy is already a clone). */
function cachedSecret(s: V1Secret | undefined): V1Secret | undefined {
  return s ? dropSecretData(s) : undefined;
}
