import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { SimClient } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: project keys', () => {
  let sim: SimHandle;
  let admin: SimClient;
  let p1: string;
  let p2: string;

  beforeEach(async () => {
    sim = await startSimulator();
    admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    [p1, p2] = sim.projectIds as [string, string];
  });
  afterEach(() => sim.close());

  it('creates an organization key already assigned to the project (200, private key in clear)', async () => {
    const res = await admin.post(`/groups/${p1}/apiKeys`, { desc: 'ci', roles: ['GROUP_READ_ONLY'] });
    expect(res.status).to.equal(200);
    expect(res.body.privateKey).to.match(/^[0-9a-f-]{36}$/);
    expect(res.body.roles).to.deep.equal([{ groupId: p1, roleName: 'GROUP_READ_ONLY' }]);
    expect(res.body.links[0]!.href).to.equal(`${sim.url}/api/public/v1.0/orgs/${sim.orgId}/apiKeys/${res.body.id}`);
    expect(sim.state.apiKeys.get(res.body.id)!.orgId).to.equal(sim.orgId);
  });

  it('assigns an org key, replaces its roles there, lists it with all its roles, unassigns it', async () => {
    const key = (await admin.post(`/orgs/${sim.orgId}/apiKeys`, { desc: 'k', roles: ['ORG_MEMBER'] })).body;
    expect((await admin.patch(`/groups/${p1}/apiKeys/${key.id}`, { roles: ['GROUP_OWNER'] })).status).to.equal(200);
    await admin.patch(`/groups/${p2}/apiKeys/${key.id}`, { roles: ['GROUP_READ_ONLY'] });
    const replaced = await admin.patch(`/groups/${p1}/apiKeys/${key.id}`, { roles: ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_ADMIN'] });
    expect(replaced.body.privateKey).to.match(/^\*{8}-\*{4}-\*{4}-[0-9a-f]{12}$/);
    const list = await admin.get(`/groups/${p1}/apiKeys`);
    expect(list.status).to.equal(200);
    expect(list.body.results.map((k) => k.id)).to.deep.equal([key.id]);
    expect(list.body.results[0]!.roles).to.deep.equal([
      { orgId: sim.orgId, roleName: 'ORG_MEMBER' },
      { groupId: p2, roleName: 'GROUP_READ_ONLY' },
      { groupId: p1, roleName: 'GROUP_READ_ONLY' },
      { groupId: p1, roleName: 'GROUP_DATA_ACCESS_ADMIN' },
    ]);
    const del = await admin.del(`/groups/${p1}/apiKeys/${key.id}`);
    expect([del.status, del.text]).to.deep.equal([200, '']);
    expect((await admin.get(`/groups/${p1}/apiKeys`)).body.results).to.deep.equal([]);
    expect(sim.state.apiKeys.get(key.id)!.roles.map((r) => r.groupId ?? r.orgId)).to.deep.equal([sim.orgId, p2]);
    const again = await admin.del(`/groups/${p1}/apiKeys/${key.id}`);
    expect([again.status, again.body.errorCode]).to.deep.equal([400, 'API_KEY_NOT_FOUND']);
  });

  it('deleting an org key removes its project assignments', async () => {
    const key = (await admin.post(`/groups/${p1}/apiKeys`, { desc: 'k', roles: ['GROUP_OWNER'] })).body;
    await admin.del(`/orgs/${sim.orgId}/apiKeys/${key.id}`);
    expect((await admin.get(`/groups/${p1}/apiKeys`)).body.totalCount).to.equal(0);
  });

  it('answers GROUP_NOT_FOUND / INVALID_GROUP_ID (404) and API_KEY_NOT_FOUND (400)', async () => {
    const missing = await admin.get('/groups/abcdefabcdefabcdefabcdef/apiKeys');
    expect([missing.status, missing.body.errorCode]).to.deep.equal([404, 'GROUP_NOT_FOUND']);
    const invalid = await admin.post('/groups/not-an-id/apiKeys', { desc: 'x', roles: ['GROUP_OWNER'] });
    expect([invalid.status, invalid.body.errorCode]).to.deep.equal([404, 'INVALID_GROUP_ID']);
    const nokey = await admin.patch(`/groups/${p1}/apiKeys/abcdefabcdefabcdefabcdef`, { roles: ['GROUP_OWNER'] });
    expect([nokey.status, nokey.body.errorCode]).to.deep.equal([400, 'API_KEY_NOT_FOUND']);
  });

  it('refuses to assign a key to a project of another organization with 409 API_KEY_NOT_IN_GROUP_ORG', async () => {
    const org2 = sim.state.addOrg('other');
    const foreign = sim.state.addProject(org2.id, 'foreign');
    const owner2 = sim.state.addKey(org2.id, 'owner2', [{ orgId: org2.id, roleName: 'ORG_OWNER' }]);
    const client2 = new SimClient(sim.url, owner2.publicKey, owner2.privateKey);
    const res = await client2.patch(`/groups/${foreign.id}/apiKeys/${sim.admin.id}`, { roles: ['GROUP_READ_ONLY'] });
    expect([res.status, res.body.errorCode]).to.deep.equal([409, 'API_KEY_NOT_IN_GROUP_ORG']);
    expect(sim.state.apiKeys.get(sim.admin.id)!.roles).to.have.length(1);
  });

  describe('authorization', () => {
    const client = (roles: Array<{ orgId?: string; groupId?: string; roleName: string }>): SimClient => {
      const k = sim.state.addKey(sim.orgId, 'caller', roles);
      // Creating project keys needs the caller's address on its own list (Ops Manager 5.0).
      k.accessList = [{ cidrBlock: '127.0.0.1/32', ipAddress: null, created: '2024-01-01T00:00:00Z', count: 0 }];
      return new SimClient(sim.url, k.publicKey, k.privateKey);
    };

    it('lets GROUP_OWNER and GROUP_USER_ADMIN of the project write', async () => {
      for (const roleName of ['GROUP_OWNER', 'GROUP_USER_ADMIN']) {
        const c = client([{ groupId: p1, roleName }]);
        expect((await c.post(`/groups/${p1}/apiKeys`, { desc: roleName, roles: ['GROUP_READ_ONLY'] })).status).to.equal(200);
      }
    });

    it('lets any project role read but not write (403 NOT_GROUP_USER_ADMIN)', async () => {
      const c = client([{ groupId: p1, roleName: 'GROUP_READ_ONLY' }]);
      expect((await c.get(`/groups/${p1}/apiKeys`)).status).to.equal(200);
      const res = await c.post(`/groups/${p1}/apiKeys`, { desc: 'x', roles: ['GROUP_READ_ONLY'] });
      expect([res.status, res.body.errorCode]).to.deep.equal([403, 'NOT_GROUP_USER_ADMIN']);
      const member = client([{ orgId: sim.orgId, roleName: 'ORG_MEMBER' }]);
      const res2 = await member.patch(`/groups/${p1}/apiKeys/${sim.admin.id}`, { roles: ['GROUP_OWNER'] });
      expect([res2.status, res2.body.errorCode]).to.deep.equal([403, 'NOT_GROUP_USER_ADMIN']);
    });

    it('answers 401 USER_UNAUTHORIZED to a key without any role there', async () => {
      const c = client([{ groupId: p2, roleName: 'GROUP_OWNER' }]);
      const res = await c.get(`/groups/${p1}/apiKeys`);
      expect([res.status, res.body.errorCode]).to.deep.equal([401, 'USER_UNAUTHORIZED']);
    });
  });
});
