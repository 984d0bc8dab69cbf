// One cold start of the operator over what the cluster holds, and its memory after it, over time.
import type { BenchEnv } from './bench-env.ts';
import { round, sleep, summarizeSim, type SimCallSummary } from './measure.ts';
import { sampleMemory, vmRssMiB, type MemorySample } from './memory.ts';
import type { CgroupStats } from './memory-cgroup.ts';
import { KEY_AND_BINDING_CONTROLLERS, readStartup, type Startup } from './startup.ts';

/** When the memory is read after the pass: the goal's figure is SETTLE_MS; REST_MS is the process at rest. */
export const SETTLE_MS = 5000;
export const REST_MS = 30_000;

export interface ColdStartMemory {
  /** Right when the last controller logged the end of its initial pass. */
  afterPass: MemorySample;
  /** SETTLE_MS later (the goal's figure). */
  settled: MemorySample;
  /** REST_MS after the pass, nothing to do meanwhile: what a user sees at rest. */
  rest: MemorySample;
  settleMs: number;
  restMs: number;
  /** VmRSS every 2 s from the pass to `rest` (from /proc only: no scrape in between). */
  rssSeries: Array<{ afterMs: number; rssMiB: number }>;
  /** The memory cgroup's own figures over the whole process's life, when it ran in one. */
  cgroup?: CgroupStats & { limitMiB: number | null };
}

export interface ColdStart {
  startup: Startup;
  opsManager: SimCallSummary;
  omReadsPerKey: number;
  memory: ColdStartMemory;
}

/**
 * Starts the operator (stopped before) with `env` and waits for both controllers' initial pass;
 * then samples its memory without touching it: no signal, no forced GC, and no /metrics scrape
 * before the goal's reading (SETTLE_MS): a scrape's garbage is the bench's, not the pass's (the
 * two it made right after the pass put about 12 MiB into that reading at 10,000 keys).
 * `beforeRest` (e.g. the phase's probe, which scrapes) runs after that reading.
 */
export async function coldStart(b: BenchEnv, env: Record<string, string>, keys: number, beforeRest?: () => Promise<void>): Promise<ColdStart> {
  b.sim.stats.reset();
  b.cgroup?.resetStats();
  const logOffset = b.op.logText().length;
  const spawnedAt = Date.now();
  await b.op.restart(env);
  const log = (): string => b.op.logText().slice(logOffset);
  const startup = await readStartup(log, spawnedAt, KEY_AND_BINDING_CONTROLLERS, 15 * 60_000);
  const passAt = performance.now();
  const afterPass = await sampleMemory(b.op.pid, b.op.httpUrl, { scrape: false });
  const opsManager = summarizeSim(b.sim.stats.list());
  const rssSeries: ColdStartMemory['rssSeries'] = [];
  let settled: MemorySample | undefined;
  for (let t = 2000; t <= REST_MS; t += 2000) {
    await sleep(Math.max(0, passAt + t - performance.now()));
    rssSeries.push({ afterMs: Math.round(performance.now() - passAt), rssMiB: vmRssMiB(b.op.pid) });
    if (!settled && t + 2000 > SETTLE_MS) {
      await sleep(Math.max(0, passAt + SETTLE_MS - performance.now()));
      settled = await sampleMemory(b.op.pid, b.op.httpUrl);
      await beforeRest?.();
    }
  }
  const rest = await sampleMemory(b.op.pid, b.op.httpUrl);
  const cg = b.cgroup ? { ...b.cgroup.stats(), limitMiB: b.cgroup.limitMiB } : undefined;
  return {
    startup,
    opsManager,
    omReadsPerKey: round(opsManager.readsAnswered / keys, 3),
    memory: { afterPass, settled: settled ?? rest, rest, settleMs: SETTLE_MS, restMs: REST_MS, rssSeries, ...(cg ? { cgroup: cg } : {}) },
  };
}

/** An extra cold start over the same objects: another memory limit and/or extra node flags. */
export interface ColdStartVariant {
  /** undefined: the run's own limit; null: no limit. */
  limitMiB?: number | null;
  /** Appended to the image's NODE_OPTIONS (node lets a later flag override an earlier one). */
  nodeOptions: string;
}

/** `--cold-start-variant <limit>:<flags>`: `384:--max-semi-space-size=2`, `none:`, `:--max-old-space-size=160`. */
export function parseVariant(spec: string): ColdStartVariant {
  const i = spec.indexOf(':');
  if (i < 0) throw new Error(`--cold-start-variant ${spec}: expected <limit MiB|none|empty>:<node flags>`);
  const limit = spec.slice(0, i).trim();
  const nodeOptions = spec.slice(i + 1).trim();
  if (limit === '') return { nodeOptions };
  if (limit === 'none') return { limitMiB: null, nodeOptions };
  if (!/^\d+$/.test(limit)) throw new Error(`--cold-start-variant ${spec}: the limit is MiB, none, or empty`);
  return { limitMiB: Number(limit), nodeOptions };
}

export function variantLabel(v: ColdStartVariant, runLimitMiB: number | null): string {
  const limit = v.limitMiB === undefined ? runLimitMiB : v.limitMiB;
  return `${limit === null ? 'no limit' : `${limit} MiB limit`}${v.nodeOptions ? `, + ${v.nodeOptions}` : ''}`;
}
