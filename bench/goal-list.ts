// Every goal `make bench` is judged by, from the results of the phases that ran.
import { Goals } from './lib/goals.ts';
import { IDLE_GOAL_MIB, type IdleResult } from './omkey-idle.ts';
import { LATENCY_GOALS, type LatencyResult } from './omkey-latency.ts';
import { SCALE_GOALS, type ScaleResult } from './omkey-scale.ts';
import type { SteadyResult } from './omkey-steady.ts';
import { THROUGHPUT_GOAL_RATIO, type ThroughputResult } from './omkey-throughput.ts';

export const FLOOR_GOAL_RATIO = 1.3;
export const WRITES_PER_KEY_GOAL = 4;
export const RESYNC_READS_GOAL = 1.05;
export const RUN_GOAL_MIN = 20;

export interface Results {
  idle?: IdleResult;
  latency?: LatencyResult;
  keys?: ThroughputResult;
  /** The same with no injected latency: the floor set by everything but Ops Manager's round trips. */
  keysNoLatency?: ThroughputResult;
  steady?: SteadyResult;
  bindings?: ThroughputResult | { skipped: string };
  scale?: ScaleResult;
}

const r2 = (n: number): number => Math.round(n * 100) / 100;

/** Issue 14's goals first (memory, cold start, work per key, throughput, the run's length), then the older ones. */
export function collectGoals(r: Results, runMs: number, full: { scale: boolean }): Goals {
  const g = new Goals();
  if (r.idle) g.atMost('memory-idle-rss', r.idle.memory.rssMiB, IDLE_GOAL_MIB, 'MiB');
  if (r.scale) {
    const s = r.scale;
    const rss = s.memory.settled.rssMiB;
    const where = s.memory.cgroup ? `in a ${s.memory.cgroup.limitMiB ?? 'unlimited'} MiB memory cgroup` : 'no memory cgroup';
    g.add('memory-rss-at-scale', `${rss} MiB with ${s.keys} keys + ${s.bindings} bindings + ${s.secrets} Secrets, ${s.memory.settleMs / 1000} s after the pass, ${where} (${s.memory.rest.rssMiB} MiB ${s.memory.restMs / 1000} s after)`, `<= ${SCALE_GOALS.rssMiB} MiB`, rss <= SCALE_GOALS.rssMiB);
    g.atMost('cold-start-caches-synced', r2(s.coldStart.syncedMs / 1000), SCALE_GOALS.syncedS, 's');
    g.atMost('cold-start-all-reconciled-once', r2(s.coldStart.reconciledMs / 1000), SCALE_GOALS.reconciledS, 's');
  } else if (full.scale) {
    g.add('cold-start-all-reconciled-once', 'not measured (phase 5 failed)', `<= ${SCALE_GOALS.reconciledS} s`, false);
  }
  if (r.keys) g.atMost('kube-writes-per-new-key-besides-events', r.keys.kube.apiServerWrites, WRITES_PER_KEY_GOAL);
  const resync = r.steady?.windows.find((w) => w.what === 'one periodic resync');
  if (resync) {
    g.atMost('opsmanager-reads-per-key-per-resync', resync.omReadsPerKey, RESYNC_READS_GOAL);
    // Every Secret GET counts: the cached ones and the connection Secrets, which are read live (see bench/README.md).
    const gets = resync.secretGetsHeld + resync.secretGetsNotHeld;
    g.add('live-secret-gets-at-rest', `${gets} (${resync.secretGetsHeld} of Secrets the cache held, ${resync.secretGetsNotHeld} of connection Secrets)`, '0', gets === 0);
  }
  if (r.keys && r.keysNoLatency) {
    g.add('throughput-50ms-vs-floor', `${r2(r.keys.wallMs / r.keysNoLatency.wallMs)}x (${r.keys.wallMs} ms vs ${r.keysNoLatency.wallMs} ms)`, `<= ${FLOOR_GOAL_RATIO}x`, r.keys.wallMs <= FLOOR_GOAL_RATIO * r.keysNoLatency.wallMs);
  }
  g.atMost('full-run-minutes', r2(runMs / 60_000), RUN_GOAL_MIN, 'min');
  if (r.latency) {
    g.atMost('latency-p50', r.latency.p50Ms, LATENCY_GOALS.p50Ms, 'ms');
    g.atMost('latency-p99', r.latency.p99Ms, LATENCY_GOALS.p99Ms, 'ms');
  }
  if (r.keys) g.atMost('throughput-vs-round-trip-limit', r.keys.ratio, THROUGHPUT_GOAL_RATIO);
  if (r.bindings && !('skipped' in r.bindings)) g.atMost('throughput-with-bindings-vs-round-trip-limit', r.bindings.ratio, THROUGHPUT_GOAL_RATIO);
  if (r.steady) {
    const writes = r.steady.windows.reduce((s, w) => s + w.opsManager.nonGet + Object.values(w.kubeWrites).reduce((a, b) => a + b, 0), 0);
    g.add('writes-at-rest', String(writes), '0 (Ops Manager and Kubernetes)', writes === 0);
  }
  return g;
}
