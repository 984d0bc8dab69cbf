import type { Handler } from './context.ts';

export interface Route {
  method: string;
  /** e.g. `/orgs/{orgId}/apiKeys/{keyId}`; doubles as the stats label. */
  template: string;
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'ok'; route: Route; params: Record<string, string> }
  | { kind: 'method'; template: string }
  | { kind: 'none' };

/**
 * Matches on the RAW path: an access-list entry such as `192.0.2.0%2F24` stays one segment,
 * and only then is each parameter percent-decoded.
 */
export function matchRoute(routes: Route[], method: string, rawPath: string): RouteMatch {
  const segs = splitPath(rawPath);
  let methodMismatch: string | undefined;
  for (const route of routes) {
    const params = matchTemplate(route.template, segs);
    if (!params) continue;
    if (route.method !== method) {
      methodMismatch ??= route.template;
      continue;
    }
    return { kind: 'ok', route, params };
  }
  return methodMismatch ? { kind: 'method', template: methodMismatch } : { kind: 'none' };
}

export function splitPath(rawPath: string): string[] {
  const segs = rawPath.split('/').slice(1);
  if (segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
  return segs;
}

function matchTemplate(template: string, segs: string[]): Record<string, string> | undefined {
  const tsegs = template.split('/').slice(1);
  if (tsegs.length !== segs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < tsegs.length; i++) {
    const t = tsegs[i] ?? '';
    const s = segs[i] ?? '';
    if (t.startsWith('{')) {
      if (s === '') return undefined;
      try {
        params[t.slice(1, -1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (t !== s) {
      return undefined;
    }
  }
  return params;
}
