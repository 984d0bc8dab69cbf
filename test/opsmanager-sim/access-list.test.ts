import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { SimClient } from '../../tools/opsmanager-sim/sim-client.ts';
import type { ApiKey } from '../../tools/opsmanager-sim/state.ts';

describe('opsmanager-sim: access lists', () => {
  let sim: SimHandle;
  let admin: SimClient;
  let key: ApiKey;
  let list: string;

  beforeEach(async () => {
    sim = await startSimulator({ now: () => Date.parse('2024-05-06T07:08:09.123Z') });
    admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    key = sim.state.addKey(sim.orgId, 'target', [{ orgId: sim.orgId, roleName: 'ORG_MEMBER' }]);
    list = `/orgs/${sim.orgId}/apiKeys/${key.id}/accessList`;
  });
  afterEach(() => sim.close());

  it('adds addresses and CIDR blocks, normalises, and answers with the whole list', async () => {
    expect((await admin.post(list, [{ ipAddress: '192.0.2.10' }])).status).to.equal(200);
    const res = await admin.post(list, [{ cidrBlock: '10.20.0.0/16' }]);
    expect(res.status).to.equal(200);
    expect(res.body.totalCount).to.equal(2);
    const [ip, cidr] = res.body.results;
    const entryBase = `${sim.url}/api/public/v1.0${list}`;
    expect(ip).to.deep.equal({
      cidrBlock: '192.0.2.10/32', count: 0, created: '2024-05-06T07:08:09Z', ipAddress: '192.0.2.10',
      links: [{ href: `${entryBase}/192.0.2.10`, rel: 'self' }],
    });
    expect(Object.keys(ip!)).to.deep.equal(['cidrBlock', 'count', 'created', 'ipAddress', 'links']);
    expect(cidr).to.deep.include({ cidrBlock: '10.20.0.0/16', ipAddress: null });
    expect(cidr!.links).to.deep.equal([{ href: `${entryBase}/10.20.0.0%2F16`, rel: 'self' }]);
    expect(res.text).to.include('"ipAddress":null');
  });

  it('reads and deletes one entry with %2F in the path (204 on delete)', async () => {
    await admin.post(list, [{ cidrBlock: '10.20.0.0/16' }, { ipAddress: '192.0.2.10' }]);
    const one = await admin.get(`${list}/10.20.0.0%2F16`);
    expect(one.status).to.equal(200);
    expect(one.body.cidrBlock).to.equal('10.20.0.0/16');
    expect(one.body.links.map((l) => l.rel)).to.deep.equal(['self', 'http://mms.mongodb.com/apiKey']);
    expect((await admin.get(`${list}/192.0.2.10`)).body.ipAddress).to.equal('192.0.2.10');
    expect((await admin.get(`${list}/192.0.2.10%2F32`)).status).to.equal(200);
    const del = await admin.del(`${list}/10.20.0.0%2F16`);
    expect(del.status).to.equal(204);
    expect(del.text).to.equal('');
    expect(key.accessList.map((e) => e.cidrBlock)).to.deep.equal(['192.0.2.10/32']);
  });

  it('answers 404 API_KEY_ACCESS_LIST_NOT_FOUND for an entry not on the list', async () => {
    for (const res of [await admin.get(`${list}/198.51.100.1`), await admin.del(`${list}/198.51.100.0%2F24`), await admin.get(`${list}/garbage`)]) {
      expect(res.status).to.equal(404);
      expect(res.body.errorCode).to.equal('API_KEY_ACCESS_LIST_NOT_FOUND');
    }
  });

  it('refuses a duplicate with 409 ADDRESS_ALREADY_IN_ACCESS_LIST, and adds nothing', async () => {
    await admin.post(list, [{ ipAddress: '192.0.2.10' }]);
    const res = await admin.post(list, [{ ipAddress: '192.0.2.11' }, { cidrBlock: '192.0.2.10/32' }]);
    expect(res.status).to.equal(409);
    expect(res.body.errorCode).to.equal('ADDRESS_ALREADY_IN_ACCESS_LIST');
    expect(key.accessList).to.have.length(1);
  });

  it('refuses the same address twice in one request (DUPLICATE_ADDRESSES_IN_INPUT)', async () => {
    const res = await admin.post(list, [{ ipAddress: '192.0.2.10' }, { cidrBlock: '192.0.2.10/32' }]);
    expect(res.status).to.equal(400);
    expect(res.body.errorCode).to.equal('DUPLICATE_ADDRESSES_IN_INPUT');
    expect(key.accessList).to.have.length(0);
  });

  it('refuses elements with both, neither, unknown fields or bad values', async () => {
    const both = await admin.post(list, [{ ipAddress: '192.0.2.10', cidrBlock: '192.0.2.10/32' }]);
    expect([both.status, both.body.errorCode]).to.deep.equal([400, 'BAD_ACCESS_LIST_ADD_REQUEST']);
    const codes = async (body: unknown) => (await admin.post(list, body)).body.errorCode;
    expect(await codes([{}])).to.equal('MISSING_ATTRIBUTE');
    expect(await codes([{ ipAddress: '192.0.2.1', comment: 'x' }])).to.equal('INVALID_ATTRIBUTE');
    expect(await codes([{ ipAddress: '192.0.2.300' }])).to.equal('INVALID_ATTRIBUTE');
    expect(await codes([{ ipAddress: '192.0.2.0/24' }])).to.equal('INVALID_ATTRIBUTE');
    expect(await codes([{ cidrBlock: '192.0.2.1' }])).to.equal('INVALID_ATTRIBUTE');
    expect(await codes([{ cidrBlock: '10.20.0.5/16' }])).to.equal('INVALID_ATTRIBUTE');
    expect(await codes({ ipAddress: '192.0.2.1' })).to.equal('INVALID_JSON');
    expect(key.accessList).to.have.length(0);
  });

  it('supports IPv6 addresses and blocks, in canonical form', async () => {
    const res = await admin.post(list, [{ ipAddress: '2001:DB8:0:0::1' }, { cidrBlock: '2001:db8:abcd::/48' }]);
    expect(res.status).to.equal(200);
    expect(res.body.results.map((e) => [e.cidrBlock, e.ipAddress])).to.deep.equal([
      ['2001:db8::1/128', '2001:db8::1'],
      ['2001:db8:abcd::/48', null],
    ]);
    expect((await admin.get(`${list}/2001%3Adb8%3Aabcd%3A%3A%2F48`)).status).to.equal(200);
    expect((await admin.get(`${list}/2001:db8::1`)).status).to.equal(200);
    expect((await admin.del(`${list}/2001:db8::1`)).status).to.equal(204);
  });

  it('lets the key itself manage its own list, but not remove the address it calls from', async () => {
    const self = new SimClient(sim.url, key.publicKey, key.privateKey);
    expect((await self.post(list, [{ ipAddress: '127.0.0.1' }, { cidrBlock: '10.0.0.0/8' }])).status).to.equal(200);
    expect((await self.get(list)).body.totalCount).to.equal(2);
    const res = await self.del(`${list}/127.0.0.1`);
    expect(res.status).to.equal(400);
    expect(res.body.errorCode).to.equal('CANNOT_REMOVE_CALLER_FROM_ACCESS_LIST');
    expect((await self.del(`${list}/10.0.0.0%2F8`)).status).to.equal(204);
    // An Organization Owner may remove it: the protection is for the caller's own key.
    expect((await admin.del(`${list}/127.0.0.1`)).status).to.equal(204);
  });

  it("forbids another non-owner key from touching a key's list (403 NOT_ORG_ADMIN)", async () => {
    const other = sim.state.addKey(sim.orgId, 'other', [{ orgId: sim.orgId, roleName: 'ORG_MEMBER' }]);
    const client = new SimClient(sim.url, other.publicKey, other.privateKey);
    for (const res of [await client.get(list), await client.post(list, [{ ipAddress: '192.0.2.1' }])]) {
      expect(res.status).to.equal(403);
      expect(res.body.errorCode).to.equal('NOT_ORG_ADMIN');
    }
  });

  it('treats a key of another organization as missing (API_KEY_NOT_FOUND)', async () => {
    const org2 = sim.state.addOrg('other');
    const foreign = sim.state.addKey(org2.id, 'foreign', []);
    const res = await admin.get(`/orgs/${sim.orgId}/apiKeys/${foreign.id}/accessList`);
    expect([res.status, res.body.errorCode]).to.deep.equal([400, 'API_KEY_NOT_FOUND']);
  });

  it('records use of an entry: count, lastUsed, lastUsedAddress', async () => {
    await admin.post(list, [{ ipAddress: '127.0.0.1' }]);
    await new SimClient(sim.url, key.publicKey, key.privateKey).get(`/orgs/${sim.orgId}/apiKeys`);
    const entry = (await admin.get(`${list}/127.0.0.1`)).body;
    expect(entry).to.deep.include({ count: 1, lastUsed: '2024-05-06T07:08:09Z', lastUsedAddress: '127.0.0.1' });
  });
});
