import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface Metrics {
  /** Reconciles finished, by controller and result (success | requeue | error | terminal). */
  reconcileTotal: Counter<'controller' | 'result'>;
  /** Failed reconciles, by controller and error code (TRANSIENT, TERMINAL or the error's own code). */
  reconcileErrors: Counter<'controller' | 'code'>;
  reconcileDuration: Histogram<'controller'>;
  queueDepth: Gauge<'controller'>;
  queueWait: Histogram<'controller'>;
  /** Ops Manager calls by templated route, method and status ('error' when no response came). */
  omRequests: Counter<'route' | 'method' | 'status'>;
  omRequestDuration: Histogram<'route' | 'method'>;
  /** Kubernetes API requests (watches aside) by verb and resource; in_cache on a GET: whether the informer held the object. */
  kubeRequests: Counter<'verb' | 'resource' | 'in_cache'>;
  /** 1 while this process holds the leader Lease. */
  leader: Gauge;
  /** Per OpsManagerApiKey (labels namespace, name only: bounded by the resources), from the informer cache. */
  keyReady: Gauge<'namespace' | 'name'>;
  /** 1 while the key's Stalled condition is True; no series otherwise. */
  keyStalled: Gauge<'namespace' | 'name'>;
  keyCreatedTime: Gauge<'namespace' | 'name'>;
  keyNextRotationTime: Gauge<'namespace' | 'name'>;
  keyGraceRevokeTime: Gauge<'namespace' | 'name'>;
  /** Keys minted for a resource that had none, counted once their pair is in the Secret. */
  keysCreated: Counter;
  /** Keys minted to replace a resource's key, by why (REPLACE_REASONS). */
  keysReplaced: Counter<'reason'>;
  /** Keys of interrupted creates deleted from Ops Manager. */
  orphansSwept: Counter;
}

/** The results a reconcile ends with (see Controller.process). */
const RECONCILE_RESULTS = ['success', 'requeue', 'error', 'terminal'] as const;
/** The error codes every reconcile failure maps to in practice (TransientError, TerminalError). */
const ERROR_CODES = ['TRANSIENT', 'TERMINAL'] as const;
/** Values of omkeys_keys_replaced_total's reason label; all exported from the start, at 0. */
export const REPLACE_REASONS = ['secret_lost', 'pair_edited', 'deleted_in_opsmanager', 'rotation', 'on_demand'] as const;
export type ReplaceReason = (typeof REPLACE_REASONS)[number];

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(registry: Registry): Metrics {
  const registers = [registry];
  return {
    reconcileTotal: new Counter({
      name: 'omkeys_reconcile_total',
      help: 'Reconciles finished, by controller and result.',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'omkeys_reconcile_errors_total',
      help: 'Reconciles that failed, by controller and error code.',
      labelNames: ['controller', 'code'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'omkeys_reconcile_duration_seconds',
      help: 'Time spent in one reconcile.',
      labelNames: ['controller'],
      buckets: latencyBuckets,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'omkeys_workqueue_depth',
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers,
    }),
    queueWait: new Histogram({
      name: 'omkeys_workqueue_wait_seconds',
      help: 'Time a key waited in the queue before a worker took it.',
      labelNames: ['controller'],
      buckets: [0.001, ...latencyBuckets, 60, 300],
      registers,
    }),
    omRequests: new Counter({
      name: 'omkeys_opsmanager_requests_total',
      help: 'Requests to the Ops Manager API, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    omRequestDuration: new Histogram({
      name: 'omkeys_opsmanager_request_duration_seconds',
      help: 'Latency of Ops Manager API requests.',
      labelNames: ['route', 'method'],
      buckets: latencyBuckets,
      registers,
    }),
    kubeRequests: new Counter({
      name: 'omkeys_kube_requests_total',
      help: 'Requests to the Kubernetes API (watches aside), by verb and resource; in_cache on a get: whether the informer cache held the object.',
      labelNames: ['verb', 'resource', 'in_cache'],
      registers,
    }),
    leader: new Gauge({
      name: 'omkeys_leader',
      help: '1 while this process holds the leader Lease, else 0.',
      registers,
    }),
    ...keySeries(registers),
  };
}

function keySeries(registers: Registry[]): Pick<Metrics, 'keyReady' | 'keyStalled' | 'keyCreatedTime' | 'keyNextRotationTime' | 'keyGraceRevokeTime' | 'keysCreated' | 'keysReplaced' | 'orphansSwept'> {
  const perKey = (name: string, help: string): Gauge<'namespace' | 'name'> => new Gauge({ name, help, labelNames: ['namespace', 'name'], registers });
  const keysReplaced = new Counter({
    name: 'omkeys_keys_replaced_total',
    help: 'Keys minted to replace a resource\'s key (counted once the new pair is in the Secret), by reason.',
    labelNames: ['reason'],
    registers,
  });
  // Every reason from the start, so that rate() and increase() see a 0 before the first one.
  for (const reason of REPLACE_REASONS) keysReplaced.inc({ reason }, 0);
  return {
    keyReady: perKey('omkeys_key_ready', '1 while the OpsManagerApiKey\'s Ready condition is True, else 0.'),
    keyStalled: perKey('omkeys_key_stalled', '1 while the OpsManagerApiKey\'s Stalled condition is True (only a person gets it further); absent otherwise.'),
    keyCreatedTime: perKey('omkeys_key_created_timestamp_seconds', 'When the key now in the Secret was created (status.rotatedAt), in Unix seconds.'),
    keyNextRotationTime: perKey('omkeys_key_next_rotation_timestamp_seconds', 'When the key is next rotated (status.nextRotationAt), in Unix seconds; absent without a rotation schedule.'),
    keyGraceRevokeTime: perKey('omkeys_key_grace_revoke_timestamp_seconds', 'When the previous key, kept for its grace period, is deleted (status.previousKeyRevokeAt), in Unix seconds; absent without one.'),
    keysCreated: new Counter({
      name: 'omkeys_keys_created_total',
      help: 'Keys minted for resources that had none, counted once the pair is in the Secret.',
      registers,
    }),
    keysReplaced,
    orphansSwept: new Counter({
      name: 'omkeys_keys_orphans_swept_total',
      help: 'Keys of interrupted creates (never published in a Secret) deleted from Ops Manager.',
      registers,
    }),
  };
}

/**
 * A controller's series at zero from the moment it exists, as controller-runtime does: a
 * dashboard or an alert on rate() then sees 0, not "no data", until the first reconcile.
 */
export function initControllerSeries(metrics: Metrics, controller: string): void {
  for (const result of RECONCILE_RESULTS) metrics.reconcileTotal.inc({ controller, result }, 0);
  for (const code of ERROR_CODES) metrics.reconcileErrors.inc({ controller, code }, 0);
  metrics.queueDepth.set({ controller }, 0);
  metrics.reconcileDuration.zero({ controller });
  metrics.queueWait.zero({ controller });
}
