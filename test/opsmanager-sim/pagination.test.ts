import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { SimClient } from '../../tools/opsmanager-sim/sim-client.ts';
import type { Body } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: pagination', () => {
  let sim: SimHandle;
  let admin: SimClient;
  let keys: string;
  let self: string;

  const rels = (b: Body): Record<string, string> => Object.fromEntries(b.links.map((l) => [l.rel, l.href]));

  before(async () => {
    sim = await startSimulator();
    admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    keys = `/orgs/${sim.orgId}/apiKeys`;
    self = `${sim.url}/api/public/v1.0${keys}`;
    // 10 keys in all with the bootstrap key.
    for (let i = 1; i < 10; i++) sim.state.addKey(sim.orgId, `k${i}`, [{ orgId: sim.orgId, roleName: 'ORG_MEMBER' }]);
  });
  after(() => sim.close());

  it('defaults to page 1 of 100 with only a self link', async () => {
    const res = await admin.get(keys);
    expect(res.body.totalCount).to.equal(10);
    expect(res.body.results).to.have.length(10);
    expect(res.body.links).to.deep.equal([{ href: `${self}?pageNum=1&itemsPerPage=100`, rel: 'self' }]);
    expect(Object.keys(res.body)).to.deep.equal(['links', 'results', 'totalCount']);
  });

  it('gives next on the first page, previous and next in the middle, previous on the last', async () => {
    const first = await admin.get(`${keys}?itemsPerPage=4`);
    expect(rels(first.body)).to.deep.equal({ self: `${self}?pageNum=1&itemsPerPage=4`, next: `${self}?pageNum=2&itemsPerPage=4` });
    const mid = await admin.get(`${keys}?itemsPerPage=4&pageNum=2`);
    expect(Object.keys(rels(mid.body)).sort()).to.deep.equal(['next', 'previous', 'self']);
    const last = await admin.get(`${keys}?itemsPerPage=4&pageNum=3`);
    expect(last.body.results).to.have.length(2);
    expect(rels(last.body)).to.deep.equal({ self: `${self}?pageNum=3&itemsPerPage=4`, previous: `${self}?pageNum=2&itemsPerPage=4` });
    const ids = [first, mid, last].flatMap((r) => r.body.results.map((k) => k.id));
    expect(new Set(ids).size).to.equal(10);
  });

  it('has no next link when the last page is exactly full', async () => {
    const res = await admin.get(`${keys}?itemsPerPage=5&pageNum=2`);
    expect(res.body.results).to.have.length(5);
    expect(Object.keys(rels(res.body)).sort()).to.deep.equal(['previous', 'self']);
  });

  it('answers an empty page past the end, and an empty list, with 200', async () => {
    const past = await admin.get(`${keys}?itemsPerPage=5&pageNum=7`);
    expect(past.status).to.equal(200);
    expect(past.body.results).to.deep.equal([]);
    const empty = await admin.get(`/groups/${sim.projectIds[0]!}/apiKeys`);
    expect([empty.status, empty.body.totalCount]).to.deep.equal([200, 0]);
    expect(empty.body.results).to.deep.equal([]);
    expect(empty.body.links.map((l) => l.rel)).to.deep.equal(['self']);
  });

  it('leaves totalCount out with includeCount=false', async () => {
    const res = await admin.get(`${keys}?includeCount=false`);
    expect(res.body).not.to.have.property('totalCount');
    expect(res.body.results).to.have.length(10);
  });

  it('accepts itemsPerPage=500 and refuses 501, 0 and junk with 400', async () => {
    expect((await admin.get(`${keys}?itemsPerPage=500`)).status).to.equal(200);
    for (const q of ['itemsPerPage=501', 'itemsPerPage=0', 'pageNum=0', 'pageNum=x', 'includeCount=maybe']) {
      const res = await admin.get(`${keys}?${q}`);
      expect([res.status, res.body.errorCode], q).to.deep.equal([400, 'INVALID_QUERY_PARAMETER']);
    }
    const al = await admin.get(`${keys}/${sim.admin.id}/accessList?itemsPerPage=501`);
    expect(al.status).to.equal(400);
  });
});
