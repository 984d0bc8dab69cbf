import type { StatRow } from '../../tools/opsmanager-sim/stats.ts';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the simulator counted, split the ways the limits need. */
export interface SimCallSummary {
  total: number;
  /** Digest challenges (401 with a fresh nonce): each one costs a round trip too. */
  unauthorized: number;
  reads: number;
  /** GETs less their Digest challenges: the reads Ops Manager answered. */
  readsAnswered: number;
  /** Non-GET requests that were answered 2xx: what changed Ops Manager. */
  writes: number;
  /** Non-GET requests whatever the answer. */
  nonGet: number;
  byRoute: Array<{ call: string; count: number }>;
}

export function summarizeSim(rows: readonly StatRow[]): SimCallSummary {
  const byRoute = new Map<string, number>();
  let total = 0;
  let unauthorized = 0;
  let reads = 0;
  let readsAnswered = 0;
  let writes = 0;
  let nonGet = 0;
  for (const r of rows) {
    total += r.count;
    const call = `${r.method} ${r.route} ${r.status}`;
    byRoute.set(call, (byRoute.get(call) ?? 0) + r.count);
    if (r.status === 401) unauthorized += r.count;
    if (r.method === 'GET') {
      reads += r.count;
      if (r.status !== 401) readsAnswered += r.count;
    } else {
      nonGet += r.count;
      if (r.status >= 200 && r.status < 300) writes += r.count;
    }
  }
  return { total, unauthorized, reads, readsAnswered, writes, nonGet, byRoute: [...byRoute].map(([call, count]) => ({ call, count })).sort((a, b) => b.count - a.count) };
}

/** A Prometheus text exposition as series -> value (histogram buckets left out). */
export type MetricsSnapshot = Map<string, number>;

export async function scrapeMetrics(httpUrl: string): Promise<MetricsSnapshot> {
  const out: MetricsSnapshot = new Map();
  try {
    const res = await fetch(`${httpUrl}/metrics`);
    for (const line of (await res.text()).split('\n')) {
      if (!line.startsWith('omkeys_') || line.includes('_bucket{')) continue;
      const i = line.lastIndexOf(' ');
      out.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
  } catch {
    // The operator may be restarting; a missing snapshot only loses the profile, not the figures.
  }
  return out;
}

export interface OperatorProfile {
  reconciles: Record<string, number>;
  /** The same by controller: `opsmanagerapikey success` etc. */
  reconcilesByController: Record<string, number>;
  reconcileMeanMs: number;
  queueWaitMeanMs: number;
  /** Client-side duration of Ops Manager calls, per route (includes injected latency and retries). */
  opsManager: Array<{ call: string; count: number; meanMs: number }>;
}

/** What the operator's own metrics say happened between two scrapes. */
export function profileBetween(before: MetricsSnapshot, after: MetricsSnapshot): OperatorProfile {
  const delta = (series: string): number => (after.get(series) ?? 0) - (before.get(series) ?? 0);
  const reconciles: Record<string, number> = {};
  const reconcilesByController: Record<string, number> = {};
  const calls = new Map<string, { sum: number; count: number }>();
  let recSum = 0;
  let recCount = 0;
  let waitSum = 0;
  let waitCount = 0;
  for (const series of after.keys()) {
    const d = delta(series);
    const result = /^omkeys_reconcile_total\{.*result="([^"]+)"/.exec(series)?.[1];
    if (result && d > 0) {
      reconciles[result] = (reconciles[result] ?? 0) + d;
      const by = `${/controller="([^"]+)"/.exec(series)?.[1] ?? '?'} ${result}`;
      reconcilesByController[by] = (reconcilesByController[by] ?? 0) + d;
    }
    if (series.startsWith('omkeys_reconcile_duration_seconds_sum')) recSum += d;
    if (series.startsWith('omkeys_reconcile_duration_seconds_count')) recCount += d;
    if (series.startsWith('omkeys_workqueue_wait_seconds_sum')) waitSum += d;
    if (series.startsWith('omkeys_workqueue_wait_seconds_count')) waitCount += d;
    const m = /^omkeys_opsmanager_request_duration_seconds_(sum|count)\{(.*)\}$/.exec(series);
    if (m?.[1] && m[2] !== undefined) {
      const labels = new Map([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x): [string, string] => [x[1] ?? '', x[2] ?? '']));
      const call = `${labels.get('method') ?? '?'} ${labels.get('route') ?? '?'}`;
      const c = calls.get(call) ?? { sum: 0, count: 0 };
      if (m[1] === 'sum') c.sum += d;
      else c.count += d;
      calls.set(call, c);
    }
  }
  return {
    reconciles,
    reconcilesByController,
    reconcileMeanMs: recCount > 0 ? round((recSum / recCount) * 1000) : NaN,
    queueWaitMeanMs: waitCount > 0 ? round((waitSum / waitCount) * 1000) : NaN,
    opsManager: [...calls]
      .filter(([, c]) => c.count > 0)
      .map(([call, c]) => ({ call, count: c.count, meanMs: round((c.sum / c.count) * 1000) }))
      .sort((a, b) => b.count - a.count),
  };
}
