import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { OPS_MANAGER_API_KEY_KIND, OPS_MANAGER_API_KEY_PLURAL, PROJECT_KEY_BINDING_KIND, PROJECT_KEY_BINDING_PLURAL } from '../api/types.ts';
import { ConnectionPool } from '../controllers/shared/connections.ts';
import { KeyListCache } from '../controllers/shared/key-list-cache.ts';
import { ClusterIdentity } from '../controllers/shared/cluster-identity.ts';
import { PendingKeyJanitor } from '../controllers/opsmanagerapikey/janitor.ts';
import { LegacySecretFinalizerStripper } from '../controllers/opsmanagerapikey/legacy-secret-finalizer.ts';
import { createKeyController } from '../controllers/opsmanagerapikey/controller.ts';
import type { EventSink } from '../controllers/shared/ports.ts';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../api/types.ts';
import { createBindingController } from '../controllers/projectkeybinding/controller.ts';
import { ProjectKeysCache } from '../controllers/projectkeybinding/project-keys-cache.ts';
import { CustomObjects } from '../kube/custom-objects.ts';
import { OpsManagerClient } from '../opsmanager/client.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { configMapsOf, secretsOf } from '../kube/core-objects.ts';
import type { Clock } from '../runtime/clock.ts';
import { EventRecorder } from '../runtime/events.ts';
import { Manager } from '../runtime/manager.ts';
import { createMetrics } from '../runtime/metrics.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import { ReconcileDeadline } from '../runtime/reconcile-deadline.ts';
import { StringInterner } from '../runtime/intern.ts';
import { fencedSleep, fenceOpsManagerClient } from '../runtime/write-fence.ts';
import type { OperatorConfig } from './config.ts';
import { customResourceInformer } from './informers.ts';
import { connectionControllers, connectionInformers, reconcileOnPolicyChange } from './connection-wiring.ts';
import { countTally, watchKeyMetrics } from './key-metrics.ts';
import { managedConfigMapInformer, managedSecretInformer } from '../runtime/managed-informers.ts';
import { countKubeRequests } from '../runtime/kube-requests.ts';
import { connectionSecretInformers } from '../runtime/connection-secret-informer.ts';
import { dropSecretData } from '../controllers/opsmanagerapikey/secret-facts.ts';

export interface Operator {
  manager: Manager;
}

/**
 * Wires informers, controllers and the manager from the configuration. `fence` is closed when
 * the Lease is lost; `kube` should be a FencedKubeClient on its signal (runtime/write-fence.ts).
 */
export function buildOperator(opts: {
  config: OperatorConfig;
  kube: KubeClient;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  version: string;
  fence?: AbortController;
}): Operator {
  const { config, kube, clock, logger, registry } = opts;
  const fence = opts.fence ?? new AbortController();
  const metrics = createMetrics(registry);
  // Named namespaces are watched each through its own paths (Roles there suffice: a namespaced
  // install holds no cluster-wide right on a namespaced kind); none named is one cluster-wide watch.
  const ns = config.namespaces;
  // One table of shared texts for every cache (runtime/intern.ts): ids, names and condition texts recur across kinds.
  const strings = new StringInterner();
  const keyInformer = customResourceInformer(kube, OPS_MANAGER_API_KEY_PLURAL, ns, clock, logger, strings);
  const bindingInformer = customResourceInformer(kube, PROJECT_KEY_BINDING_PLURAL, ns, clock, logger, strings);
  // Metadata and facts only: no private key is held in the cache (opsmanagerapikey/secret-facts.ts).
  const secretInformer = managedSecretInformer({ kube, namespaces: ns, clock, logger, transform: dropSecretData, strings });
  const configMapInformer = managedConfigMapInformer({ kube, namespaces: ns, clock, logger, strings });
  const conns = connectionInformers({ kube, namespaces: ns, clock, logger, strings, keys: keyInformer });
  // A GET of an object one of these caches held is a read the cache might have served (omkeys_kube_requests_total).
  const caches: Record<string, { get(namespace: string, name: string): unknown }> = {
    [OPS_MANAGER_API_KEY_PLURAL]: keyInformer,
    [PROJECT_KEY_BINDING_PLURAL]: bindingInformer,
    secrets: secretInformer,
    configmaps: configMapInformer,
  };
  countKubeRequests(kube, metrics.kubeRequests, (resource, namespace, name) => caches[resource]?.get(namespace, name) !== undefined);
  const recorder = new EventRecorder({ kube, component: 'omkeys', clock, logger });
  const events: EventSink = { record: (obj, type, reason, message) => recorder.record(obj, type, reason, message) };
  const keyWrites = new OwnWrites();
  const bindingWrites = new OwnWrites();
  const secrets = secretsOf(kube, (s) => keyWrites.record(s, 'Secret'));
  const configMaps = configMapsOf(kube, (c) => keyWrites.record(c, 'ConfigMap'));
  const deadline = new ReconcileDeadline(clock, config.reconcileTimeoutMs);
  const connections = new ConnectionPool({
    secrets,
    catalog: conns.catalog,
    namespacedHosts: config.namespacedConnectionHosts,
    // A quarter of the workers, and a second's wait for one of them: a tenant's slow or hostile
    // server holds at most that while every other namespace's keys go on.
    namespacedShare: { maxConcurrency: Math.max(1, Math.floor(Math.min(config.concurrency, config.opsManager.maxConcurrency) / 4)), maxSlotWaitMs: 1000 },
    logger,
    clock,
    // A watch per connection Secret in use: no live GETs at rest, a rotation seen at once.
    secretWatch: connectionSecretInformers({ kube, clock, logger }),
    secretWatchIdleMs: 2 * config.resyncPeriodMs + 60_000,
    clientOptions: {
      logger,
      version: opts.version,
      timeoutMs: config.opsManager.timeoutMs,
      maxConcurrency: config.opsManager.maxConcurrency,
      reconcileDeadline: deadline,
      ...(config.opsManager.maxRequestsPerSecond > 0 ? { maxRequestsPerSecond: config.opsManager.maxRequestsPerSecond } : {}),
      onRequest: ({ route, method, status, seconds }) => {
        metrics.omRequests.inc({ route, method, status: String(status) });
        metrics.omRequestDuration.observe({ route, method }, seconds);
      },
      // A call waiting to retry when the Lease is lost fails instead of sending again.
      sleep: fencedSleep((ms, signal) => clock.sleep(ms, signal), fence.signal),
    },
    makeClient: (o) => fenceOpsManagerClient(new OpsManagerClient(o), fence.signal),
  });
  // Failures mostly mean Ops Manager said no or is away: start backoff at 250 ms, not at once.
  const runtime = { clock, logger, metrics, queue: { baseDelayMs: 250, maxDelayMs: 300_000 }, deadline };
  // The informers hold only the watched namespaces; this also keeps out a key some mapping names elsewhere.
  const watched = new Set(config.namespaces);
  const inScope = (namespace: string): boolean => watched.size === 0 || watched.has(namespace);
  watchKeyMetrics({ informer: keyInformer, metrics, inScope });
  const failpoints = new Set(config.failpoints);
  const onStep = failpoints.size === 0 ? undefined : (_controller: string, point: string): void => {
    if (!failpoints.has(point)) return;
    logger.warn({ failpoint: point }, 'failpoint hit: killing the process');
    process.kill(process.pid, 'SIGKILL');
  };
  // One list per organization (500 keys a page) serves a resync pass of its keys.
  // The cluster's identity goes into every new key's pending tag; the janitor reads each
  // organization list for tagged keys of resources that are gone (opsmanagerapikey/janitor.ts).
  const cluster = new ClusterIdentity({ read: () => kube.request<{ metadata?: { uid?: string } }>({ path: '/api/v1/namespaces/kube-system' }), logger });
  const liveKeys = new CustomObjects<OpsManagerApiKey>(kube, OPS_MANAGER_API_KEY_PLURAL);
  const janitor = new PendingKeyJanitor({
    cluster,
    namespaces: config.namespaces,
    // Seen tagged across at least one resync, capped at 5 minutes: a create in flight is never judged.
    minAgeMs: Math.min(config.resyncPeriodMs, 300_000),
    listLive: (namespace) => liveKeys.list(namespace),
    cached: () => keyInformer.list() as unknown as OpsManagerApiKey[],
    events,
    clock,
    logger,
    onCounted: (tally) => countTally(metrics, tally),
    noteWritten: (client, keyId) => keyLists.noteWritten(client, keyId),
  });
  const keyLists: KeyListCache = new KeyListCache({ clock, ttlMs: Math.min(30_000, config.resyncPeriodMs / 2), onOrgList: (client, orgId, keys) => janitor.observe(client, orgId, keys.values()) });
  // One list per project per resync (and per 30 s while bindings are being created: their
  // project lists were read once per binding at 5 s): long enough for a pass, short enough
  // that hand edits show at the next one. Own writes are applied to the cached answer. An
  // organization key's bindings read its organization's list instead when it is one page or
  // held: at a resync, the one the key controller reads anyway.
  const projectKeysTtlMs = Math.min(30_000, config.resyncPeriodMs / 2);
  const projectKeys = new ProjectKeysCache({ clock, ttlMs: projectKeysTtlMs, orgLists: keyLists });
  const bindings = createBindingController({
    bindings: bindingInformer,
    keys: keyInformer,
    deps: {
      bindings: new CustomObjects<ProjectKeyBinding>(kube, PROJECT_KEY_BINDING_PLURAL, (b, replaced) => bindingWrites.record(b, PROJECT_KEY_BINDING_KIND, replaced)),
      cacheBehind: (b) => bindingWrites.isSuperseded(b, PROJECT_KEY_BINDING_KIND),
      connections,
      events,
      clock,
      projectKeys,
    },
    inScope,
    ownWrites: bindingWrites,
    runtime,
    concurrency: config.concurrency,
    resyncPeriodMs: config.resyncPeriodMs,
  });
  const { controller } = createKeyController({
    keys: keyInformer,
    secrets: secretInformer,
    configMaps: configMapInformer,
    bindingsOf: (namespace, keyName) => bindings.index.bindingsOf(namespace, keyName),
    bindings: bindingInformer,
    deps: {
      keys: new CustomObjects<OpsManagerApiKey>(kube, OPS_MANAGER_API_KEY_PLURAL, (k) => keyWrites.record(k, OPS_MANAGER_API_KEY_KIND)),
      secrets,
      configMaps,
      connections,
      events,
      clock,
      freshnessMs: Math.min(60_000, config.resyncPeriodMs / 2),
      keyLists,
      cluster,
      onAssigned: (client, projectId, keyId, roles) =>
        roles.length > 0 ? projectKeys.noteAssigned(client, projectId, keyId, roles) : projectKeys.noteUnassigned(client, projectId, keyId),
      onCounted: (tally) => countTally(metrics, tally),
      ...(onStep ? { onStep } : {}),
    },
    inScope,
    ownWrites: keyWrites,
    runtime,
    concurrency: config.concurrency,
    resyncPeriodMs: config.resyncPeriodMs,
  });
  // Secrets an earlier version protected with its finalizer, whatever their resource's state.
  const legacyFinalizers = new LegacySecretFinalizerStripper({
    secretCache: secretInformer,
    secrets: secretsOf(kube),
    inScope,
    clock,
    logger,
    periodMs: config.resyncPeriodMs,
  });

  const manager = new Manager({
    kube,
    clock,
    logger,
    registry,
    metrics,
    leaderElection: config.leaderElection,
    fence,
    httpPort: config.http.port,
    httpHost: config.http.host,
  });
  manager.addInformer(keyInformer);
  manager.addInformer(secretInformer);
  manager.addInformer(configMapInformer);
  manager.addInformer(bindingInformer);
  manager.addController(controller);
  manager.addController(bindings.controller);
  manager.addController(legacyFinalizers);
  for (const informer of [conns.cluster, conns.namespaced, conns.namespaces]) manager.addInformer(informer);
  for (const c of connectionControllers({ c: conns, kube, connections, clock, runtime, inScope, resyncPeriodMs: config.resyncPeriodMs })) manager.addController(c);
  reconcileOnPolicyChange(conns, [controller, bindings.controller], [keyInformer, bindingInformer]);
  manager.onStop(() => connections.close());
  return { manager };
}
