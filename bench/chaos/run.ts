// `make chaos [ARGS="--short --seed N --dist DIR --keep"]`: the operator through kill storms,
// Ops Manager storms, control-plane faults and deletion storms, each judged by the invariants
// once the world settles. Prints a table, writes bench/results/chaos-*.json, and ends with
// exactly `chaos: E events, K kills, F faults, V violations`. See docs/reliability.md.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { controlPlaneFaults } from './control-plane-faults.ts';
import { deletionStorms } from './deletion-storms.ts';
import { LeakScan } from './leaks.ts';
import { lastLine, machine, render, totals, writeJson } from './report.ts';
import { Rng } from './rng.ts';
import { killStorm, opsManagerStorm } from './storms.ts';
import type { Ctx, ScenarioResult, Violation } from './verdict.ts';
import { OPERATOR_SETTINGS, startWorld } from './world.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    seed: { type: 'string' },
    // An operator already compiled (a directory with dist/main.js, package.json, node_modules): skips `npm run build`.
    dist: { type: 'string' },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const short = values.short;
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
// The time box: the run stops itself, with its last line, whatever happens.
// The short run takes about 90 s; its box leaves room for a machine that is busy with other work.
const TIME_BOX_MS = short ? 240_000 : 15 * 60_000;
const started = Date.now();
const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 19)} +${((Date.now() - started) / 1000).toFixed(0)}s] ${s}`);

const SCENARIOS: Array<[string, (ctx: Ctx) => Promise<ScenarioResult>]> = [
  ['kill', killStorm],
  ['om', opsManagerStorm],
  ['control-plane', controlPlaneFaults],
  ['deletion', deletionStorms],
];

async function main(): Promise<number> {
  const binDir = process.env.OMKEYS_CP_BIN;
  if (!binDir) throw new Error('OMKEYS_CP_BIN is not set: run `make chaos` (it builds the control plane first)');
  const m = machine();
  log(`chaos${short ? ' --short' : ''} --seed ${seed}; ${m.nproc} cores, ${m.memoryGiB} GiB, load ${m.loadavgStart.join(' ')}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-chaos-'));
  const results: ScenarioResult[] = [];
  // Set once the world runs; the time box may need it before.
  const held: { ctx?: Ctx } = {};
  const extra: Violation[] = [];
  const emit = (): number => {
    const t = totals(results, extra);
    m.loadavgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
    console.log(render(results, extra, Date.now() - started));
    const leakScan = held.ctx ? { privateKeys: held.ctx.leaks.privateKeys.size, samples: held.ctx.leaks.samples } : undefined;
    const file = writeJson({ seed, short, machine: m, operatorSettings: OPERATOR_SETTINGS, wallMs: Date.now() - started, dir, totals: t, leakScan, results, extra }, repoRoot, short);
    console.log(`\nresults: ${path.relative(repoRoot, file)}; logs: ${dir}${t.violations === 0 && !values.keep ? ' (removed)' : ''}`);
    console.log(lastLine(t));
    return t.violations;
  };
  const watchdog = setTimeout(() => {
    extra.push({ scenario: 'run', invariant: 'bounded in time', subject: 'chaos', detail: `still running after ${TIME_BOX_MS / 1000} s; stopped` });
    process.exit(emit() > 0 ? 1 : 0);
  }, TIME_BOX_MS);
  watchdog.unref();

  const world = await startWorld({ binDir, dir, log, ...(values.dist ? { distRoot: path.resolve(values.dist) } : {}) });
  world.sim.requests.enable();
  const journalFile = path.join(dir, 'journal.log');
  const journal = (line: string): void => appendFileSync(journalFile, `${new Date().toISOString()} ${line}\n`);
  const ctx: Ctx = { world, rng: new Rng(seed), leaks: new LeakScan(world.sim), short, log, journal, reportedLeaks: new Set(), reported: new Set() };
  held.ctx = ctx;
  const leaks = ctx.leaks;
  const sampler = setInterval(() => void leaks.sample(world.kube), 5000);
  const only = values.only?.split(',');
  try {
    for (const [id, run] of SCENARIOS) {
      if (only && !only.includes(id)) continue;
      log(`scenario ${id}`);
      journal(`scenario ${id}`);
      try {
        const r = await run(ctx);
        results.push(r);
        log(`scenario ${id}: ${r.violations.length} violations, settled ${r.settle.settled ? `after ${r.settle.settleMs} ms` : 'NOT'}`);
      } catch (err) {
        extra.push({ scenario: id, invariant: 'the scenario runs to its end', subject: id, detail: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        log(`scenario ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    clearInterval(sampler);
    await world.close();
  }
  const violations = emit();
  if (violations === 0 && !values.keep) rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
  return violations;
}

main().then(
  (v) => process.exit(v > 0 ? 1 : 0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    console.log(lastLine({ events: 0, kills: 0, faults: 0, violations: 1 }));
    process.exit(1);
  },
);
