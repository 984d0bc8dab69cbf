import type { MetricsSnapshot } from './measure.ts';

/** What the operator asked of the API server in a window, from its omkeys_kube_requests_total. */
export interface KubeCalls {
  rows: Array<{ verb: string; resource: string; inCache: string; count: number }>;
  /** create/update/patch/delete of keys, bindings, Secrets and ConfigMaps (their status included). */
  writes: number;
  /** create/patch of Events. */
  events: number;
  /** GETs of one object, by resource, split by whether the informer cache held it at that moment. */
  getsHeld: Record<string, number>;
  getsNotHeld: Record<string, number>;
  lists: number;
  /** Lease requests (leader election), not counted as writes of the keys. */
  lease: number;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export function kubeCallsBetween(before: MetricsSnapshot, after: MetricsSnapshot): KubeCalls {
  const out: KubeCalls = { rows: [], writes: 0, events: 0, getsHeld: {}, getsNotHeld: {}, lists: 0, lease: 0 };
  for (const [series, value] of after) {
    if (!series.startsWith('omkeys_kube_requests_total{')) continue;
    const count = value - (before.get(series) ?? 0);
    if (count <= 0) continue;
    const labels = new Map([...series.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? '', m[2] ?? '']));
    const verb = labels.get('verb') ?? '?';
    const resource = labels.get('resource') ?? '?';
    const inCache = labels.get('in_cache') ?? '';
    out.rows.push({ verb, resource, inCache, count });
    if (resource === 'leases') out.lease += count;
    else if (resource === 'events') out.events += count;
    else if (WRITE_VERBS.has(verb)) out.writes += count;
    else if (verb === 'list') out.lists += count;
    else if (verb === 'get') {
      const into = inCache === 'true' ? out.getsHeld : out.getsNotHeld;
      into[resource] = (into[resource] ?? 0) + count;
    }
  }
  out.rows.sort((a, b) => b.count - a.count);
  return out;
}

export const sum = (r: Record<string, number>): number => Object.values(r).reduce((s, x) => s + x, 0);

/** Per new key: the operator's writes (Events apart), its Events, and its live GETs, from both sides. */
export interface KubePerKey {
  /** The operator's own count (omkeys_kube_requests_total): keys, bindings, Secrets, ConfigMaps. */
  writes: number;
  /** The API server's count of the same writes, less the bench's own creates of the resources. */
  apiServerWrites: number;
  events: number;
  /** GETs per key of objects the cache held / did not hold (connection Secrets, objects not yet seen), by resource. */
  getsHeld: Record<string, number>;
  getsNotHeld: Record<string, number>;
}

export function perKey(k: KubeCalls, apiServerWrites: number, benchCreates: number, keys: number): KubePerKey {
  const per = (n: number): number => Math.round((n / Math.max(1, keys)) * 100) / 100;
  const each = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).map(([res, n]) => [res, per(n)]));
  return {
    writes: per(k.writes),
    apiServerWrites: per(apiServerWrites - benchCreates),
    events: per(k.events),
    getsHeld: each(k.getsHeld),
    getsNotHeld: each(k.getsNotHeld),
  };
}
