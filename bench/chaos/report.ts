// The chaos run's table, its JSON and its last line.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScenarioResult, Violation } from './verdict.ts';

export interface Machine { nproc: number; memoryGiB: number; loadavgStart: number[]; loadavgEnd?: number[]; node: string; platform: string }

export function machine(): Machine {
  return {
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

const sec = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export function totals(results: readonly ScenarioResult[], extra: readonly Violation[]): { events: number; kills: number; faults: number; violations: number } {
  return {
    events: results.reduce((n, r) => n + r.events, 0),
    kills: results.reduce((n, r) => n + r.kills, 0),
    faults: results.reduce((n, r) => n + r.faults, 0),
    violations: results.reduce((n, r) => n + r.violations.length, 0) + extra.length,
  };
}

export function render(results: readonly ScenarioResult[], extra: readonly Violation[], wallMs: number): string {
  const t = totals(results, extra);
  const rows = [['scenario', 'events', 'kills', 'faults', 'converge p50', 'converge max', 'settled', 'violations', 'time']];
  for (const r of results) {
    rows.push([r.name, String(r.events), String(r.kills), String(r.faults), sec(r.settle.convergeP50Ms), sec(r.settle.convergeMaxMs),
      r.settle.settled ? `yes, ${sec(r.settle.settleMs)}` : `NO (${sec(r.settle.settleMs)})`, String(r.violations.length), sec(r.durationMs)]);
  }
  rows.push(['total', String(t.events), String(t.kills), String(t.faults), '', '', '', String(t.violations), sec(wallMs)]);
  const out = ['', '== omkeys chaos ==', table(rows)];
  const all = [...results.flatMap((r) => r.violations), ...extra];
  if (all.length > 0) {
    out.push('', 'violations:');
    for (const v of all.slice(0, 60)) out.push(`  [${v.scenario}] ${v.invariant}: ${v.subject}: ${v.detail}`);
    if (all.length > 60) out.push(`  … and ${all.length - 60} more (see the JSON)`);
  }
  out.push('', 'figures:');
  for (const r of results) out.push(`  ${r.name}: ${JSON.stringify(r.figures)}`);
  return out.join('\n');
}

export function writeJson(doc: Record<string, unknown>, repoRoot: string, short: boolean): string {
  const dir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `chaos-${short ? 'short-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    // Outside git the results still stand.
  }
  writeFileSync(file, `${JSON.stringify({ commit, ...doc }, null, 2)}\n`);
  return file;
}

export function lastLine(t: { events: number; kills: number; faults: number; violations: number }): string {
  return `chaos: ${t.events} events, ${t.kills} kills, ${t.faults} faults, ${t.violations} violations`;
}
