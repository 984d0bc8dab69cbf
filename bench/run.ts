// `make bench`: the operator end to end against the simulator and a fresh control plane.
// `npx tsx bench/run.ts [--quick] [--latency-keys 100] [--keys 1000] [--latency-ms 50] [--no-floor]
//   [--concurrency 32] [--om-max-concurrency 32] [--resync-period 20] [--log-level info]` (needs OMKEYS_CP_BIN).
// Prints tables and writes bench/results/<timestamp>.json. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../test/integration/support/operator-process.ts';
import { startBenchEnv, type BenchEnv } from './lib/bench-env.ts';
import { ms, profileText, simCallsTable, table, timelineTable, verdict } from './lib/report.ts';
import { bindingControllerLanded } from './omkey-bindings.ts';
import { LATENCY_GOALS, runLatency, type LatencyResult } from './omkey-latency.ts';
import { runSteady, type SteadyResult } from './omkey-steady.ts';
import { runThroughput, THROUGHPUT_GOAL_RATIO, type ThroughputResult } from './omkey-throughput.ts';

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
  },
});
const quick = values.quick;
const latencyKeys = Number(values['latency-keys'] ?? (quick ? 10 : 100));
const keys = Number(values.keys ?? (quick ? 50 : 1000));
const latencyMs = Number(values['latency-ms']);
const concurrency = Number(values.concurrency);
const resyncPeriodMs = Number(values['resync-period'] ?? (quick ? 8 : 20)) * 1000;
const operatorEnv = {
  OMKEYS_CONCURRENCY: String(concurrency),
  OMKEYS_OM_MAX_CONCURRENCY: String(Number(values['om-max-concurrency'])),
  OMKEYS_LOG_LEVEL: values['log-level'],
  OMKEYS_RESYNC_PERIOD: '1h',
};
const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Results {
  latency?: LatencyResult;
  keys?: ThroughputResult;
  /** The same with no injected latency: the floor set by everything but Ops Manager's round trips. */
  keysNoLatency?: ThroughputResult;
  steady?: SteadyResult;
  bindings?: ThroughputResult | { skipped: string };
}

async function main(): Promise<void> {
  const binDir = process.env.OMKEYS_CP_BIN;
  if (!binDir) throw new Error('OMKEYS_CP_BIN is not set: run `make bench` (it builds the control plane first)');
  const argv = process.argv.slice(2).join(' ');
  const commands = [
    `make bench${argv ? ` ARGS="${argv}"` : ''}`,
    `OMKEYS_CP_BIN=${binDir} npx tsx bench/run.ts ${argv}`.trim(),
    `operator: node --import tsx src/main.ts with ${Object.entries(operatorEnv).map(([k, v]) => `${k}=${v}`).join(' ')} (+ default connection, leader election; RBAC of deploy/rbac.yaml)`,
  ];
  for (const c of commands) log(c);
  const landed = bindingControllerLanded();
  const results: Results = {};
  const b = await startBenchEnv({ binDir, operatorEnv, log });
  let failure: unknown;
  try {
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
    const objects = latencyKeys + results.latency.warmup + keys * (1 + (results.keysNoLatency ? 1 : 0) + (landed.landed ? 2 : 0));
    log(`phase 3: steady state over ${objects} objects (restart, then one resync of ${resyncPeriodMs / 1000} s)`);
    results.steady = await runSteady(b, { objects, resyncPeriodMs, quietMs: 2000, log });
    if (b.tracker.mismatched.size > 0) log(`WARNING: ${b.tracker.mismatched.size} Secrets held another keyId than their resource's status`);
  } catch (err) {
    failure = err;
    console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}\noperator log tail (${b.op.logPath}):\n${b.op.logText().split('\n').slice(-30).join('\n')}`);
  } finally {
    print(results, b);
    writeResults(results, b, commands);
    await b.close();
  }
  if (failure) process.exitCode = 1;
}

function print(r: Results, b: BenchEnv): void {
  const out: string[] = ['', '== omkeys bench =='];
  if (r.latency) {
    const l = r.latency;
    out.push(`\n1. apply -> Secret-ready latency (${l.keys} keys sequential, ${l.spacingMs} ms apart, ${l.warmup} warm-up keys not counted; no injected latency)`);
    out.push(table([
      ['figure', 'measured', 'goal'],
      ['p50', ms(l.p50Ms), `<= ${LATENCY_GOALS.p50Ms} ms`],
      ['p99', ms(l.p99Ms), `<= ${LATENCY_GOALS.p99Ms} ms`],
      ['max', ms(l.maxMs), ''],
      ['mean', ms(l.meanMs), ''],
      ['create call alone (p50)', ms(l.createCallP50Ms), ''],
    ]));
    out.push(verdict(l.pass));
    out.push(timelineTable('key', l.timeline), simCallsTable(l.sim, l.keys, 'per key'), profileText(l.profile));
  }
  for (const t of [r.keys, r.keysNoLatency, r.bindings]) {
    if (!t) continue;
    if ('skipped' in t) {
      out.push(`\n4. keys + bindings: SKIPPED (${t.skipped}); bench/omkey-throughput.ts runs it with withBindings: true once it lands`);
      continue;
    }
    const title = t.bindings > 0 ? `4. ${t.keys} keys + ${t.bindings} bindings` : `${t.latencyMs > 0 ? '2.' : '2b.'} ${t.keys} keys`;
    const lat = t.latencyMs > 0 ? `${t.latencyMs} ms on every Ops Manager request` : 'NO injected latency (floor)';
    out.push(`\n${title} to Ready, ${lat}, ${t.orgs} orgs, OMKEYS_CONCURRENCY=${t.concurrency}, ${t.createParallelism} creates in flight`);
    out.push(table([
      ['figure', 'value'],
      ['wall time (first create -> last Ready)', ms(t.wallMs)],
      ['  of which creating the resources', ms(t.createPhaseMs)],
      ['Ops Manager calls per key, Digest 401s included', t.calls.perKey],
      ['Ops Manager calls per key, without 401s', t.calls.perKeyWithout401],
      [`limit = calls/key (incl. 401) x ${t.latencyMs} ms x ${t.keys} / ${t.concurrency}`, ms(t.limitMs)],
      ['limit without 401s', ms(t.limitWithout401Ms)],
      [`ratio wall / limit (goal <= ${THROUGHPUT_GOAL_RATIO})`, Number.isFinite(t.ratio) ? t.ratio : 'n/a (no latency)'],
      ['per key create -> Ready p50 / p99', `${t.perKeyP50Ms} / ${t.perKeyP99Ms} ms`],
    ]));
    if (t.latencyMs > 0) out.push(verdict(t.pass));
    out.push(timelineTable('key', t.timeline));
    if (t.bindings > 0) out.push(timelineTable('binding', t.bindingTimeline));
    out.push(simCallsTable(t.sim, t.keys, 'per key'), profileText(t.profile));
  }
  if (r.steady) {
    const s = r.steady;
    out.push(`\n3. steady state over ${s.objects} objects, OMKEYS_RESYNC_PERIOD=${s.resyncPeriodMs / 1000}s (goal: 0 Ops Manager writes, 0 Kubernetes writes)`);
    out.push(table([
      ['window', 'duration', 'OM reads', 'OM non-GET', 'OM 401', 'omkey writes', 'Secret writes', 'binding writes', 'Events'],
      ...s.windows.map((w) => [w.what, ms(w.durationMs), w.opsManager.reads, w.opsManager.nonGet, w.opsManager.unauthorized, w.kubeWrites.omkey, w.kubeWrites.secret, w.kubeWrites.binding, w.kubeWrites.event]),
    ]));
    out.push(verdict(s.pass));
    for (const w of s.windows) out.push(`${w.what}:`, simCallsTable(w.opsManager, s.objects, 'per object'), profileText(w.profile));
  }
  if (b.tracker.watchErrors.length > 0) out.push(`\nwatch errors: ${b.tracker.watchErrors.slice(0, 5).join('; ')}`);
  console.log(out.join('\n'));
}

function writeResults(r: Results, b: BenchEnv, commands: string[]): void {
  const dir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    // Outside git the results still stand.
  }
  const machine = { cpus: os.cpus().length, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, platform: `${os.platform()} ${os.release()}` };
  writeFileSync(file, `${JSON.stringify({ commit, commands, operatorEnv: b.operatorEnv, quick, machine, results: r }, null, 2)}\n`);
  log(`results written to ${path.relative(repoRoot, file)}`);
}

await main();
