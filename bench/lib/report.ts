import type { OperatorProfile, SimCallSummary } from './measure.ts';

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

export function profileText(p: OperatorProfile): string {
  const rec = Object.entries(p.reconciles).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  const lines = [`operator metrics: reconciles ${rec}; mean reconcile ${p.reconcileMeanMs} ms; mean queue wait ${p.queueWaitMeanMs} ms`];
  if (p.opsManager.length > 0) {
    lines.push(table([['operator-side Ops Manager call', 'count', 'mean ms'], ...p.opsManager.map((c) => [c.call, c.count, c.meanMs])]));
  }
  return lines.join('\n');
}

export function ms(n: number): string {
  return Number.isFinite(n) ? `${n} ms` : 'n/a';
}
