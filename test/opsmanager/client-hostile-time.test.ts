import { expect } from 'chai';
import { OpsManagerClient } from '../../src/opsmanager/client.ts';
import type { OpsManagerClientOptions } from '../../src/opsmanager/client.ts';
import {
  DeadlineExceededError, LimitExceededError, RateLimitedError, SlotWaitTimeoutError, UnavailableError,
} from '../../src/opsmanager/errors.ts';
import { DEFAULT_LIMITS } from '../../src/opsmanager/limits.ts';
import { systemClock } from '../../src/runtime/clock.ts';
import { ReconcileDeadline } from '../../src/runtime/reconcile-deadline.ts';
import { rejection } from './helpers.ts';
import { json, key, startHostile } from './hostile-server.ts';
import type { HostileServer } from './hostile-server.ts';

const CHALLENGE = 'Digest realm="MMS Public API", domain="", nonce="n1", algorithm=MD5, qop="auth", stale=false';

describe('opsmanager/client against a hostile endpoint: slow answers and Retry-After', () => {
  let s: HostileServer;
  const clients: OpsManagerClient[] = [];
  let sleeps: number[];
  const client = (extra: Partial<OpsManagerClientOptions> = {}): OpsManagerClient => {
    // Backoff waits are recorded and skipped; the deadline and the slot wait run on real time.
    const c = new OpsManagerClient({
      baseUrl: s.url, publicKey: 'p', privateKey: 'k', random: () => 0.5,
      sleep: (ms) => { sleeps.push(ms); return Promise.resolve(); }, ...extra,
    });
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    s = await startHostile();
    sleeps = [];
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await s.close();
  });

  it('a Retry-After of ten hours counts as 5 min: the call fails unsent-again, and the connection is held 5 min, not ten hours', async () => {
    s.handle((_req, res) => json(res, 429, { error: 429, errorCode: 'RATE_LIMITED', reason: 'Too Many Requests' }, { 'retry-after': '36000' }));
    const c = client();
    const first = await rejection(c.getOrgKey('o1', 'k1'));
    expect(first).to.be.instanceOf(RateLimitedError).and.include({ retryAfterMs: DEFAULT_LIMITS.maxRetryAfterMs });
    // The next call on the connection is not sent: it is told to come back within the cap.
    const second = await rejection(c.getOrgKey('o1', 'k2'));
    expect(second).to.be.instanceOf(RateLimitedError);
    expect((second as RateLimitedError).retryAfterMs).to.be.within(1, DEFAULT_LIMITS.maxRetryAfterMs);
    expect(s.requests).to.have.length(1);
    expect(sleeps).to.deep.equal([]);
  });

  it('a Retry-After date a year ahead counts as 5 min too', async () => {
    const later = new Date(Date.now() + 365 * 24 * 3600_000).toUTCString();
    s.handle((_req, res) => json(res, 429, { error: 429, errorCode: 'RATE_LIMITED' }, { 'retry-after': later }));
    const err = await rejection(client().getOrgKey('o1', 'k1'));
    expect(err).to.be.instanceOf(RateLimitedError).and.include({ retryAfterMs: DEFAULT_LIMITS.maxRetryAfterMs });
  });

  it('an answer that never comes: the call ends at its deadline, retries included', async () => {
    s.handle((_req, _res, ctx) => ctx.hold());
    const err = await rejection(client({ timeoutMs: 60_000, limits: { deadlineMs: 300 } }).getOrgKey('o1', 'k1'));
    // The request's timeout was cut to the deadline; no time was left to retry, so no retry was sent.
    expect(err).to.be.instanceOf(DeadlineExceededError).and.instanceOf(LimitExceededError)
      .and.include({ code: 'OM_DEADLINE_EXCEEDED', summary: 'a call longer than 300 ms' });
    expect((err as DeadlineExceededError).cause).to.be.instanceOf(UnavailableError);
    expect(sleeps).to.deep.equal([]);
    expect(s.requests).to.have.length(1);
  });

  it("a call inside a reconcile ends at the reconcile's deadline when it is the nearer, and says so", async () => {
    s.handle((_req, _res, ctx) => ctx.hold());
    const deadline = new ReconcileDeadline(systemClock, 300);
    const c = client({ timeoutMs: 60_000, reconcileDeadline: deadline });
    const err = await deadline.run(() => rejection(c.getOrgKey('o1', 'k1')));
    expect(err).to.be.instanceOf(DeadlineExceededError).and.include({ code: 'OM_DEADLINE_EXCEEDED', summary: 'a reconcile longer than 300 ms' });
    expect(s.requests).to.have.length(1);
    // Outside a reconcile the same client keeps the call's own deadline.
    const outside = await rejection(client({ timeoutMs: 60_000, limits: { deadlineMs: 200 }, reconcileDeadline: deadline }).getOrgKey('o1', 'k2'));
    expect(outside).to.include({ summary: 'a call longer than 200 ms' });
  });

  it("Digest's second round trip shares the call's deadline", async () => {
    s.handle((req, res, ctx) => {
      if (req.headers.authorization === undefined) json(res, 401, { error: 401 }, { 'www-authenticate': CHALLENGE });
      else ctx.hold();
    });
    const err = await rejection(client({ timeoutMs: 60_000, limits: { deadlineMs: 300 } }).getOrgKey('o1', 'k1'));
    expect(err).to.be.instanceOf(DeadlineExceededError);
    expect(s.requests).to.have.length(2);
  });

  it('a slow connection holds its slots; a call that waits longer than the bound for one fails unsent, retriable', async () => {
    s.handle((req, res, ctx) => {
      if (req.url?.endsWith('/slow')) ctx.hold();
      else json(res, 200, key(1));
    });
    const c = client({ maxConcurrency: 1, limits: { maxSlotWaitMs: 50 } });
    const slow = c.getOrgKey('o1', 'slow');
    const err = await rejection(c.getOrgKey('o1', 'k1'));
    expect(err).to.be.instanceOf(SlotWaitTimeoutError).and.instanceOf(LimitExceededError)
      .and.include({ code: 'OM_SLOT_WAIT_TIMEOUT', summary: 'no request slot free on this connection within 50 ms' });
    expect(s.requests.map((u) => u.split('/').pop())).to.deep.equal(['slow']);
    // Once the slow answer comes, the slot is free again, and the waiter that gave up left no trace.
    s.releaseAll();
    await rejection(slow); // `{}` is not a key
    expect((await c.getOrgKey('o1', 'k1')).desc).to.equal('k1');
    expect(s.requests).to.have.length(2);
  });
});
