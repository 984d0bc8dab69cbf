import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import tls from 'node:tls';
import got from 'got';
import type { Got } from 'got';
import type { Logger } from 'pino';
import { sendBounded } from './bounded-send.ts';
import type { Answer } from './bounded-send.ts';
import { errorFromResponse, errorFromTransport } from './classify.ts';
import { DigestSession, parseDigestChallenge } from './digest.ts';
import {
  AmbiguousCreateError, DeadlineExceededError, LimitExceededError, OpsManagerError, RateLimitedError,
  SlotWaitTimeoutError, isRetryable,
} from './errors.ts';
import { ConcurrencyLimiter, RateLimiter } from './limiter.ts';
import { resolveLimits } from './limits.ts';
import type { ClientLimits } from './limits.ts';
import { gateDecision, RetryAfterGate } from './retry-after-gate.ts';
import { backoffDelay, resolveRetry, shouldRetry } from './retry-policy.ts';
import type { ResolvedRetryOptions, RetryOptions } from './retry-policy.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RequestInfo { route: string; method: string; status: number | 'error'; seconds: number }

export interface TransportOptions {
  baseUrl: string;
  publicKey: string;
  privateKey: string;
  caPem?: string;
  insecureSkipTlsVerify?: boolean;
  /** Resolves host names for this client's sockets; a namespaced connection's refuses loopback and link-local (address-guard.ts). */
  lookup?: LookupFunction;
  timeoutMs?: number;
  maxConcurrency?: number;
  maxRequestsPerSecond?: number;
  retry?: RetryOptions;
  /** Longest wait for a 429's Retry-After that a call sits through before it fails fast (default 5 s). */
  maxRetryAfterWaitMs?: number;
  /** Bounds on answers, listings and waits (see limits.ts for the defaults). */
  limits?: Partial<ClientLimits>;
  /** The calling reconcile's own deadline (`leftMs` undefined outside one): every call ends within it too. */
  reconcileDeadline?: { readonly budgetMs: number; leftMs(): number | undefined };
  logger?: Logger;
  version?: string;
  onRequest?: (info: RequestInfo) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** false: forget the nonce after every request (only to measure what reuse saves). */
  reuseNonce?: boolean;
}

export interface RequestSpec {
  method: Method;
  url: string;
  /** Templated path for metrics and logs, e.g. /orgs/{orgId}/apiKeys/{keyId}. */
  route: string;
  body?: unknown;
  /** A key creation: once the request may have been processed, it is never sent again. */
  create?: boolean;
  /**
   * Called when a retry fails after an earlier attempt's outcome was unknown (e.g. a DELETE
   * that answers 404 because the first, lost attempt already applied). Returns the result
   * to use, or undefined to surface the error.
   */
  recover?: (err: OpsManagerError) => Promise<unknown>;
  /** Most bytes of the answer's body: limits.maxListBodyBytes for a list, else maxObjectBodyBytes. */
  maxBytes?: number;
}

/** A call's parsed body and how many bytes it was (a listing bounds its pages' sum). */
export interface Reply { value: unknown; bytes: number }

const API_PATH = '/api/public/v1.0';
const MAX_CHALLENGE_ROUNDS = 3;
const MAX_GATE_WAITS = 3;

export class Transport {
  readonly apiBase: string;
  readonly digest: DigestSession;
  readonly concurrency: ConcurrencyLimiter;
  readonly limits: ClientLimits;
  private readonly rate: RateLimiter | undefined;
  private readonly retry: ResolvedRetryOptions;
  private readonly got: Got;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly gate: RetryAfterGate;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;

  constructor(private readonly o: TransportOptions) {
    const base = o.baseUrl.replace(/\/+$/, '');
    this.apiBase = base.endsWith(API_PATH) ? base : base + API_PATH;
    this.digest = new DigestSession(o.publicKey, o.privateKey);
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = o.random ?? Math.random;
    this.now = o.now ?? (() => performance.now());
    this.retry = resolveRetry(o.retry);
    this.limits = resolveLimits(o.limits);
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.deadlineMs = this.limits.deadlineMs ?? this.retry.budgetMs + this.timeoutMs;
    this.gate = new RetryAfterGate(this.now);
    const maxConcurrency = o.maxConcurrency ?? 8;
    this.concurrency = new ConcurrencyLimiter(maxConcurrency);
    this.rate = o.maxRequestsPerSecond !== undefined
      ? new RateLimiter(o.maxRequestsPerSecond, { now: this.now, sleep: this.sleep })
      : undefined;
    const rejectUnauthorized = o.insecureSkipTlsVerify !== true;
    if (!rejectUnauthorized) {
      o.logger?.warn({ baseUrl: base }, 'TLS CERTIFICATE VERIFICATION IS DISABLED for Ops Manager (insecureSkipTlsVerify): the connection can be intercepted');
    }
    // A private CA is added to the public roots, not substituted for them.
    const ca = o.caPem !== undefined ? [...tls.rootCertificates, o.caPem] : undefined;
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: maxConcurrency, ...(o.lookup ? { lookup: o.lookup } : {}) }),
      https: new https.Agent({ keepAlive: true, maxSockets: maxConcurrency, rejectUnauthorized, ...(ca ? { ca } : {}), ...(o.lookup ? { lookup: o.lookup } : {}) }),
    };
    this.got = got.extend({
      agent: this.agents,
      https: { rejectUnauthorized, ...(ca ? { certificateAuthority: ca } : {}) },
      headers: { 'user-agent': `omkeys/${o.version ?? '0.0.0'}`, accept: 'application/json' },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      // A compressed body would be bounded compressed and then inflated without bound.
      decompress: false,
    });
  }

  url(path: string): string {
    return this.apiBase + path;
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Sends one logical call: Digest handshake, limits, retries. Resolves to the parsed body. */
  async request(spec: RequestSpec): Promise<unknown> {
    return (await this.call(spec)).value;
  }

  /** As request, with the size of the body that was read. */
  async call(spec: RequestSpec): Promise<Reply> {
    const started = this.now();
    const path = new URL(spec.url).pathname;
    const apiPath = new URL(this.apiBase).pathname;
    const what = `${spec.method} ${path.startsWith(apiPath) ? path.slice(apiPath.length) || '/' : path}`;
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      let err: OpsManagerError;
      let sent = true;
      try {
        const res = await this.exchange(spec, what, started);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          return { value: parseBody(res.body, what), bytes: Buffer.byteLength(res.body) };
        }
        const retryAfter = res.headers['retry-after'];
        err = errorFromResponse(what, res.statusCode, res.body, retryAfter, Date.now(), this.limits.maxRetryAfterMs);
      } catch (e) {
        // Held back before sending (Retry-After, no slot, no time left): nothing went out.
        if (e instanceof RateLimitedError || e instanceof SlotWaitTimeoutError || e instanceof DeadlineExceededError) {
          throw e;
        }
        ({ error: err, sent } = errorFromTransport(what, e));
      }
      if (err instanceof RateLimitedError && err.retryAfterMs !== undefined) this.gate.hold(err.retryAfterMs);
      // Only a refusal (4xx) says a create was not processed; a 2xx too large to read made a key.
      const refused = err.status !== undefined && err.status >= 400 && err.status < 500;
      if (spec.create && sent && !refused) {
        throw new AmbiguousCreateError(`${what}: outcome unknown, a key may have been created: ${err.message}`, {
          ...(err.status !== undefined ? { status: err.status } : {}), cause: err,
        });
      }
      if (uncertain && spec.recover && !isRetryable(err)) {
        const recovered = await spec.recover(err);
        if (recovered !== undefined) return { value: recovered, bytes: 0 };
      }
      // The same endpoint would pass the same bound again.
      if (!isRetryable(err) || err instanceof LimitExceededError) throw err;
      const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs;
      const delay = backoffDelay(attempt, this.retry, this.random, retryAfterMs);
      if (!shouldRetry(attempt, delay, this.now() - started, this.retry)) throw err;
      // Waiting only to find no time left for the next attempt helps no one.
      if (this.leftMs(started) <= delay) throw this.deadlineExceeded(what, started, err);
      uncertain ||= sent && err.status !== 429;
      this.o.logger?.debug({ method: spec.method, route: spec.route, attempt, delayMs: delay, code: err.code, status: err.status }, 'retrying Ops Manager request');
      await this.sleep(delay);
    }
  }

  /** One request, answering Digest challenges (first contact, stale or rotated nonce). */
  private async exchange(spec: RequestSpec, what: string, started: number): Promise<Answer> {
    const target = new URL(spec.url);
    const uri = target.pathname + target.search;
    let answeredFresh = false;
    for (let round = 1; ; round++) {
      const auth = this.digest.authorize(spec.method, uri);
      const res = await this.send(spec, auth?.header, what, started);
      if (this.o.reuseNonce === false) this.digest.reset();
      if (res.statusCode !== 401 || round >= MAX_CHALLENGE_ROUNDS) return res;
      const challenge = parseDigestChallenge(res.headers['www-authenticate']);
      if (challenge === undefined) return res;
      // A non-stale challenge after a sent Authorization means wrong credentials, unless the
      // nonce changed under us; answer that once.
      const answer = auth === undefined || challenge.stale || (challenge.nonce !== auth.nonce && !answeredFresh);
      if (!answer || !this.digest.accept(challenge)) return res;
      if (auth !== undefined && !challenge.stale) answeredFresh = true;
    }
  }

  private async send(spec: RequestSpec, authorization: string | undefined, what: string, started: number): Promise<Answer> {
    const release = await this.admit(spec, what, started);
    const t0 = this.now();
    let status: number | 'error' = 'error';
    try {
      // Each request's timeout is cut to what is left of the call's deadline.
      const leftMs = this.leftMs(started);
      if (leftMs <= 0) throw this.deadlineExceeded(what, started);
      const res = await sendBounded(this.got, spec.url, what, {
        method: spec.method,
        headers: {
          ...(authorization !== undefined ? { authorization } : {}),
          ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
        timeoutMs: Math.max(1, Math.min(this.timeoutMs, leftMs)),
        maxBytes: spec.maxBytes ?? this.limits.maxObjectBodyBytes,
        maxErrorBytes: this.limits.maxErrorBodyBytes,
      });
      status = res.statusCode;
      return res;
    } finally {
      release();
      const seconds = (this.now() - t0) / 1000;
      this.o.onRequest?.({ route: spec.route, method: spec.method, status, seconds });
      this.o.logger?.debug({ method: spec.method, route: spec.route, status, seconds }, 'Ops Manager request');
    }
  }

  /** Whose deadline ran out: the call's own, or the calling reconcile's when it was the nearer. */
  private deadlineExceeded(what: string, started: number, cause?: unknown): DeadlineExceededError {
    const r = this.o.reconcileDeadline;
    const callerLeft = r?.leftMs();
    return r && callerLeft !== undefined && callerLeft <= started + this.deadlineMs - this.now()
      ? new DeadlineExceededError(what, r.budgetMs, cause, 'reconcile')
      : new DeadlineExceededError(what, this.deadlineMs, cause);
  }

  private leftMs(started: number): number {
    return Math.min(started + this.deadlineMs - this.now(), this.o.reconcileDeadline?.leftMs() ?? Infinity);
  }

  /**
   * A slot, a turn of the rate limit, and the connection's Retry-After passed. The hold is looked
   * at last, with the slot held, so that a 429 answered while this request queued still holds it.
   */
  private async admit(spec: RequestSpec, what: string, started: number): Promise<() => void> {
    const limits = { budgetMs: this.retry.budgetMs, maxWaitMs: this.o.maxRetryAfterWaitMs ?? 5_000 };
    for (let round = 1; ; round++) {
      const slotWaitMs = Math.min(this.limits.maxSlotWaitMs, this.leftMs(started));
      if (slotWaitMs <= 0) throw this.deadlineExceeded(what, started);
      const release = await this.concurrency.acquireWithin(slotWaitMs);
      if (release === undefined) {
        throw slotWaitMs < this.limits.maxSlotWaitMs
          ? this.deadlineExceeded(what, started)
          : new SlotWaitTimeoutError(what, slotWaitMs);
      }
      if (this.rate) await this.rate.take();
      const d = gateDecision(this.gate.remainingMs(), this.now() - started, limits);
      if (d.kind === 'send') return release;
      release();
      // Later 429s may move the instant again; a few waits, then the caller is told when to come back.
      if (d.kind === 'refuse' || round > MAX_GATE_WAITS) {
        const retryAfterMs = d.kind === 'refuse' ? d.retryAfterMs : d.ms;
        throw new RateLimitedError(`${what}: not sent: Ops Manager asked (Retry-After) that nothing be sent for ${retryAfterMs} ms more`, { retryAfterMs });
      }
      this.o.logger?.debug({ method: spec.method, route: spec.route, delayMs: d.ms }, 'waiting for Ops Manager\'s Retry-After');
      await this.sleep(d.ms);
    }
  }
}

function parseBody(text: string, what: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The body is not quoted: it may hold a freshly created private key.
    throw new OpsManagerError(`${what}: response is not JSON`);
  }
}
