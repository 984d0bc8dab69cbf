import { cpuText } from './cpu.ts';
import type { SimCallSummary } from './measure.ts';
import type { PhaseProfile } from './probe.ts';
import type { Timeline } from './timeline.ts';

/** Rows of cells as an aligned plain-text table; the first row is the header. */
export function table(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const [head, ...body] = cells;
  if (!head) return '';
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function verdict(pass: boolean): string {
  return pass ? 'MEETS GOAL' : 'MISSES GOAL';
}

export function simCallsTable(sim: SimCallSummary, per: number, perLabel: string): string {
  return table([
    ['Ops Manager call (method route status)', 'count', perLabel],
    ...sim.byRoute.map((r) => [r.call, r.count, (r.count / Math.max(1, per)).toFixed(2)]),
  ]);
}

export function profileText(pp: PhaseProfile): string {
  const p = pp.operator;
  const rec = Object.entries(p.reconcilesByController).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
  const lines = [`operator metrics: reconciles ${rec}; mean reconcile ${p.reconcileMeanMs} ms; mean queue wait ${p.queueWaitMeanMs} ms`];
  if (pp.leaseRegained > 0) lines.push(`the operator lost its Lease (a renewal missed the deadline) and led again ${pp.leaseRegained} time(s): controllers stopped, then reconciled what they missed`);
  if (p.opsManager.length > 0) {
    lines.push(table([['operator-side Ops Manager call', 'count', 'mean ms'], ...p.opsManager.map((c) => [c.call, c.count, c.meanMs])]));
  }
  if (pp.apiServer.calls.length > 0) {
    lines.push(table([['API server request (all clients; the bench only POSTs)', 'count', 'server mean ms'], ...pp.apiServer.calls.slice(0, 14).map((c) => [c.call, c.count, c.meanMs])]));
  }
  lines.push(cpuText(pp.cpu));
  return lines.join('\n');
}

export function ms(n: number): string {
  return Number.isFinite(n) ? `${n} ms` : 'n/a';
}

export function timelineTable(what: string, t: Timeline): string {
  return [
    `where one ${what}'s time goes (writes seen by the watches, median ms after its create call started):`,
    table([['write (kind, watch event, n-th of the kind)', 'median', `${what}s`], ...t.map((x) => [x.step, ms(x.medianMs), x.keys])]),
  ].join('\n');
}
