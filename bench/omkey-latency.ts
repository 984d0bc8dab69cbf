// Phase 1 of `make bench`: apply -> Secret-ready latency, one key at a time, no injected latency.
import type { BenchEnv } from './lib/bench-env.ts';
import { stepTimeline, type Timeline } from './lib/timeline.ts';
import { percentile, round, sleep, summarizeSim, type SimCallSummary } from './lib/measure.ts';
import { Probe, type PhaseProfile } from './lib/probe.ts';

export const LATENCY_GOALS = { p50Ms: 40, p99Ms: 150 };

export interface LatencyResult {
  keys: number;
  warmup: number;
  spacingMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** The create call alone (the API server's share of each sample). */
  createCallP50Ms: number;
  samplesMs: number[];
  /** Median arrival of each write the watches saw for one key, ms after its create call started. */
  timeline: Timeline;
  pass: boolean;
  sim: SimCallSummary;
  profile: PhaseProfile;
}

/**
 * Creates `keys` org keys through the operator's default connection, each only after the one
 * before is done, so that the figure is latency and not queueing. A sample runs from the start
 * of the create call to the moment the watches have shown both the Secret with a keyId and
 * Ready=True at the resource's generation. `warmup` keys first (first Digest challenge,
 * connection set-up, JIT) are not counted.
 */
export async function runLatency(b: BenchEnv, opts: { keys: number; warmup: number; spacingMs: number; log: (s: string) => void }): Promise<LatencyResult> {
  const namespace = 'bench-latency';
  await b.kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  b.sim.faults.clear();
  const samples: number[] = [];
  const createCalls: number[] = [];
  const spans: Array<{ key: string; t0: number; ready: number }> = [];
  let probe = await Probe.start(b);
  for (let i = 0; i < opts.warmup + opts.keys; i++) {
    if (i === opts.warmup) {
      b.sim.stats.reset();
      probe = await Probe.start(b);
    }
    const name = `lat-${i}`;
    const t0 = performance.now();
    await b.kube.createKey(namespace, name, { orgId: b.sim.orgId, roles: ['ORG_READ_ONLY'] });
    const created = performance.now();
    const ready = await b.tracker.whenKeyReady(`${namespace}/${name}`, 60_000);
    if (i >= opts.warmup) {
      samples.push(ready - t0);
      createCalls.push(created - t0);
      spans.push({ key: `${namespace}/${name}`, t0, ready });
    }
    if ((i + 1) % 25 === 0) opts.log(`  latency: ${i + 1}/${opts.warmup + opts.keys} keys`);
    await sleep(opts.spacingMs);
  }
  const profile = await probe.finish();
  const sorted = [...samples].sort((x, y) => x - y);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  return {
    keys: opts.keys,
    warmup: opts.warmup,
    spacingMs: opts.spacingMs,
    p50Ms: round(p50),
    p99Ms: round(p99),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
    meanMs: round(samples.reduce((s, x) => s + x, 0) / Math.max(1, samples.length)),
    createCallP50Ms: round(percentile([...createCalls].sort((x, y) => x - y), 50)),
    samplesMs: samples.map((s) => round(s)),
    timeline: stepTimeline(b.tracker.events, spans),
    pass: p50 <= LATENCY_GOALS.p50Ms && p99 <= LATENCY_GOALS.p99Ms,
    sim: summarizeSim(b.sim.stats.list()),
    profile,
  };
}
