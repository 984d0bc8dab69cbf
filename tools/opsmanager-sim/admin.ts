import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultRuleError } from './faults.ts';
import type { FaultRule, Faults } from './faults.ts';
import { readBody, send } from './http-io.ts';
import type { RequestLog } from './request-log.ts';
import type { SimState } from './state.ts';
import type { Stats } from './stats.ts';

export interface AdminDeps { state: SimState; faults: Faults; stats: Stats; requests: RequestLog }

const fail = (res: ServerResponse, status: number, message: string) => send(res, status, { error: message });

/** The `/__sim/*` controls (docs/api-reference.md, "The simulator's controls"); only mounted with --admin. */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, rawPath: string, deps: AdminDeps): Promise<void> {
  const method = req.method ?? 'GET';
  const body = await readBody(req);
  const json = (): unknown => (body.trim() === '' ? undefined : (JSON.parse(body) as unknown));
  try {
    if (rawPath === '/__sim/state' && method === 'GET') return send(res, 200, deps.state.publicView());
    const orgMatch = /^\/__sim\/orgs\/([0-9a-f]{24})$/.exec(rawPath);
    if (orgMatch?.[1] && method === 'PUT') {
      const org = deps.state.orgs.get(orgMatch[1]);
      if (!org) return fail(res, 404, `no organization ${orgMatch[1]}`);
      const input = json() as { requireAccessList?: unknown } | undefined;
      if (typeof input?.requireAccessList !== 'boolean') return fail(res, 400, 'body must be {"requireAccessList": boolean}');
      org.requireAccessList = input.requireAccessList;
      deps.state.save();
      return send(res, 200, { id: org.id, name: org.name, requireAccessList: org.requireAccessList });
    }
    if (rawPath === '/__sim/stats') {
      if (method === 'GET') return send(res, 200, { requests: deps.stats.list() });
      if (method === 'DELETE') return (deps.stats.reset(), send(res, 204));
    }
    if (rawPath === '/__sim/requests') {
      if (method === 'GET') return send(res, 200, { enabled: deps.requests.enabled, requests: deps.requests.list() });
      if (method === 'DELETE') return (deps.requests.reset(), send(res, 204));
      if (method === 'PUT') {
        const input = json() as { enabled?: unknown } | undefined;
        if (typeof input?.enabled !== 'boolean') return fail(res, 400, 'body must be {"enabled": boolean}');
        deps.requests.enable(input.enabled);
        return send(res, 200, { enabled: deps.requests.enabled });
      }
    }
    if (rawPath === '/__sim/faults') {
      if (method === 'GET') return send(res, 200, { rules: deps.faults.list() });
      if (method === 'DELETE') return (deps.faults.clear(), send(res, 204));
      if (method === 'PUT') {
        const input = json() as { rules?: unknown } | undefined;
        if (!Array.isArray(input?.rules)) return fail(res, 400, 'body must be {"rules": [rule, …]}');
        deps.faults.set(input.rules as FaultRule[]);
        return send(res, 200, { rules: deps.faults.list() });
      }
    }
    return fail(res, 404, `no control ${method} ${rawPath}`);
  } catch (err) {
    if (err instanceof FaultRuleError || err instanceof SyntaxError) return fail(res, 400, err.message);
    throw err;
  }
}
