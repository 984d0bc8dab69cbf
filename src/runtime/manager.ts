import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/kube-client.ts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from './clock.ts';
import type { Controller } from './controller.ts';
import { summarizeError } from './errors.ts';
import { startHttpServer } from './http-server.ts';
import type { ManagedInformer } from './informer.ts';
import { LeaderElector, type LeaderElectorOptions } from './leader-election.ts';
import { createMetrics, type Metrics } from './metrics.ts';

/** The Lease and timings; the manager supplies the client, clock and logger. */
export type LeaderElectionConfig = Pick<LeaderElectorOptions, 'namespace' | 'name' | 'identity' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;

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
}

type InformerHandle = Pick<ManagedInformer<KubernetesObject>, 'name' | 'start' | 'stop' | 'hasSynced' | 'waitForSync'>;
type ControllerHandle = Pick<Controller<KubernetesObject>, 'start' | 'stop'>;

/**
 * Owns the process lifecycle: informers start and sync first (so a standby keeps a warm cache
 * and answers /readyz), then the controllers run only while this process holds the Lease.
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

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.log = opts.logger.child({ component: 'manager' });
    this.metrics = opts.metrics ?? createMetrics(opts.registry);
  }

  addInformer<T extends KubernetesObject>(informer: ManagedInformer<T>): void {
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
    while (!this.stopAll.signal.aborted) {
      const elector = new LeaderElector({ kube: this.opts.kube, clock: this.opts.clock, logger: this.log, ...le });
      this.elector = elector;
      await elector.run({
        onStartedLeading: () => {
          if (!this.stopAll.signal.aborted) this.startControllers();
        },
        onStoppedLeading: () => {
          this.controllersStopping = this.stopControllers();
        },
      });
      await this.controllersStopping;
      // Lost the lease without being asked to stop: stand by and campaign again.
    }
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
