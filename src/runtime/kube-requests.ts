import type { Counter } from 'prom-client';
import type { KubeClient } from '../kube/kube-client.ts';

export type KubeVerb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** One request to the API server, as its path tells it (no body, no query). */
export interface KubeRequest {
  verb: KubeVerb;
  /** e.g. `secrets`, `opsmanagerapikeys/status`: the resource and its subresource, if any. */
  resource: string;
  namespace?: string;
  name?: string;
}

/**
 * Reads a request path the way the API server routes it: `/api/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]`
 * or `/apis/<group>/<version>/...`. undefined for anything else (discovery, /version).
 */
export function parseKubeRequest(method: string, url: string): KubeRequest | undefined {
  let path: string;
  try {
    path = new URL(url, 'http://x').pathname;
  } catch {
    return undefined;
  }
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return undefined;
  let namespace: string | undefined;
  // `/namespaces/<ns>/<resource>...` is namespaced; `/namespaces[/<ns>]` alone is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource) return undefined;
  const named = name !== undefined;
  const verbs: Record<string, KubeVerb> = { POST: 'create', PUT: 'update', PATCH: 'patch' };
  const m = method.toUpperCase();
  const verb: KubeVerb | undefined = m === 'GET' ? (named ? 'get' : 'list') : m === 'DELETE' ? (named ? 'delete' : 'deletecollection') : verbs[m];
  if (!verb) return undefined;
  return {
    verb,
    resource: sub ? `${resource}/${sub}` : resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(named ? { name } : {}),
  };
}

/** Whether the operator's informer cache held `namespace/name` of `resource` at that moment. */
export type CacheHolds = (resource: string, namespace: string, name: string) => boolean;

/**
 * Counts every request the operator's KubeClient sends (watches aside: they are streams, not
 * requests; each page of a list counts), by verb and resource, and marks a GET of an object
 * the informer cache held at that moment: a read the cache might have served, which is what a
 * scale review asks about first. The request itself is left untouched.
 */
export function countKubeRequests(kube: Pick<KubeClient, 'onRequest'>, counter: Counter<'verb' | 'resource' | 'in_cache'>, holds?: CacheHolds): void {
  kube.onRequest((method, path) => {
    const req = parseKubeRequest(method, path);
    if (!req) return;
    const cached = req.verb === 'get' && holds && req.name !== undefined ? String(holds(req.resource, req.namespace ?? '', req.name)) : '';
    counter.inc({ verb: req.verb, resource: req.resource, in_cache: cached });
  });
}
