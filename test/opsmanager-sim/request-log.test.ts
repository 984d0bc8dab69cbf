import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { API, rawRequest } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: the timestamped request log (/__sim/requests)', () => {
  let sim: SimHandle;
  let keysUrl: string;

  beforeEach(async () => {
    sim = await startSimulator({ admin: true });
    keysUrl = `${sim.url}${API}/orgs/${sim.orgId}/apiKeys`;
  });
  afterEach(() => sim.close());

  const control = (method: string, body?: unknown) => rawRequest(`${sim.url}/__sim/requests`, method, {}, body === undefined ? undefined : JSON.stringify(body));

  it('records nothing until enabled', async () => {
    await rawRequest(keysUrl, 'GET');
    const res = await control('GET');
    expect(JSON.parse(res.text)).to.deep.equal({ enabled: false, requests: [] });
  });

  it('records times, the target, the fault and Retry-After of a 429, and tells bodies apart by hash only', async () => {
    expect((await control('PUT', { enabled: true })).status).to.equal(200);
    sim.faults.set([{ method: 'POST', fault: 'status', status: 429, retryAfter: 3 }]);
    const before = Date.now();
    await rawRequest(`${keysUrl}?pageNum=1`, 'POST', { 'content-type': 'application/json' }, JSON.stringify({ desc: 'a', roles: ['ORG_MEMBER'] }));
    await rawRequest(`${keysUrl}?pageNum=1`, 'POST', { 'content-type': 'application/json' }, JSON.stringify({ desc: 'b', roles: ['ORG_MEMBER'] }));
    await rawRequest(keysUrl, 'GET');
    const { requests } = JSON.parse((await control('GET')).text) as { requests: Array<Record<string, unknown>> };
    expect(requests.map((r) => [r.method, r.target, r.route, r.status, r.retryAfter, r.fault])).to.deep.equal([
      ['POST', `/orgs/${sim.orgId}/apiKeys?pageNum=1`, '/orgs/{orgId}/apiKeys', 429, 3, 'status 429'],
      ['POST', `/orgs/${sim.orgId}/apiKeys?pageNum=1`, '/orgs/{orgId}/apiKeys', 429, 3, 'status 429'],
      ['GET', `/orgs/${sim.orgId}/apiKeys`, '/orgs/{orgId}/apiKeys', 401, undefined, undefined],
    ]);
    expect(requests[0]!.bodyHash).to.match(/^[0-9a-f]{16}$/).and.not.equal(requests[1]!.bodyHash);
    for (const r of requests) {
      expect(r.arrivedAt).to.be.a('number').at.least(before);
      expect(r.answeredAt).to.be.a('number').at.least(r.arrivedAt as number);
    }
    expect(JSON.stringify(requests)).not.to.include('"desc"');
    expect((await control('DELETE')).status).to.equal(204);
    expect(sim.requests.list()).to.deep.equal([]);
  });

  it('a held timeout has no answer time; a drop-after-apply keeps the status it would have sent', async () => {
    sim.requests.enable();
    sim.faults.set([{ method: 'GET', fault: 'timeout' }, { method: 'DELETE', fault: 'drop-after-apply' }]);
    const held = rawRequest(keysUrl, 'GET').catch(() => undefined);
    await rawRequest(`${keysUrl}/0123456789abcdef01234567`, 'DELETE').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const byMethod = Object.fromEntries(sim.requests.list().map((r) => [r.method, r]));
    expect(byMethod.GET).to.include({ status: 0, fault: 'timeout' });
    expect(byMethod.GET).not.to.have.property('answeredAt');
    expect(byMethod.DELETE).to.include({ status: 401, fault: 'drop-after-apply' });
    await sim.close();
    await held;
  });
});
