// Phase 0 of `make bench`: the operator's memory with nothing to do, and what its dependencies cost alone.
import type { BenchEnv } from './lib/bench-env.ts';
import { takeHeapSnapshot, summarizeHeapSnapshot, type HeapSnapshotSummary } from './lib/heap-snapshot.ts';
import { sleep } from './lib/measure.ts';
import { sampleMemory, type MemorySample } from './lib/memory.ts';
import { moduleCosts, type ModuleCost } from './lib/module-rss.ts';

export const IDLE_GOAL_MIB = 80;

export interface IdleResult {
  /** How long after it led the sample was taken. */
  afterMs: number;
  memory: MemorySample;
  /** Fresh processes importing only the runtime dependencies (no operator code). */
  modules: ModuleCost[];
  heap?: HeapSnapshotSummary;
}

/**
 * The freshly started operator (caches synced, leading, no object anywhere) after `waitMs` of
 * quiet; then, the figure taken, what a heap snapshot of it holds (it forces a GC, so after).
 */
export async function runIdle(b: BenchEnv, o: { waitMs: number; heapSnapshot: boolean }): Promise<IdleResult> {
  await sleep(o.waitMs);
  const memory = await sampleMemory(b.op.pid, b.op.httpUrl);
  const modules = await moduleCosts(b.operatorDir);
  let heap: HeapSnapshotSummary | undefined;
  if (o.heapSnapshot && b.op.pid !== undefined) {
    const file = await takeHeapSnapshot(b.op.pid, b.operatorDir);
    if (file) heap = summarizeHeapSnapshot(file);
  }
  return { afterMs: o.waitMs, memory, modules, ...(heap ? { heap } : {}) };
}
