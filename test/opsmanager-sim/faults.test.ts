import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { API, rawRequest, SimClient, waitFor } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: fault injection', () => {
  let sim: SimHandle;
  let admin: SimClient;
  let keysUrl: string;

  beforeEach(async () => {
    sim = await startSimulator({ admin: true });
    admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    keysUrl = `${sim.url}${API}/orgs/${sim.orgId}/apiKeys`;
  });
  afterEach(() => sim.close());

  const putFaults = (rules: unknown) => rawRequest(`${sim.url}/__sim/faults`, 'PUT', {}, JSON.stringify({ rules }));
  const failure = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    return 'answered';
  };

  it('status: answers 503/500/502 with an error body, and 429 with Retry-After', async () => {
    expect((await putFaults([{ path: '/orgs/*/apiKeys', fault: 'status', status: 503 }])).status).to.equal(200);
    const res = await rawRequest(keysUrl, 'GET');
    expect(res.status).to.equal(503);
    expect(JSON.parse(res.text)).to.have.property('error', 503);
    for (const status of [500, 502]) {
      sim.faults.set([{ fault: 'status', status }]);
      expect((await rawRequest(keysUrl, 'GET')).status).to.equal(status);
    }
    sim.faults.set([{ fault: 'status', status: 429, retryAfter: 7 }]);
    const limited = await rawRequest(keysUrl, 'GET');
    expect(limited.status).to.equal(429);
    expect(limited.headers['retry-after']).to.equal('7');
    expect(JSON.parse(limited.text)).to.have.property('errorCode', 'RATE_LIMITED');
  });

  it('honours method, path pattern, count and rate', async () => {
    sim.faults.set([{ method: 'POST', path: '/orgs/*/apiKeys', fault: 'status', status: 500, count: 1 }]);
    expect((await admin.get(`/orgs/${sim.orgId}/apiKeys`)).status).to.equal(200);
    expect((await admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc: 'a', roles: ['ORG_MEMBER'] })).status).to.equal(500);
    expect((await admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc: 'b', roles: ['ORG_MEMBER'] })).status).to.equal(200);
    sim.faults.set([{ path: '/groups/{groupId}/apiKeys', fault: 'status', status: 503 }, { fault: 'status', status: 500, rate: 0 }]);
    expect((await rawRequest(`${sim.url}${API}/groups/${sim.projectIds[0]!}/apiKeys`, 'GET')).status).to.equal(503);
    expect((await admin.get(`/orgs/${sim.orgId}/apiKeys`)).status).to.equal(200);
  });

  it('latency: holds the answer back (a short client timeout fires), then answers normally', async () => {
    sim.faults.set([{ fault: 'latency', ms: 4000, jitterMs: 100, count: 1 }]);
    expect(await failure(rawRequest(keysUrl, 'GET', {}, undefined, 150))).to.equal('client timeout');
    sim.faults.clear();
    expect((await rawRequest(keysUrl, 'GET')).status).to.equal(401);
  });

  it('reset: closes the connection before answering', async () => {
    sim.faults.set([{ fault: 'reset' }]);
    expect(await failure(rawRequest(keysUrl, 'GET'))).to.be.oneOf(['ECONNRESET', 'socket hang up']);
    expect(sim.stats.list()).to.deep.include({ method: 'GET', route: '/orgs/{orgId}/apiKeys', status: 0, count: 1 });
  });

  it('timeout: never answers', async () => {
    sim.faults.set([{ fault: 'timeout' }]);
    expect(await failure(rawRequest(keysUrl, 'GET', {}, undefined, 300))).to.equal('client timeout');
  });

  it('drop-after-apply: carries out the create, then drops the connection without an answer', async () => {
    expect((await admin.get(`/orgs/${sim.orgId}/apiKeys`)).status).to.equal(200);
    sim.faults.set([{ method: 'POST', fault: 'drop-after-apply', count: 1 }]);
    const outcome = await failure(admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc: 'ghost', roles: ['ORG_MEMBER'] }));
    expect(outcome).to.be.oneOf(['ECONNRESET', 'socket hang up']);
    expect(sim.state.keysOfOrg(sim.orgId).map((k) => k.desc)).to.include('ghost');
  });

  it('delay-after-apply: carries out the create at once and answers it only after ms', async () => {
    expect((await admin.get(`/orgs/${sim.orgId}/apiKeys`)).status).to.equal(200);
    sim.faults.set([{ method: 'POST', fault: 'delay-after-apply', ms: 1500, count: 1 }]);
    const sent = Date.now();
    let answeredAt: number | undefined;
    const answer = admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc: 'late', roles: ['ORG_MEMBER'] }).then((res) => {
      answeredAt = Date.now();
      return res;
    });
    // Carried out while the answer is still held: the key is there before the caller hears of it.
    await waitFor(() => sim.state.keysOfOrg(sim.orgId).some((k) => k.desc === 'late'), 1000);
    expect(answeredAt).to.equal(undefined);
    expect((await answer).status).to.equal(200);
    expect(answeredAt! - sent).to.be.at.least(1500);
  });

  it('DELETE /__sim/faults clears the rules; bad rules are refused with 400', async () => {
    await putFaults([{ fault: 'status', status: 500 }]);
    expect((await rawRequest(`${sim.url}/__sim/faults`, 'DELETE')).status).to.equal(204);
    expect((await rawRequest(keysUrl, 'GET')).status).to.equal(401);
    for (const rule of [{ fault: 'explode' }, { fault: 'status', status: 418 }, { fault: 'latency', rate: 2 }, { fault: 'reset', extra: 1 }]) {
      expect((await putFaults([rule])).status, JSON.stringify(rule)).to.equal(400);
    }
    expect((await rawRequest(`${sim.url}/__sim/faults`, 'GET')).text).to.equal('{"rules":[]}');
  });
});
