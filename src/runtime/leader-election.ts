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
  /** Called once leadership is won; the signal aborts when it is lost (LeadershipLostError) or given up. */
  onStartedLeading(signal: AbortSignal): Promise<void> | void;
  onStoppedLeading(why: 'lost' | 'stopped'): void;
}

/** The reason of the leadership signal when this process can no longer count on holding the Lease. */
export class LeadershipLostError extends Error {
  readonly code = 'LEADERSHIP_LOST' as const;

  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LeadershipLostError';
  }
}

type Attempt = 'held' | 'failed' | 'taken';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's algorithm: a lease held
 * by someone else counts as expired only once its record has not changed for a whole lease
 * duration measured on our own clock (no trust in other clocks); writes use the
 * resourceVersion, so two candidates never both win.
 *
 * Why a leader stops before anyone else can lead: a standby takes the Lease only after seeing
 * its record unchanged for leaseDuration, counted from when it first read that record; it can
 * only read a renewal once the renewal is written, which is after this process began it. The
 * leader counts its renewDeadline from the *start* of its last successful renewal, and a timer
 * (not the renew loop, which may be waiting on a slow request) declares leadership lost the
 * moment that deadline passes: the signal aborts at once, with no request in between. So the
 * leader has stopped by lastRenewalStart + renewDeadline, and nobody takes over before
 * lastRenewalStart + leaseDuration; the difference (a third of the lease with the operator's
 * settings) is the margin for the process to exit, for timers firing late under load, for the
 * standby's read latency and for the two clocks running at slightly different rates. A Lease
 * read naming another live holder is a loss at once: there is nothing to wait for.
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
    const clock = this.opts.clock;
    let renewedFrom = 0;
    for (;;) {
      if (stop.aborted) return;
      const startedAt = clock.now();
      if ((await this.attempt(stop)) === 'held') {
        renewedFrom = startedAt;
        break;
      }
      await this.pause(this.retryMs * (1 + 0.2 * Math.random()), stop);
    }
    this.leading = true;
    this.log.info('became leader');
    const leadership = new AbortController();
    const lose = (why: string): void => {
      if (leadership.signal.aborted) return;
      this.leading = false;
      const sinceRenewalMs = clock.now() - renewedFrom;
      this.log.error({ renewDeadlineMs: this.renewDeadlineMs, sinceRenewalMs }, `leadership lost: ${why}`);
      leadership.abort(new LeadershipLostError(`lost the Lease ${this.opts.namespace}/${this.opts.name}: ${why}`));
    };
    let deadline: unknown;
    const arm = (from: number): void => {
      clock.clearTimeout(deadline);
      renewedFrom = from;
      const left = this.renewDeadlineMs - (clock.now() - from);
      deadline = clock.setTimeout(() => lose('could not renew it within the renew deadline'), left);
    };
    arm(renewedFrom);
    Promise.resolve()
      .then(() => callbacks.onStartedLeading(leadership.signal))
      .catch((err: unknown) => this.log.error({ err: summarizeError(err) }, 'onStartedLeading failed'));
    const leading = AbortSignal.any([stop, leadership.signal]);
    while (!leading.aborted) {
      await this.pause(this.retryMs, leading);
      if (leading.aborted) break;
      const startedAt = clock.now();
      const outcome = await this.untilAborted(this.attempt(leading), leading);
      if (outcome === 'held') arm(startedAt);
      else if (outcome === 'taken') lose('the Lease names another holder');
    }
    clock.clearTimeout(deadline);
    const lost = leadership.signal.aborted;
    this.leading = false;
    if (!lost) {
      leadership.abort(new Error('stopped leading: asked to stop'));
      if (this.releaseOnStop) await this.releaseLease();
    }
    this.log.info('stopped leading');
    callbacks.onStoppedLeading(lost ? 'lost' : 'stopped');
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    await this.opts.clock.sleep(ms, signal).catch(() => undefined);
  }

  /** The attempt's outcome, or 'failed' as soon as the signal aborts (the attempt is then left to finish unheard). */
  private untilAborted(p: Promise<Attempt>, signal: AbortSignal): Promise<Attempt> {
    if (signal.aborted) return Promise.resolve('failed');
    return new Promise<Attempt>((resolve) => {
      const onAbort = (): void => resolve('failed');
      signal.addEventListener('abort', onAbort, { once: true });
      void p.then((outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(signal.aborted ? 'failed' : outcome);
      });
    });
  }

  /**
   * One try to acquire or renew, never throws: 'held' when the Lease is ours, 'taken' when it
   * names another holder that has not expired, 'failed' on any error (logged). Once `signal`
   * aborts nothing more is written: a renewal after leadership was declared lost would only make
   * the standby wait longer.
   */
  private async attempt(signal: AbortSignal): Promise<Attempt> {
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
        if (signal.aborted) return 'failed';
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: spec(true) } });
        return 'held';
      }
      const current = lease.spec ?? {};
      const holder = current.holderIdentity ?? '';
      const record = JSON.stringify([holder, current.renewTime, current.leaseDurationSeconds, lease.metadata?.resourceVersion]);
      if (record !== this.observedRecord) {
        this.observedRecord = record;
        this.observedAt = now;
      }
      const expired = this.observedAt + (current.leaseDurationSeconds ?? 0) * 1000 <= now;
      if (holder !== '' && holder !== identity && !expired) return 'taken';
      if (signal.aborted) return 'failed';
      const body: V1Lease = { metadata: lease.metadata, spec: spec(holder !== identity || !this.leading, current) };
      await this.api.replaceNamespacedLease({ name, namespace, body });
      return 'held';
    } catch (err) {
      const status = statusOf(err);
      if (status !== 409) this.log.warn({ err: summarizeError(err), status }, 'lease acquire/renew failed');
      return 'failed';
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
