import { apiServerBetween, scrapeApiServer, type ApiServerCalls, type ApiServerSnapshot } from './apiserver.ts';
import type { BenchEnv } from './bench-env.ts';
import { cpuBetween, cpuSnapshot, type CpuSnapshot, type CpuUsage } from './cpu.ts';
import { kubeCallsBetween, type KubeCalls } from './kube-calls.ts';
import { profileBetween, scrapeMetrics, type MetricsSnapshot, type OperatorProfile } from './measure.ts';

/** Where a phase's time went: the operator's metrics, the API server's, and CPU per process. */
export interface PhaseProfile {
  operator: OperatorProfile;
  apiServer: ApiServerCalls;
  /** The operator's own count of its Kubernetes requests (omkeys_kube_requests_total). */
  kube: KubeCalls;
  cpu: CpuUsage;
  /**
   * How often the operator took the Lease again after losing it (its log's `became leader`,
   * less the start of a new process): each time its controllers stopped and then reconciled
   * what they missed. On a loaded API server a renewal can miss its deadline.
   */
  leaseRegained: number;
}

export class Probe {
  private constructor(
    private readonly b: BenchEnv,
    private readonly metrics: MetricsSnapshot,
    private readonly api: ApiServerSnapshot,
    private readonly cpu: CpuSnapshot,
    private readonly logOffset: number,
  ) {}

  static async start(b: BenchEnv): Promise<Probe> {
    const [metrics, api] = await Promise.all([scrapeMetrics(b.op.httpUrl), scrapeApiServer(b.plane)]);
    return new Probe(b, metrics, api, cpuSnapshot(b.pids()), b.op.logText().length);
  }

  /** `operatorRestarted`: the operator is a new process since start(), so its counters start from zero. */
  async finish(operatorRestarted = false): Promise<PhaseProfile> {
    const cpu = cpuBetween(this.cpu, cpuSnapshot(this.b.pids()), operatorRestarted ? ['operator'] : []);
    const [metrics, api] = await Promise.all([scrapeMetrics(this.b.op.httpUrl), scrapeApiServer(this.b.plane)]);
    const before = operatorRestarted ? new Map<string, number>() : this.metrics;
    const led = this.b.op.logText().slice(this.logOffset).split('\n').filter((l) => l.includes('"msg":"became leader"')).length;
    const leaseRegained = Math.max(0, led - (operatorRestarted ? 1 : 0));
    return { operator: profileBetween(before, metrics), apiServer: apiServerBetween(this.api, api), kube: kubeCallsBetween(before, metrics), cpu, leaseRegained };
  }
}
