import type { ControlPlane } from '../../tools/envtest/control-plane.ts';
import { round } from './measure.ts';

/** apiserver_request_total and the request-duration sums/counts, by verb and resource. */
export type ApiServerSnapshot = Map<string, { count: number; seconds: number }>;

export interface ApiServerCalls {
  /** Requests the API server served, by `VERB resource[/subresource]`, with its own mean time. */
  calls: Array<{ call: string; count: number; meanMs: number }>;
}

/**
 * Scrapes the API server's own metrics as the admin. Which client sent a request is not in
 * them, but the bench only creates (POST) and watches; every GET/PUT/PATCH on keys, bindings,
 * Secrets and Events is the operator's.
 */
export async function scrapeApiServer(plane: ControlPlane): Promise<ApiServerSnapshot> {
  const out: ApiServerSnapshot = new Map();
  let body = '';
  try {
    body = (await plane.get('/metrics')).body;
  } catch {
    return out;
  }
  for (const line of body.split('\n')) {
    const total = line.startsWith('apiserver_request_total{');
    const sum = line.startsWith('apiserver_request_duration_seconds_sum{');
    if (!total && !sum) continue;
    const labels = new Map([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']));
    const verb = labels.get('verb') ?? '?';
    if (verb === 'WATCH' || verb === 'CONNECT') continue;
    const resource = labels.get('resource') ?? '';
    if (!resource) continue;
    const sub = labels.get('subresource');
    const call = `${verb} ${resource}${sub ? `/${sub}` : ''}`;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const row = out.get(call) ?? { count: 0, seconds: 0 };
    if (total) row.count += value;
    else row.seconds += value;
    out.set(call, row);
  }
  return out;
}

export function apiServerBetween(a: ApiServerSnapshot, b: ApiServerSnapshot): ApiServerCalls {
  const calls: ApiServerCalls['calls'] = [];
  for (const [call, after] of b) {
    const before = a.get(call) ?? { count: 0, seconds: 0 };
    const count = after.count - before.count;
    if (count <= 0) continue;
    calls.push({ call, count, meanMs: round(((after.seconds - before.seconds) / count) * 1000) });
  }
  return { calls: calls.sort((x, y) => y.count - x.count) };
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'DELETECOLLECTION', 'APPLY']);

/** Mutating requests the API server served on resources accepted by `resource` (e.g. `opsmanagerapikeys/status`). */
export function apiServerWrites(a: ApiServerCalls, resource: (r: string) => boolean): number {
  let n = 0;
  for (const c of a.calls) {
    const [verb = '', res = ''] = c.call.split(' ');
    if (MUTATING.has(verb) && resource(res)) n += c.count;
  }
  return n;
}
