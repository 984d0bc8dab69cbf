// Phase 1 of `make bench`: apply -> Secret-ready latency, one key at a time, no injected latency.
import type { BenchEnv } from './lib/bench-env.ts';
import { percentile, profileBetween, round, scrapeMetrics, sleep, summarizeSim, type OperatorProfile, type SimCallSummary } from './lib/measure.ts';

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
  timeline: Array<{ step: string; medianMs: number; keys: number }>;
  pass: boolean;
  sim: SimCallSummary;
  profile: OperatorProfile;
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
  let before = await scrapeMetrics(b.op.httpUrl);
  for (let i = 0; i < opts.warmup + opts.keys; i++) {
    if (i === opts.warmup) {
      b.sim.stats.reset();
      before = await scrapeMetrics(b.op.httpUrl);
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
  const profile = profileBetween(before, await scrapeMetrics(b.op.httpUrl));
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
    timeline: timeline(b, spans),
    pass: p50 <= LATENCY_GOALS.p50Ms && p99 <= LATENCY_GOALS.p99Ms,
    sim: summarizeSim(b.sim.stats.list()),
    profile,
  };
}

/**
 * Where one key's time goes, seen from outside: each write of the key, its Secret and its
 * Events, in arrival order (the n-th write of a kind is one step), as the median offset
 * from the create call's start, up to the moment it was usable.
 */
function timeline(b: BenchEnv, spans: ReadonlyArray<{ key: string; t0: number; ready: number }>): LatencyResult['timeline'] {
  const steps = new Map<string, number[]>();
  for (const s of spans) {
    const seen = new Map<string, number>();
    for (const e of b.tracker.events) {
      if (e.t < s.t0 || e.t > s.ready) continue;
      if (e.key !== s.key && !(e.kind === 'event' && e.key.startsWith(`${s.key}.`))) continue;
      const kind = `${e.kind} ${e.type}`;
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      const step = `${kind} #${n}`;
      steps.set(step, [...(steps.get(step) ?? []), e.t - s.t0]);
    }
  }
  return [...steps]
    .map(([step, offsets]) => ({ step, medianMs: round(percentile([...offsets].sort((x, y) => x - y), 50)), keys: offsets.length }))
    .sort((x, y) => x.medianMs - y.medianMs);
}
