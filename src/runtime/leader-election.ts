import type { CoordinationV1Api, V1Lease, V1LeaseSpec } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/kube-client.ts';
import { MicroTime } from '../kube/micro-time.ts';
import type { Clock } from './clock.ts';
import { statusOf, summarizeError } from './errors.ts';

export type LeaseClient = Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;

/** coordination.k8s.io/v1 Leases through `kube`. */
export function leaseClient(kube: KubeClient): LeaseClient {
  const path = (namespace: string, name?: string): string =>
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  return {
    readNamespacedLease: ({ namespace, name }) => kube.request<V1Lease>({ path: path(namespace, name), urgent: true }),
    createNamespacedLease: ({ namespace, body }) => kube.request<V1Lease>({ method: 'POST', path: path(namespace), body, urgent: true }),
    replaceNamespacedLease: ({ namespace, name, body }) => kube.request<V1Lease>({ method: 'PUT', path: path(namespace, name), body, urgent: true }),
  };
}

export interface LeaderElectorOptions {
  kube: KubeClient;
  namespace: string;
  name: string;
  /** Unique per process (e.g. pod name + random suffix). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock: Clock;
  logger: Logger;
  leaseClient?: LeaseClient;
}

export interface LeaderCallbacks {
  /** Called once leadership is won; the signal aborts when it is lost or given up. */
  onStartedLeading(signal: AbortSignal): Promise<void> | void;
  onStoppedLeading(): void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's algorithm: a lease held
 * by someone else counts as expired only once its record has not changed for a whole lease
 * duration measured on our own clock (no trust in other clocks); writes use the
 * resourceVersion, so two candidates never both win.
 */
export class LeaderElector {
  private readonly opts: LeaderElectorOptions;
  private readonly api: LeaseClient;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private leading = false;
  private stopping = new AbortController();
  private releaseOnStop = true;
  private observedRecord = '';
  private observedAt = 0;
  private runDone: Promise<void> | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.api = opts.leaseClient ?? leaseClient(opts.kube);
    this.leaseMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.leaseMs > this.renewDeadlineMs && this.renewDeadlineMs > this.retryMs)) {
      throw new RangeError('leader election needs leaseDuration > renewDeadline > retryPeriod');
    }
    this.log = opts.logger.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns until elected, leads until the lease is lost or stop()/release() is called. */
  run(callbacks: LeaderCallbacks): Promise<void> {
    if (this.runDone) throw new Error('LeaderElector.run called twice');
    this.runDone = this.campaign(callbacks);
    return this.runDone;
  }

  /** Gives the lease up so that a standby takes over at once, and ends run(). */
  release(): Promise<void> {
    return this.stop({ release: true });
  }

  /** Ends run(); with release: false the lease is left to expire (what a crash looks like). */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.releaseOnStop = opts.release ?? true;
    this.stopping.abort();
    await this.runDone;
  }

  private async campaign(callbacks: LeaderCallbacks): Promise<void> {
    const stop = this.stopping.signal;
    while (!stop.aborted && !(await this.attempt())) {
      await this.pause(this.retryMs * (1 + 0.2 * Math.random()));
    }
    if (stop.aborted) return;
    this.leading = true;
    this.log.info('became leader');
    const leadership = new AbortController();
    Promise.resolve()
      .then(() => callbacks.onStartedLeading(leadership.signal))
      .catch((err: unknown) => this.log.error({ err: summarizeError(err) }, 'onStartedLeading failed'));
    let lastRenew = this.opts.clock.now();
    while (!stop.aborted) {
      await this.pause(this.retryMs);
      if (stop.aborted) break;
      const left = this.renewDeadlineMs - (this.opts.clock.now() - lastRenew);
      if (await this.withTimeout(this.attempt(), left)) {
        lastRenew = this.opts.clock.now();
      } else if (this.opts.clock.now() - lastRenew >= this.renewDeadlineMs) {
        this.log.warn('could not renew the lease within the renew deadline; stepping down');
        break;
      }
    }
    this.leading = false;
    leadership.abort();
    if (stop.aborted && this.releaseOnStop) await this.releaseLease();
    this.log.info('stopped leading');
    callbacks.onStoppedLeading();
  }

  private async pause(ms: number): Promise<void> {
    await this.opts.clock.sleep(ms, this.stopping.signal).catch(() => undefined);
  }

  private withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const handle = this.opts.clock.setTimeout(() => resolve(false), ms);
      void p.then((ok) => {
        this.opts.clock.clearTimeout(handle);
        resolve(ok);
      });
    });
  }

  /** One try to acquire or renew; false on any failure (logged), never throws. */
  private async attempt(): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const now = this.opts.clock.now();
    const spec = (acquire: boolean, old?: V1LeaseSpec): V1LeaseSpec => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: acquire ? new MicroTime(now) : old?.acquireTime,
      renewTime: new MicroTime(now),
      leaseTransitions: (old?.leaseTransitions ?? 0) + (acquire && old ? 1 : 0),
    });
    try {
      let lease: V1Lease;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: spec(true) } });
        return true;
      }
      const current = lease.spec ?? {};
      const holder = current.holderIdentity ?? '';
      const record = JSON.stringify([holder, current.renewTime, current.leaseDurationSeconds, lease.metadata?.resourceVersion]);
      if (record !== this.observedRecord) {
        this.observedRecord = record;
        this.observedAt = now;
      }
      const expired = this.observedAt + (current.leaseDurationSeconds ?? 0) * 1000 <= now;
      if (holder !== '' && holder !== identity && !expired) return false;
      const body: V1Lease = { metadata: lease.metadata, spec: spec(holder !== identity || !this.leading, current) };
      await this.api.replaceNamespacedLease({ name, namespace, body });
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status !== 409) this.log.warn({ err: summarizeError(err), status }, 'lease acquire/renew failed');
      return false;
    }
  }

  private async releaseLease(): Promise<void> {
    const { namespace, name, identity } = this.opts;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== identity) return;
      const now = new MicroTime(this.opts.clock.now());
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          metadata: lease.metadata,
          spec: { leaseDurationSeconds: 1, renewTime: now, acquireTime: now, leaseTransitions: lease.spec.leaseTransitions },
        },
      });
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ err: summarizeError(err) }, 'could not release the lease; a standby takes over when it expires');
    }
  }
}
