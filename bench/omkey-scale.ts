// Phase 5 of `make bench`: 10,000 keys + 10,000 bindings: the cold start over them and the memory they cost.
import { GROUP, VERSION, OPS_MANAGER_API_KEY_PLURAL, PROJECT_KEY_BINDING_PLURAL } from '../src/api/types.ts';
import type { BenchEnv } from './lib/bench-env.ts';
import { coldStart, variantLabel, type ColdStart, type ColdStartMemory, type ColdStartVariant } from './lib/cold-start.ts';
import { takeHeapSnapshot, summarizeHeapSnapshot, type HeapSnapshotSummary } from './lib/heap-snapshot.ts';
import { round, sleep, summarizeSim, type SimCallSummary } from './lib/measure.ts';
import { objectSizes, type ObjectSize } from './lib/object-sizes.ts';
import { prepareOrgs, KEYS_PER_ORG, type BenchOrg } from './lib/orgs.ts';
import { Probe, type PhaseProfile } from './lib/probe.ts';
import type { Startup } from './lib/startup.ts';

export const SCALE_GOALS = { syncedS: 10, reconciledS: 60, rssMiB: 200 };

export interface ScaleResult {
  /** In the cluster when the operator started cold: the totals, not only this phase's. */
  keys: number;
  bindings: number;
  secrets: number;
  added: { keys: number; bindings: number; orgs: number };
  /** Creating the added objects with the operator running, until every one was Ready. */
  provision: { wallMs: number; createPhaseMs: number; profile: PhaseProfile };
  /** Graceful stop of the operator that provisioned them (the Lease released). */
  stopMs: number;
  coldStart: Startup & { opsManager: SimCallSummary; omReadsPerKey: number; profile: PhaseProfile };
  /** Right when the last first reconcile ended, `settleMs` later (the goal's figure), and at rest. */
  memory: ColdStartMemory;
  /** Where the operator ran (bench-env's placement), as the report says it. */
  placement: string;
  heap?: HeapSnapshotSummary;
  /** Further cold starts over the same objects with another limit or other node flags (experiments; the last one is left running). */
  variants: Array<Omit<ColdStart, 'opsManager'> & { label: string; nodeOptions: string }>;
  /** JSON bytes per object as listed (a sample): what a cache keeping objects whole holds. */
  objectSizes: ObjectSize[];
}

export interface ScaleOptions {
  /** Totals to reach: the earlier phases' objects count towards them. */
  keys: number;
  bindings: number;
  createParallelism: number;
  heapSnapshot: boolean;
  variants: ColdStartVariant[];
  /** How the report names the run's own placement (bench-env's). */
  placement: string;
  log: (s: string) => void;
}

/**
 * Tops the cluster up to `keys` OpsManagerApiKeys and `bindings` ProjectKeyBindings (each key
 * gets a binding, some two, to projects of its organization), lets the operator provision them
 * all with no injected latency, stops it, and starts it again cold: a new process with every
 * object already provisioned, as after an upgrade. "Reconciled once" is the operator's own
 * `initial reconcile pass done` log line of each controller: every object present at start has
 * finished one reconcile (Ops Manager read, Secret compared), whatever its outcome.
 */
export async function runScale(b: BenchEnv, o: ScaleOptions): Promise<ScaleResult> {
  b.sim.faults.clear();
  // The steady phase left it with a short resync; a period inside this phase would blur the pass.
  await b.op.stop();
  await b.op.restart(b.operatorEnv);
  const have = { keys: await countOf(b, OPS_MANAGER_API_KEY_PLURAL), bindings: await countOf(b, PROJECT_KEY_BINDING_PLURAL) };
  const addKeys = Math.max(0, o.keys - have.keys);
  const addBindings = Math.max(0, o.bindings - have.bindings);
  if (addKeys === 0 || addBindings > 4 * addKeys) throw new Error(`cannot reach ${o.keys} keys / ${o.bindings} bindings from ${have.keys} / ${have.bindings}`);
  const orgs = await prepareOrgs(b, 'bench-scale', Math.ceil(addKeys / KEYS_PER_ORG), 4);
  o.log(`  scale: ${have.keys} keys / ${have.bindings} bindings exist; adding ${addKeys} keys and ${addBindings} bindings in ${orgs.length} orgs`);

  const provisionProbe = await Probe.start(b);
  const started = performance.now();
  const ready: Array<Promise<number>> = [];
  const tasks = creationTasks(addKeys, addBindings);
  let next = 0;
  let lastCreated = started;
  const timeoutMs = 20 * 60_000;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tasks.length; i = next++) {
      const t = tasks[i]!;
      const org = orgs[t.key % orgs.length] as BenchOrg;
      const keyName = `s-${t.key}`;
      if (t.binding === undefined) {
        await b.kube.createKey(org.namespace, keyName, { orgId: org.orgId, roles: ['ORG_MEMBER'], connectionRef: org.connectionRef });
        ready.push(b.tracker.whenKeyReady(`${org.namespace}/${keyName}`, timeoutMs));
      } else {
        const name = `sb-${t.key}-${t.binding}`;
        const projectId = org.projectIds[(Math.floor(t.key / orgs.length) + t.binding) % org.projectIds.length] ?? '';
        await b.kube.createBinding(org.namespace, name, { apiKeyRef: { name: keyName }, projectId, roles: ['GROUP_READ_ONLY'] });
        ready.push(b.tracker.whenBindingReady(`${org.namespace}/${name}`, timeoutMs));
      }
      lastCreated = Math.max(lastCreated, performance.now());
      if ((i + 1) % 2000 === 0) o.log(`  scale: ${i + 1}/${tasks.length} created`);
    }
  };
  await Promise.all(Array.from({ length: o.createParallelism }, () => worker()));
  o.log(`  scale: all ${tasks.length} created in ${((lastCreated - started) / 1000).toFixed(1)} s; waiting for Ready`);
  const end = Math.max(...(await Promise.all(ready)));
  const provision = { wallMs: round(end - started, 0), createPhaseMs: round(lastCreated - started, 0), profile: await provisionProbe.finish() };
  o.log(`  scale: all Ready in ${(provision.wallMs / 1000).toFixed(1)} s; stopping the operator`);
  await settle(b, 3000, 120_000);

  const tStop = performance.now();
  await b.op.stop();
  const stopMs = round(performance.now() - tStop, 0);
  const secrets = await countOf(b, 'secrets');
  const sizes = await objectSizes(b.plane);
  const totals = { keys: have.keys + addKeys, bindings: have.bindings + addBindings };

  const probe = await Probe.start(b);
  let profile: PhaseProfile | undefined;
  const cold = await coldStart(b, b.operatorEnv, totals.keys, async () => void (profile = await probe.finish(true)));
  const startup = cold.startup;
  o.log(`  scale: cold start (pid ${b.op.pid ?? '?'}): caches synced ${startup.syncedMs} ms, every object reconciled once ${startup.reconciledMs} ms after the process started; RSS ${cold.memory.settled.rssMiB} MiB ${cold.memory.settleMs / 1000} s later, ${cold.memory.rest.rssMiB} MiB ${cold.memory.restMs / 1000} s later`);

  // The run's own limit: the variants without one of their own start under it again.
  const runLimit = b.cgroup?.limitMiB ?? null;
  let heap: HeapSnapshotSummary | undefined;
  if (o.heapSnapshot && b.op.pid !== undefined) {
    // Writing a snapshot takes native memory beyond the heap: at 10,000 keys in a 384 MiB cgroup
    // the kernel killed the operator as it wrote one. The figures are read; lift the limit first.
    b.cgroup?.setLimit(null);
    const file = await takeHeapSnapshot(b.op.pid, b.operatorDir);
    if (file) heap = summarizeHeapSnapshot(file);
    o.log(`  scale: heap snapshot ${heap ? `${heap.fileMiB} MiB file, ${heap.selfMiB} MiB live` : 'not written'}`);
  }
  const variants: ScaleResult['variants'] = [];
  for (const v of o.variants) {
    await b.op.stop();
    const label = variantLabel(v, runLimit) + (v.limitMiB !== undefined && !b.cgroup ? ' (NO cgroup: the limit is not applied)' : '');
    b.cgroup?.setLimit(v.limitMiB === undefined ? runLimit : v.limitMiB);
    const nodeOptions = [b.operatorEnv.NODE_OPTIONS ?? '', v.nodeOptions].filter(Boolean).join(' ');
    try {
      const run = await coldStart(b, { ...b.operatorEnv, NODE_OPTIONS: nodeOptions }, totals.keys);
      variants.push({ label, nodeOptions, startup: run.startup, omReadsPerKey: run.omReadsPerKey, memory: run.memory });
      o.log(`  scale: variant ${label}: synced ${run.startup.syncedMs} ms, reconciled once ${run.startup.reconciledMs} ms; RSS ${run.memory.afterPass.rssMiB} / ${run.memory.settled.rssMiB} / ${run.memory.rest.rssMiB} MiB`);
    } catch (err) {
      // An experiment that does not start (a flag node refuses) leaves the run's own figures standing.
      o.log(`  scale: variant ${label} failed: ${String(err).split('\n').filter((l) => l.includes('node:') || l.startsWith('Error')).join(' ') || String(err).slice(0, 300)}`);
    }
  }
  return {
    ...totals,
    secrets,
    added: { keys: addKeys, bindings: addBindings, orgs: orgs.length },
    provision,
    stopMs,
    coldStart: { ...startup, opsManager: cold.opsManager, omReadsPerKey: cold.omReadsPerKey, profile: profile ?? (await probe.finish(true)) },
    memory: cold.memory,
    placement: o.placement,
    ...(heap ? { heap } : {}),
    variants,
    objectSizes: sizes,
  };
}

/** Keys first in each pair (a binding's key exists before it), second bindings after the first ones. */
function creationTasks(keys: number, bindings: number): Array<{ key: number; binding?: number }> {
  const tasks: Array<{ key: number; binding?: number }> = [];
  for (let k = 0; k < keys; k++) {
    tasks.push({ key: k });
    if (k < bindings) tasks.push({ key: k, binding: 0 });
  }
  for (let j = keys; j < bindings; j++) tasks.push({ key: j % keys, binding: Math.floor(j / keys) });
  return tasks;
}

/** How many there are across namespaces, from one list call's remainingItemCount. */
async function countOf(b: BenchEnv, plural: string): Promise<number> {
  const path = plural === 'secrets' ? '/api/v1/secrets' : `/apis/${GROUP}/${VERSION}/${plural}`;
  const res = await b.plane.get(`${path}?limit=1`);
  const body = JSON.parse(res.body) as { items?: unknown[]; metadata?: { remainingItemCount?: number } };
  return (body.items?.length ?? 0) + (body.metadata?.remainingItemCount ?? 0);
}

async function settle(b: BenchEnv, quietMs: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = '';
  let since = performance.now();
  while (performance.now() < deadline) {
    const now = `${summarizeSim(b.sim.stats.list()).total}/${b.tracker.events.length}`;
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
    await sleep(200);
  }
}
