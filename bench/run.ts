// `make bench`: the operator end to end against the simulator and a fresh control plane.
// `npx tsx bench/run.ts [--quick] [--latency-keys 100] [--keys 1000] [--latency-ms 50] [--no-floor]
//   [--concurrency 32] [--om-max-concurrency 32] [--resync-period 20] [--log-level info]
//   [--scale-keys 10000] [--scale-bindings 10000] [--no-scale] [--only-scale] [--no-heap-snapshot] [--cpu-prof]
//   [--memory-limit 384|none] [--cold-start-variant <limit>:<flags>]... [--node-options=--max-old-space-size=256]`
//   (needs OMKEYS_CP_BIN).
// Prints tables, then one `GOAL` line per goal, and writes bench/results/<timestamp>.json. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test/integration/support/operator-process.ts';
import { collectGoals, FLOOR_GOAL_RATIO, type Results } from './goal-list.ts';
import { startBenchEnv, type BenchEnv } from './lib/bench-env.ts';
import { parseVariant } from './lib/cold-start.ts';
import { placementText } from './lib/memory-cgroup.ts';
import { summarizeCpuProfiles, type CpuProfileSummary } from './lib/cpu-profile.ts';
import { cpuBetween, cpuSnapshot } from './lib/cpu.ts';
import { cpuProfilesText, idleText, scaleText } from './lib/print-scale.ts';
import { floorText, latencyText, steadyText, throughputText } from './lib/print.ts';
import { bindingControllerLanded } from './omkey-bindings.ts';
import { IDLE_GOAL_MIB, runIdle } from './omkey-idle.ts';
import { runLatency } from './omkey-latency.ts';
import { runScale } from './omkey-scale.ts';
import { runSteady } from './omkey-steady.ts';
import { runThroughput } from './omkey-throughput.ts';

const startedAt = performance.now();
const machineAtStart = cpuSnapshot({});
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'latency-keys': { type: 'string' },
    keys: { type: 'string' },
    'latency-ms': { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '32' },
    'om-max-concurrency': { type: 'string', default: '32' },
    'resync-period': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'no-floor': { type: 'boolean', default: false },
    'scale-keys': { type: 'string' },
    'scale-bindings': { type: 'string' },
    'no-scale': { type: 'boolean', default: false },
    'only-scale': { type: 'boolean', default: false },
    'memory-limit': { type: 'string' },
    'cold-start-variant': { type: 'string', multiple: true, default: [] },
    'no-heap-snapshot': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'node-options': { type: 'string' },
  },
});
const quick = values.quick;
const latencyKeys = Number(values['latency-keys'] ?? (quick ? 10 : 100));
const keys = Number(values.keys ?? (quick ? 50 : 1000));
const latencyMs = Number(values['latency-ms']);
const concurrency = Number(values.concurrency);
const resyncPeriodMs = Number(values['resync-period'] ?? (quick ? 8 : 20)) * 1000;
const scaleKeys = Number(values['scale-keys'] ?? (quick ? 400 : 10_000));
const scaleBindings = Number(values['scale-bindings'] ?? scaleKeys);
const onlyScale = values['only-scale'];
// undefined: the chart's limit (bench-env reads it); none: no cgroup at all.
const memoryLimitMiB = values['memory-limit'] === undefined ? undefined : values['memory-limit'] === 'none' ? null : Number(values['memory-limit']);
const variants = (values['cold-start-variant'] ?? []).map(parseVariant);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const cpuProfDir = values['cpu-prof'] ? path.join(repoRoot, 'bench', 'results', `cpu-prof-${stamp}`) : undefined;
// The image's ENV (NODE_ENV, NODE_OPTIONS) comes from the Dockerfile itself (bench-env.ts).
const operatorEnv = {
  OMKEYS_CONCURRENCY: String(concurrency),
  OMKEYS_OM_MAX_CONCURRENCY: String(Number(values['om-max-concurrency'])),
  OMKEYS_LOG_LEVEL: values['log-level'],
  OMKEYS_RESYNC_PERIOD: '1h',
};
const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

async function main(): Promise<void> {
  const binDir = process.env.OMKEYS_CP_BIN;
  if (!binDir) throw new Error('OMKEYS_CP_BIN is not set: run `make bench` (it builds the control plane first)');
  const argv = process.argv.slice(2).join(' ');
  const commands = [`make bench${argv ? ` ARGS="${argv}"` : ''}`, `OMKEYS_CP_BIN=${binDir} npx tsx bench/run.ts ${argv}`.trim()];
  for (const c of commands) log(c);
  const rev = revision();
  log(`commit ${rev.commit}${rev.dirty.length > 0 ? `; src/ differs from it (the build compiles the working tree): ${rev.dirty.join(', ')}` : '; src/ as committed'}`);
  const landed = bindingControllerLanded();
  const results: Results = {};
  const nodeArgs = (values['node-options'] ?? '').split(' ').filter(Boolean);
  if (nodeArgs.length > 0) log(`EXPERIMENT: the operator runs with extra node flags ${nodeArgs.join(' ')}, not as the image runs it`);
  if (values['no-scale'] && (onlyScale || variants.length > 0)) throw new Error('--only-scale and --cold-start-variant need the scale phase (drop --no-scale)');
  const b = await startBenchEnv({ binDir, operatorEnv, log, startedAt, nodeArgs, ...(memoryLimitMiB !== undefined ? { memoryLimitMiB } : {}), ...(cpuProfDir ? { cpuProfDir } : {}) });
  log(`the operator runs ${placementText(b.placement)}`);
  commands.push(`operator: ${b.operatorCommand} with ${Object.entries(b.operatorEnv).map(([k, v]) => `${k}=${v}`).join(' ')} (+ default connection, leader election; RBAC of deploy/rbac.yaml)`);
  log(commands[2] ?? '');
  let failure: unknown;
  let watchErrors: string[] = [];
  try {
    if (!onlyScale) await runPhases0To4(b, results, landed);
    else log('--only-scale: phases 0-4 skipped; the scale phase creates every object itself');
    if (!values['no-scale']) {
      log(`phase 5: scale to ${scaleKeys} keys + ${scaleBindings} bindings, then a cold start over them`);
      results.scale = await runScale(b, { keys: scaleKeys, bindings: scaleBindings, createParallelism: 8, heapSnapshot: !values['no-heap-snapshot'], variants, placement: placementText(b.placement), log });
    }
    if (b.tracker.mismatched.size > 0) log(`WARNING: ${b.tracker.mismatched.size} Secrets held another keyId than their resource's status`);
  } catch (err) {
    failure = err;
    console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}\noperator log tail (${b.op.logPath}):\n${b.op.logText().split('\n').slice(-30).join('\n')}`);
  } finally {
    watchErrors = b.tracker.watchErrors;
    // Closing first: each operator process writes its CPU profile as it exits.
    await b.close().catch((err: unknown) => console.error(`closing the bench environment: ${String(err)}`));
  }
  const profiles = cpuProfDir ? summarizeCpuProfiles(cpuProfDir) : [];
  const runMs = performance.now() - startedAt;
  const goals = collectGoals(results, runMs, { scale: !values['no-scale'] });
  print(results, profiles, watchErrors, runMs);
  writeResults(results, b, commands, { profiles, goals: goals.list, runMs });
  console.log(['', ...goals.lines()].join('\n'));
  if (failure) process.exitCode = 1;
}

/** Phases 0-4 and 3: the idle operator, latency, throughput (with and without latency, with bindings), steady state. */
async function runPhases0To4(b: BenchEnv, results: Results, landed: ReturnType<typeof bindingControllerLanded>): Promise<void> {
  log('phase 0: the operator idle (started, caches synced, leading, no objects)');
  results.idle = await runIdle(b, { waitMs: 3000, heapSnapshot: !values['no-heap-snapshot'] });
  log(`phase 1: apply -> Secret-ready latency, ${latencyKeys} keys one at a time, no injected latency`);
  results.latency = await runLatency(b, { keys: latencyKeys, warmup: quick ? 2 : 5, spacingMs: 20, log });
  log(`phase 2: ${keys} keys to Ready with ${latencyMs} ms on every Ops Manager request`);
  results.keys = await runThroughput(b, { keys, withBindings: false, latencyMs, concurrency, createParallelism: 8, prefix: 'bench-keys', log });
  if (!values['no-floor']) {
    log(`phase 2b: ${keys} keys to Ready with no injected latency (the floor without Ops Manager round trips)`);
    results.keysNoLatency = await runThroughput(b, { keys, withBindings: false, latencyMs: 0, concurrency, createParallelism: 8, prefix: 'bench-floor', log });
  }
  if (landed.landed) {
    log(`phase 4: ${keys} keys + ${keys} ProjectKeyBindings to Ready with ${latencyMs} ms latency (${landed.evidence})`);
    results.bindings = await runThroughput(b, { keys, withBindings: true, latencyMs, concurrency, createParallelism: 8, prefix: 'bench-bind', log });
  } else {
    results.bindings = { skipped: `ProjectKeyBinding controller not landed: ${landed.evidence}` };
    log(`phase 4 skipped: ${results.bindings.skipped}`);
  }
  const keyCount = latencyKeys + results.latency.warmup + keys * (2 + (results.keysNoLatency ? 1 : 0));
  const objects = keyCount + (landed.landed ? keys : 0);
  log(`phase 3: steady state over ${objects} objects (restart, then one resync of ${resyncPeriodMs / 1000} s)`);
  results.steady = await runSteady(b, { objects, keys: keyCount, resyncPeriodMs, quietMs: 2000, log });
}

function print(r: Results, profiles: CpuProfileSummary[], watchErrors: string[], runMs: number): void {
  const out: string[] = ['', '== omkeys bench =='];
  if (r.idle) out.push(...idleText(r.idle, IDLE_GOAL_MIB));
  if (r.latency) out.push(...latencyText(r.latency));
  for (const t of [r.keys, r.keysNoLatency, r.bindings]) {
    if (!t) continue;
    if ('skipped' in t) out.push(`\n4. keys + bindings: SKIPPED (${t.skipped}); bench/omkey-throughput.ts runs it with withBindings: true once it lands`);
    else out.push(...throughputText(t));
  }
  if (r.keys && r.keysNoLatency) out.push(...floorText(r.keys, r.keysNoLatency, FLOOR_GOAL_RATIO));
  if (r.steady) out.push(...steadyText(r.steady));
  if (r.scale) out.push(...scaleText(r.scale));
  out.push(...cpuProfilesText(profiles, cpuProfDir ?? ''));
  if (watchErrors.length > 0) out.push(`\nwatch errors: ${watchErrors.slice(0, 5).join('; ')}`);
  const machine = cpuBetween(machineAtStart, cpuSnapshot({}));
  out.push(`\nwhole run: ${(runMs / 60_000).toFixed(1)} min on ${os.cpus().length} cores, the machine ${Math.round(machine.machineBusy * 100)}% busy (each phase's CPU line says how much of it was other work; load average now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(out.join('\n'));
}

function writeResults(r: Results, b: BenchEnv, commands: string[], extra: Record<string, unknown>): void {
  const dir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stamp}.json`);
  const { commit, dirty } = revision();
  const machine = { cpus: os.cpus().length, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, platform: `${os.platform()} ${os.release()}` };
  writeFileSync(file, `${JSON.stringify({ commit, uncommittedInSrc: dirty, commands, operatorEnv: b.operatorEnv, quick, machine, ...extra, results: r }, null, 2)}\n`);
  log(`results written to ${path.relative(repoRoot, file)}`);
}

/** The commit, and the files under src/ that differ from it: the build compiles the working tree. */
function revision(): { commit: string; dirty: string[] } {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean) };
  } catch {
    return { commit: '', dirty: [] };
  }
}

await main();
