import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from './clock.ts';
import type { Controller } from './controller.ts';
import { summarizeError } from './errors.ts';
import { startHttpServer } from './http-server.ts';
import type { Informer } from './informer.ts';
import { LeaderElector, LeadershipLostError, type LeaderElectorOptions } from './leader-election.ts';
import { createMetrics, type Metrics } from './metrics.ts';

/** The Lease and timings (and, in tests, the Lease's client); the manager supplies the kube client, clock and logger. */
export type LeaderElectionConfig = Pick<
  LeaderElectorOptions,
  'namespace' | 'name' | 'identity' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs' | 'leaseClient'
>;

export interface ManagerOptions {
  kube: KubeClient;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Metrics registered on `registry`; created here when not given. */
  metrics?: Metrics;
  leaderElection?: LeaderElectionConfig | false;
  /** Serve /healthz, /readyz, /metrics on this port (0 picks one); no server when undefined. */
  httpPort?: number;
  httpHost?: string;
  /**
   * Aborted, with a LeadershipLostError, the moment this process loses the Lease. Build every
   * client that writes for the controllers with its signal (write-fence.ts: FencedKubeClient,
   * fenceOpsManagerClient, fencedSleep): what is in flight is abandoned and nothing more is sent.
   */
  fence?: AbortController;
  /** How the process ends once the Lease is lost (default process.exit). */
  exit?: (code: number) => void;
}

type InformerHandle = Pick<Informer<KubernetesObject>, 'name' | 'start' | 'stop' | 'hasSynced' | 'waitForSync'>;
type ControllerHandle = Pick<Controller<KubernetesObject>, 'start' | 'stop'>;

/**
 * Owns the process lifecycle: informers start and sync first (so a standby keeps a warm cache
 * and answers /readyz), then the controllers run only while this process holds the Lease.
 * Losing the Lease ends the process (exit 1), as controller-runtime does: the fence is closed
 * first, so no reconcile in flight writes anything more, and the process leads at most once.
 */
export class Manager {
  readonly metrics: Metrics;
  private readonly opts: ManagerOptions;
  private readonly log: Logger;
  private readonly informers: InformerHandle[] = [];
  private readonly controllers: ControllerHandle[] = [];
  private http: { url: string; close(): Promise<void> } | undefined;
  private elector: LeaderElector | undefined;
  private election: Promise<void> | undefined;
  private controllersStopping: Promise<void> = Promise.resolve();
  private readonly stopAll = new AbortController();
  private stopped: Promise<void> | undefined;
  private leading = false;
  private readonly stopHooks: Array<() => void> = [];
  private readonly fence: AbortController;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.fence = opts.fence ?? new AbortController();
    this.log = opts.logger.child({ component: 'manager' });
    this.metrics = opts.metrics ?? createMetrics(opts.registry);
  }

  addInformer<T extends KubernetesObject>(informer: Informer<T>): void {
    this.informers.push(informer);
  }

  /** A Controller, or anything else that runs only while this process leads (the Secret janitor). */
  addController(controller: ControllerHandle): void {
    this.controllers.push(controller);
  }

  /** Run once everything else has stopped (e.g. closing Ops Manager connections). */
  onStop(fn: () => void): void {
    this.stopHooks.push(fn);
  }

  /** URL of the health/metrics server once started. */
  get httpUrl(): string | undefined {
    return this.http?.url;
  }

  isReady(): boolean {
    return !this.stopAll.signal.aborted && this.informers.every((i) => i.hasSynced());
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Resolves once the informers have synced and the election has begun (not once elected). */
  async start(): Promise<void> {
    if (this.opts.httpPort !== undefined) {
      this.http = await startHttpServer({
        port: this.opts.httpPort,
        host: this.opts.httpHost,
        registry: this.opts.registry,
        isReady: () => this.isReady(),
        logger: this.log,
      });
    }
    await Promise.all(this.informers.map((i) => i.start()));
    await Promise.all(this.informers.map((i) => i.waitForSync(this.stopAll.signal)));
    this.log.info({ informers: this.informers.map((i) => i.name) }, 'caches synced');
    if (this.stopAll.signal.aborted) return;
    const le = this.opts.leaderElection;
    if (!le) {
      this.startControllers();
      return;
    }
    this.election = this.campaign(le);
  }

  /** Finishes in-flight reconciles, releases the Lease, stops the informers and the server. */
  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  /**
   * SIGTERM/SIGINT: stop gracefully, then exit 0 (1 if stopping failed). A stop that hangs (the
   * API server going away at the same moment) ends with exit 1 after `graceMs`: crash safety
   * does not depend on a clean stop, and a pod would be killed anyway.
   */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code), graceMs = 20_000): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        this.log.error({ graceMs }, 'graceful stop did not finish in time; exiting');
        exit(1);
      }, graceMs);
      timer.unref();
      this.stop().then(
        () => exit(0),
        (err: unknown) => {
          this.log.error({ err: summarizeError(err) }, 'shutdown failed');
          exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  private async campaign(le: LeaderElectionConfig): Promise<void> {
    const elector = new LeaderElector({ kube: this.opts.kube, clock: this.opts.clock, logger: this.log, ...le });
    this.elector = elector;
    await elector.run({
      onStartedLeading: (signal) => {
        const onAbort = (): void => {
          if (signal.reason instanceof LeadershipLostError) this.lostLease(signal.reason);
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        if (!this.stopAll.signal.aborted) this.startControllers();
      },
      onStoppedLeading: () => {
        this.controllersStopping = this.stopControllers();
      },
    });
    await this.controllersStopping;
  }

  /**
   * Runs inside the abort of the leadership signal, before any other continuation: the fence
   * closes (every write in flight abandoned, none sent after) and the process exits. Waiting for
   * the reconciles to wind down first could outlast the margin between the renew deadline and
   * the lease duration, after which a standby may already lead.
   */
  private lostLease(reason: LeadershipLostError): void {
    this.fence.abort(reason);
    this.leading = false;
    this.metrics.leader.set(0);
    this.log.fatal({ err: summarizeError(reason) }, 'lost the Lease: stopping every reconcile and exiting');
    (this.opts.exit ?? ((code: number) => process.exit(code)))(1);
  }

  private startControllers(): void {
    this.leading = true;
    this.metrics.leader.set(1);
    for (const c of this.controllers) c.start();
  }

  private async stopControllers(): Promise<void> {
    this.leading = false;
    this.metrics.leader.set(0);
    await Promise.all(this.controllers.map((c) => c.stop()));
  }

  private async doStop(): Promise<void> {
    this.stopAll.abort();
    // Controllers first, so nothing reconciles after the Lease is handed over.
    await this.stopControllers();
    if (this.elector) await this.elector.release();
    await this.election;
    await this.controllersStopping;
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.http?.close();
    for (const fn of this.stopHooks) fn();
    this.log.info('manager stopped');
  }
}
