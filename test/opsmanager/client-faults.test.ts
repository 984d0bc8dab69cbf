import { expect } from 'chai';
import { collect } from '../../src/opsmanager/client.ts';
import type { OpsManagerClient } from '../../src/opsmanager/client.ts';
import { AmbiguousCreateError, RateLimitedError, UnavailableError } from '../../src/opsmanager/errors.ts';
import { harness, rejection, statusCount } from './helpers.ts';
import type { Harness } from './helpers.ts';

const KEYS = '/orgs/{orgId}/apiKeys';
const KEY = '/orgs/{orgId}/apiKeys/{keyId}';

describe('opsmanager/client against the simulator: faults and retries', () => {
  let h: Harness;
  let c: OpsManagerClient;
  beforeEach(async () => {
    h = await harness();
    c = h.client({ random: () => 0.5 });
    // Take the Digest challenge now, so that a fault rule hits the authenticated request.
    await c.getOrgKey(h.sim.orgId, h.sim.admin.id);
    h.sim.stats.reset();
  });
  afterEach(() => h.stop());

  const keyCount = () => h.sim.state.keysOfOrg(h.sim.orgId).length;

  it('latency: a slow answer inside the timeout is simply awaited', async () => {
    h.sim.faults.set([{ fault: 'latency', ms: 100, jitterMs: 50 }]);
    expect((await c.getOrgKey(h.sim.orgId, h.sim.admin.id)).id).to.equal(h.sim.admin.id);
    expect(h.sleeps).to.deep.equal([]);
  });

  it('5xx: GET is retried with exponential backoff and succeeds', async () => {
    h.sim.faults.set([{ fault: 'status', status: 503, count: 1 }, { fault: 'status', status: 500, count: 1 }, { fault: 'status', status: 502, count: 1 }]);
    expect((await c.getOrgKey(h.sim.orgId, h.sim.admin.id)).id).to.equal(h.sim.admin.id);
    expect(h.sleeps).to.deep.equal([125, 250, 500]);
    expect([statusCount(h.sim, 503), statusCount(h.sim, 500), statusCount(h.sim, 502), statusCount(h.sim, 200)]).to.deep.equal([1, 1, 1, 1]);
  });

  it('5xx: the last error surfaces as UnavailableError when attempts run out', async () => {
    h.sim.faults.set([{ fault: 'status', status: 500 }]);
    const err = await rejection(collect(c.listOrgKeys(h.sim.orgId)));
    expect(err).to.be.instanceOf(UnavailableError).and.include({ status: 500, errorCode: 'UNEXPECTED_ERROR' });
    expect(statusCount(h.sim, 500)).to.equal(4);
  });

  it('429: waits no less than Retry-After before retrying', async () => {
    h.sim.faults.set([{ fault: 'status', status: 429, retryAfter: 3, count: 1 }]);
    await c.updateOrgKey(h.sim.orgId, h.sim.admin.id, { desc: 'x' });
    expect(h.sleeps).to.deep.equal([3000]);
  });

  describe('a 429\'s Retry-After holds the whole connection, past the call that got it', () => {
    // One attempt per call: the call gives up on the 429, as a reconcile does when its retries run out.
    const once = { maxAttempts: 1 };
    const cases = [
      { name: 'the same request again, from the next call: waits the rest of Retry-After', retryAfter: 2, second: 'same', sleeps: [2000], sent: 2 },
      { name: 'another request on the same connection: waits too', retryAfter: 2, second: 'other', sleeps: [2000], sent: 2 },
      { name: 'a Retry-After longer than a call may wait: fails fast with the time left, nothing sent', retryAfter: 30, second: 'same', sleeps: [], sent: 1 },
    ] as const;
    for (const t of cases) {
      it(t.name, async () => {
        const rc = h.client({ retry: once });
        await rc.getOrgKey(h.sim.orgId, h.sim.admin.id);
        h.sim.stats.reset();
        h.sim.faults.set([{ method: 'PATCH', fault: 'status', status: 429, retryAfter: t.retryAfter, count: 1 }]);
        expect(await rejection(rc.updateOrgKey(h.sim.orgId, h.sim.admin.id, { desc: 'x' }))).to.be.instanceOf(RateLimitedError);
        const next = t.second === 'same' ? rc.updateOrgKey(h.sim.orgId, h.sim.admin.id, { desc: 'x' }) : rc.getOrgKey(h.sim.orgId, h.sim.admin.id);
        if (t.sent === 2) await next;
        else expect(await rejection(next)).to.be.instanceOf(RateLimitedError).and.include({ retryAfterMs: t.retryAfter * 1000 });
        expect(h.sleeps, 'waits before the second call was sent').to.deep.equal(t.sleeps);
        expect(h.sim.stats.list().reduce((n, r) => n + r.count, 0), 'requests that reached Ops Manager').to.equal(t.sent);
      });
    }

    it('another connection (another client) is not held', async () => {
      const a = h.client({ retry: once });
      const b = h.client({ retry: once });
      await a.getOrgKey(h.sim.orgId, h.sim.admin.id);
      await b.getOrgKey(h.sim.orgId, h.sim.admin.id);
      h.sim.faults.set([{ fault: 'status', status: 429, retryAfter: 30, count: 1 }]);
      await rejection(a.getOrgKey(h.sim.orgId, h.sim.admin.id));
      expect((await b.getOrgKey(h.sim.orgId, h.sim.admin.id)).id).to.equal(h.sim.admin.id);
      expect(h.sleeps).to.deep.equal([]);
    });
  });

  it('429 on create is safe to retry: the key is created once', async () => {
    h.sim.faults.set([{ method: 'POST', fault: 'status', status: 429, count: 1 }]);
    const before = keyCount();
    await c.createOrgKey(h.sim.orgId, { desc: 'k', roles: ['ORG_READ_ONLY'] });
    expect(keyCount()).to.equal(before + 1);
    expect(h.sleeps).to.have.length(1);
  });

  it('reset: GET is retried after a dropped connection', async () => {
    h.sim.faults.set([{ method: 'GET', fault: 'reset', count: 1 }]);
    expect((await c.getOrgKey(h.sim.orgId, h.sim.admin.id)).id).to.equal(h.sim.admin.id);
    expect([statusCount(h.sim, 0), statusCount(h.sim, 200)]).to.deep.equal([1, 1]);
  });

  it('timeout: a request that never gets an answer is abandoned and retried', async () => {
    const tc = h.client({ timeoutMs: 1000, random: () => 0 });
    h.sim.faults.set([{ method: 'GET', fault: 'timeout', count: 1 }]);
    expect((await tc.getOrgKey(h.sim.orgId, h.sim.admin.id)).id).to.equal(h.sim.admin.id);
    expect(h.sim.stats.count('GET', KEY)).to.be.at.least(2);
  });

  for (const [name, rule] of [
    ['drop-after-apply', { fault: 'drop-after-apply' }],
    ['5xx', { fault: 'status', status: 500 }],
    ['reset', { fault: 'reset' }],
  ] as const) {
    it(`${name} on create: AmbiguousCreateError, and only one create reached the simulator`, async () => {
      h.sim.faults.set([{ method: 'POST', path: KEYS, count: 1, ...rule }]);
      const err = await rejection(c.createOrgKey(h.sim.orgId, { desc: 'once', roles: ['ORG_READ_ONLY'] }));
      expect(err).to.be.instanceOf(AmbiguousCreateError).and.include({ code: 'OM_AMBIGUOUS_CREATE' });
      expect(h.sim.stats.count('POST', KEYS)).to.equal(1);
      expect(h.sleeps).to.deep.equal([]);
    });
  }

  it('drop-after-apply on create: the key does exist afterwards (the ambiguity is real)', async () => {
    h.sim.faults.set([{ method: 'POST', fault: 'drop-after-apply', count: 1 }]);
    const before = keyCount();
    await rejection(c.createProjectKey(h.sim.projectIds[0]!, { desc: 'once', roles: ['GROUP_READ_ONLY'] }));
    expect(keyCount()).to.equal(before + 1);
    expect(h.sim.stats.count('POST', '/groups/{groupId}/apiKeys')).to.equal(1);
  });

  it('timeout on create: AmbiguousCreateError without a second POST', async () => {
    const tc = h.client({ timeoutMs: 1000 });
    await tc.getOrgKey(h.sim.orgId, h.sim.admin.id);
    h.sim.faults.set([{ method: 'POST', fault: 'timeout', count: 1 }]);
    expect(await rejection(tc.createOrgKey(h.sim.orgId, { desc: 't', roles: ['ORG_READ_ONLY'] }))).to.be.instanceOf(AmbiguousCreateError);
    expect(h.sim.stats.count('POST', KEYS)).to.equal(1);
  });

  it('drop-after-apply on PATCH: retried and succeeds', async () => {
    const key = await c.createOrgKey(h.sim.orgId, { desc: 'p', roles: ['ORG_READ_ONLY'] });
    h.sim.faults.set([{ method: 'PATCH', fault: 'drop-after-apply', count: 1 }]);
    const updated = await c.updateOrgKey(h.sim.orgId, key.id, { roles: ['ORG_MEMBER'] });
    expect(updated.roles.map((r) => r.roleName)).to.deep.equal(['ORG_MEMBER']);
    expect(h.sim.stats.count('PATCH', KEY)).to.equal(2);
  });

  it('drop-after-apply on DELETE: retried, and "not found" on the retry counts as done', async () => {
    const key = await c.createOrgKey(h.sim.orgId, { desc: 'd', roles: ['ORG_READ_ONLY'] });
    h.sim.faults.set([{ method: 'DELETE', fault: 'drop-after-apply', count: 1 }]);
    await c.deleteOrgKey(h.sim.orgId, key.id);
    expect(h.sim.state.apiKeys.has(key.id)).to.equal(false);
    expect(h.sim.stats.count('DELETE', KEY)).to.equal(2);
  });

  it('drop-after-apply on access-list add and delete, and on unassign: retried and succeed', async () => {
    const { orgId } = h.sim;
    const project = h.sim.projectIds[0]!;
    const key = await c.createOrgKey(orgId, { desc: 'a', roles: ['ORG_READ_ONLY'] });
    await c.assignProjectKey(project, key.id, ['GROUP_READ_ONLY']);
    h.sim.faults.set([{ fault: 'drop-after-apply', count: 1 }]);
    const list = await c.addAccessList(orgId, key.id, [{ cidrBlock: '10.0.0.0/8' }]);
    expect(list.map((e) => e.cidrBlock)).to.deep.equal(['10.0.0.0/8']);
    h.sim.faults.set([{ fault: 'drop-after-apply', count: 1 }]);
    await c.deleteAccessListEntry(orgId, key.id, '10.0.0.0/8');
    h.sim.faults.set([{ fault: 'drop-after-apply', count: 1 }]);
    await c.unassignProjectKey(project, key.id);
    expect(h.sim.state.apiKeys.get(key.id)!.accessList).to.deep.equal([]);
    expect(await collect(c.listProjectKeys(project))).to.deep.equal([]);
  });

  it('a genuine duplicate on the first attempt is still a ConflictError', async () => {
    const key = await c.createOrgKey(h.sim.orgId, { desc: 'a', roles: ['ORG_READ_ONLY'] });
    await c.addAccessList(h.sim.orgId, key.id, [{ ipAddress: '192.0.2.7' }]);
    const err = await rejection(c.addAccessList(h.sim.orgId, key.id, [{ ipAddress: '192.0.2.7' }]));
    expect(err).to.have.property('code', 'OM_CONFLICT');
  });
});
