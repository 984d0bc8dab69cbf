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
  /** 1 while this process holds the leader Lease. */
  leader: Gauge;
}

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
    leader: new Gauge({
      name: 'omkeys_leader',
      help: '1 while this process holds the leader Lease, else 0.',
      registers,
    }),
  };
}
