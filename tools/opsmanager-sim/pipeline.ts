import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAdmin } from './admin.ts';
import { authenticate } from './auth.ts';
import type { Reply } from './context.ts';
import type { NonceStore } from './digest.ts';
import { API_PREFIX, errors } from './errors.ts';
import type { Faults } from './faults.ts';
import { readBody, send, sendError, toApiError } from './http-io.ts';
import { normaliseCaller } from './ip.ts';
import { matchRoute } from './router.ts';
import type { Route } from './router.ts';
import { bodyHash, type RequestLog } from './request-log.ts';
import type { SimState } from './state.ts';
import type { Stats } from './stats.ts';

export interface PipelineDeps {
  state: SimState;
  nonces: NonceStore;
  faults: Faults;
  stats: Stats;
  /** Timestamped requests, recorded only while enabled. */
  requests: RequestLog;
  routes: Route[];
  admin: boolean;
  tls: boolean;
  now: () => number;
  /** Requests held open by a `timeout` fault, answered never; destroyed on close. */
  held: Set<IncomingMessage>;
}

/** One request: controls, faults, Digest, routing, handler, persistence, statistics. */
export async function handleRequest(req: IncomingMessage, res: ServerResponse, deps: PipelineDeps): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));

  if (rawPath === '/__sim' || rawPath.startsWith('/__sim/')) {
    if (deps.admin) return handleAdmin(req, res, rawPath, deps);
    return sendError(res, errors.resourceNotFound(rawPath));
  }
  if (!rawPath.startsWith(API_PREFIX + '/')) return sendError(res, errors.resourceNotFound(rawPath));

  const apiPath = rawPath.slice(API_PREFIX.length);
  const match = matchRoute(deps.routes, method, apiPath);
  const label = match.kind === 'none' ? '(unmatched)' : match.kind === 'ok' ? match.route.template : match.template;
  const arrivedAt = deps.now();
  const target = rawUrl.slice(API_PREFIX.length);
  // The body is read up front only while the request log is on, so that it can tell a retry
  // (same body) from another resource's request to the same path; otherwise nothing changes.
  const early = deps.requests.enabled ? readBody(req) : undefined;
  const logged = async (status: number, extra: { retryAfter?: number; answered?: boolean } = {}): Promise<void> => {
    deps.stats.record(method, label, status);
    if (!deps.requests.enabled) return;
    const body = early ? await early.catch(() => '') : '';
    deps.requests.record({
      arrivedAt, method, target, route: label, status, bodyHash: bodyHash(body),
      ...(extra.answered === false ? {} : { answeredAt: deps.now() }),
      ...(extra.retryAfter !== undefined ? { retryAfter: extra.retryAfter } : {}),
      ...(fault ? { fault: fault.fault === 'status' ? `status ${fault.status ?? 500}` : fault.fault } : {}),
    });
  };

  const decision = deps.faults.decide(method, apiPath);
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  const fault = decision.terminal;
  if (fault?.fault === 'reset') {
    await logged(0);
    req.socket.destroy();
    return;
  }
  if (fault?.fault === 'timeout') {
    await logged(0, { answered: false });
    deps.held.add(req);
    req.socket.once('close', () => deps.held.delete(req));
    req.resume();
    return;
  }
  if (fault?.fault === 'status') {
    const status = fault.status ?? 500;
    const err = status === 429 ? errors.rateLimited() : status === 502 ? errors.badGateway() : status === 503 ? errors.serviceUnavailable() : errors.unexpected();
    const retryAfter = status === 429 ? fault.retryAfter : undefined;
    await logged(status, retryAfter !== undefined ? { retryAfter } : {});
    const headers: Record<string, string> = retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {};
    return send(res, status, err.body(), headers);
  }

  let reply: Reply;
  let headers: Record<string, string> = {};
  try {
    const body = await (early ?? readBody(req));
    const callerAddress = normaliseCaller(req.socket.remoteAddress ?? '');
    const caller = authenticate({ method, rawUrl, authorization: req.headers.authorization, callerAddress }, deps.state, deps.nonces, deps.now);
    if (match.kind === 'none') throw errors.resourceNotFound(API_PREFIX + apiPath);
    if (match.kind === 'method') throw errors.methodNotAllowed(method, API_PREFIX + apiPath);
    const host = req.headers.host ?? 'localhost';
    const apiBase = `${deps.tls ? 'https' : 'http'}://${host}${API_PREFIX}`;
    reply = match.route.handler({ params: match.params, query, body, caller, callerAddress, state: deps.state, apiBase, now: deps.now });
    if (reply.changed) deps.state.save();
  } catch (err) {
    const apiErr = toApiError(err);
    if (apiErr.status === 500) process.stderr.write(`opsmanager-sim: ${method} ${label}: ${String(err)}\n`);
    reply = { status: apiErr.status, body: apiErr.body() };
    headers = apiErr.headers;
  }
  if (fault?.fault === 'drop-after-apply') {
    await logged(reply.status);
    req.socket.destroy();
    return;
  }
  // Carried out, its answer held back: a call whose outcome the caller cannot know for `ms`.
  if (fault?.fault === 'delay-after-apply') await holdAnswer(req, fault.ms ?? 0);
  await logged(reply.status, headers['Retry-After'] !== undefined ? { retryAfter: Number(headers['Retry-After']) } : {});
  send(res, reply.status, reply.body, headers);
}

/** Waits `ms`, or less if the caller hangs up first (nothing would read the answer). */
function holdAnswer(req: IncomingMessage, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      req.socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    req.socket.once('close', done);
  });
}
