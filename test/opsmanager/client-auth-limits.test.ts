import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { harness, statusCount } from './helpers.ts';
import type { Harness } from './helpers.ts';

/** A pass-through HTTP proxy that records how many requests were in flight at once. */
async function countingProxy(target: string): Promise<{ url: string; peak: () => number; total: () => number; close: () => Promise<void> }> {
  const to = new URL(target);
  let inFlight = 0;
  let peak = 0;
  let total = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    total++;
    peak = Math.max(peak, inFlight);
    const up = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    // 'finish' fires once the answer is handed to the kernel, before the client can read it.
    let done = false;
    const end = () => { if (!done) { done = true; inFlight--; } };
    res.on('finish', end);
    res.on('close', end);
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    peak: () => peak,
    total: () => total,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('opsmanager/client against the simulator: Digest nonces and limits', () => {
  let h: Harness;
  afterEach(() => h.stop());

  describe('nonces', () => {
    let clock = 1_700_000_000_000;
    beforeEach(async () => {
      h = await harness({ now: () => clock, nonceTtlMs: 60_000 });
    });

    it('reuses one nonce: a single 401 for many sequential and concurrent calls', async () => {
      const c = h.client();
      for (let i = 0; i < 10; i++) await c.getOrgKey(h.sim.orgId, h.sim.admin.id);
      await Promise.all(Array.from({ length: 10 }, () => c.getOrgKey(h.sim.orgId, h.sim.admin.id)));
      expect(statusCount(h.sim, 401)).to.equal(1);
      expect(statusCount(h.sim, 200)).to.equal(20);
    });

    it('without reuse (benchmark mode) every call pays a challenge', async () => {
      const c = h.client({ reuseNonce: false });
      for (let i = 0; i < 5; i++) await c.getOrgKey(h.sim.orgId, h.sim.admin.id);
      expect([statusCount(h.sim, 401), statusCount(h.sim, 200)]).to.deep.equal([5, 5]);
    });

    it('answers stale=true with the new nonce, also for a create, without an error', async () => {
      const c = h.client();
      await c.getOrgKey(h.sim.orgId, h.sim.admin.id);
      clock += 120_000;
      const key = await c.createOrgKey(h.sim.orgId, { desc: 'after stale', roles: ['ORG_READ_ONLY'] });
      expect(key.privateKey).to.have.length(36);
      expect(statusCount(h.sim, 401)).to.equal(2);
      expect(h.sim.stats.count('POST', '/orgs/{orgId}/apiKeys')).to.equal(2);
      expect(h.sim.state.keysOfOrg(h.sim.orgId).filter((k) => k.desc === 'after stale')).to.have.length(1);
      clock += 120_000;
      expect((await c.getOrgKey(h.sim.orgId, key.id)).id).to.equal(key.id);
      expect(statusCount(h.sim, 401)).to.equal(3);
      expect(h.sleeps).to.deep.equal([]);
    });
  });

  describe('limits', () => {
    beforeEach(async () => {
      h = await harness();
    });

    it('never has more than maxConcurrency requests in flight (counted by a proxy)', async () => {
      const proxy = await countingProxy(h.sim.url);
      try {
        const c = h.client({ baseUrl: proxy.url, maxConcurrency: 2 });
        await c.getOrgKey(h.sim.orgId, h.sim.admin.id);
        h.sim.faults.set([{ method: 'GET', fault: 'latency', ms: 50 }]);
        const keys = await Promise.all(Array.from({ length: 8 }, () => c.getOrgKey(h.sim.orgId, h.sim.admin.id)));
        expect(keys).to.have.length(8);
        expect(proxy.total()).to.equal(10);
        expect(proxy.peak()).to.equal(2);
        expect(c.peakConcurrency).to.equal(2);
      } finally {
        await proxy.close();
      }
    });

    it('spaces request starts to maxRequestsPerSecond (waits counted on a frozen clock)', async () => {
      const sends: string[] = [];
      const c = h.client({ maxRequestsPerSecond: 5, now: () => 0, onRequest: (i) => sends.push(`${i.method} ${i.route} ${i.status}`) });
      for (let i = 0; i < 3; i++) await c.getOrgKey(h.sim.orgId, h.sim.admin.id);
      await c.createOrgKey(h.sim.orgId, { desc: 'r', roles: ['ORG_READ_ONLY'] });
      expect(sends).to.deep.equal([
        'GET /orgs/{orgId}/apiKeys/{keyId} 401',
        'GET /orgs/{orgId}/apiKeys/{keyId} 200',
        'GET /orgs/{orgId}/apiKeys/{keyId} 200',
        'GET /orgs/{orgId}/apiKeys/{keyId} 200',
        'POST /orgs/{orgId}/apiKeys 200',
      ]);
      expect(h.sleeps).to.deep.equal([200, 400, 600, 800]);
    });
  });
});
