import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { SimClient } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: organization keys', () => {
  let sim: SimHandle;
  let admin: SimClient;
  let keys: string;

  beforeEach(async () => {
    sim = await startSimulator();
    admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    keys = `/orgs/${sim.orgId}/apiKeys`;
  });
  afterEach(() => sim.close());

  it('creates a key with 200, the private key in clear and fields in alphabetical order', async () => {
    const res = await admin.post(keys, { desc: 'billing', roles: ['ORG_READ_ONLY', 'ORG_MEMBER'] });
    expect(res.status).to.equal(200);
    expect(res.text.startsWith('{"desc":"billing","id":"')).to.equal(true);
    expect(Object.keys(res.body)).to.deep.equal(['desc', 'id', 'links', 'privateKey', 'publicKey', 'roles']);
    expect(res.body.id).to.match(/^[0-9a-f]{24}$/);
    expect(res.body.publicKey).to.match(/^[a-z]{8}$/);
    expect(res.body.privateKey).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.body.roles).to.deep.equal([
      { orgId: sim.orgId, roleName: 'ORG_READ_ONLY' },
      { orgId: sim.orgId, roleName: 'ORG_MEMBER' },
    ]);
    expect(res.body.links).to.deep.equal([{ href: `${sim.url}/api/public/v1.0${keys}/${res.body.id}`, rel: 'self' }]);
  });

  it('masks the private key everywhere but in the create response', async () => {
    const created = (await admin.post(keys, { desc: 'k', roles: ['ORG_MEMBER'] })).body;
    const mask = `********-****-****-${created.privateKey.slice(-12)}`;
    const one = await admin.get(`${keys}/${created.id}`);
    expect(one.status).to.equal(200);
    expect(one.body.privateKey).to.equal(mask);
    const list = await admin.get(keys);
    expect(list.body.results.map((k) => k.privateKey)).to.include(mask);
    expect(list.text).not.to.include(created.privateKey);
    const patched = await admin.patch(`${keys}/${created.id}`, { desc: 'k2' });
    expect(patched.body.privateKey).to.equal(mask);
  });

  it('lets a key created through the API authenticate with its own pair', async () => {
    const created = (await admin.post(keys, { desc: 'reader', roles: ['ORG_READ_ONLY'] })).body;
    const reader = new SimClient(sim.url, created.publicKey, created.privateKey);
    expect((await reader.get(keys)).status).to.equal(200);
  });

  it('patches desc and organization roles, keeping project roles', async () => {
    const created = (await admin.post(keys, { desc: 'k', roles: ['ORG_MEMBER'] })).body;
    const project = sim.projectIds[0]!;
    await admin.patch(`/groups/${project}/apiKeys/${created.id}`, { roles: ['GROUP_READ_ONLY'] });
    const res = await admin.patch(`${keys}/${created.id}`, { roles: ['ORG_READ_ONLY'] });
    expect(res.status).to.equal(200);
    expect(res.body.desc).to.equal('k');
    expect(res.body.roles).to.deep.equal([
      { orgId: sim.orgId, roleName: 'ORG_READ_ONLY' },
      { groupId: project, roleName: 'GROUP_READ_ONLY' },
    ]);
    expect((await admin.patch(`${keys}/${created.id}`, { desc: 'renamed' })).body.desc).to.equal('renamed');
  });

  it('deletes with 200 and an empty body, and the key stops authenticating', async () => {
    const created = (await admin.post(keys, { desc: 'k', roles: ['ORG_MEMBER'] })).body;
    const del = await admin.del(`${keys}/${created.id}`);
    expect(del.status).to.equal(200);
    expect(del.text).to.equal('');
    expect(sim.state.apiKeys.has(created.id)).to.equal(false);
    const gone = new SimClient(sim.url, created.publicKey, created.privateKey);
    expect((await gone.get(keys)).status).to.equal(401);
  });

  it('answers API_KEY_NOT_FOUND with 400 as Ops Manager documents', async () => {
    const missing = 'abcdefabcdefabcdefabcdef';
    for (const res of [await admin.get(`${keys}/${missing}`), await admin.patch(`${keys}/${missing}`, { desc: 'x' }), await admin.del(`${keys}/${missing}`)]) {
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({
        detail: `No API key with ID ${missing} exists.`, error: 400, errorCode: 'API_KEY_NOT_FOUND', parameters: [missing], reason: 'Bad Request',
      });
    }
  });

  it('answers ORG_NOT_FOUND with 404, and RESOURCE_NOT_FOUND for an unknown path', async () => {
    const res = await admin.get('/orgs/abcdefabcdefabcdefabcdef/apiKeys');
    expect(res.status).to.equal(404);
    expect(res.body.errorCode).to.equal('ORG_NOT_FOUND');
    const nowhere = await admin.get('/nowhere');
    expect(nowhere.status).to.equal(404);
    expect(nowhere.body).to.deep.equal({
      detail: 'Cannot find resource /api/public/v1.0/nowhere.', error: 404, errorCode: 'RESOURCE_NOT_FOUND',
      parameters: ['/api/public/v1.0/nowhere'], reason: 'Not Found',
    });
  });

  it('enforces the 500-keys-per-organization limit', async () => {
    for (let i = sim.state.keysOfOrg(sim.orgId).length; i < 500; i++) sim.state.addKey(sim.orgId, `k${i}`, []);
    const res = await admin.post(keys, { desc: 'one too many', roles: ['ORG_MEMBER'] });
    expect(res.status).to.equal(409);
    expect(res.body.errorCode).to.equal('TOO_MANY_API_KEYS');
    expect(sim.state.keysOfOrg(sim.orgId)).to.have.length(500);
  });

  describe('authorization', () => {
    function clientWith(roles: string[], orgId = sim.orgId): SimClient {
      const k = sim.state.addKey(orgId, 'caller', roles.map((roleName) => ({ orgId, roleName })));
      return new SimClient(sim.url, k.publicKey, k.privateKey);
    }

    it('lets any organization role read but only ORG_OWNER write (403 NOT_ORG_ADMIN)', async () => {
      const member = clientWith(['ORG_MEMBER']);
      expect((await member.get(keys)).status).to.equal(200);
      const target = (await admin.post(keys, { desc: 't', roles: ['ORG_MEMBER'] })).body;
      for (const res of [
        await member.post(keys, { desc: 'x', roles: ['ORG_MEMBER'] }),
        await member.patch(`${keys}/${target.id}`, { desc: 'x' }),
        await member.del(`${keys}/${target.id}`),
      ]) {
        expect(res.status).to.equal(403);
        expect(res.body.errorCode).to.equal('NOT_ORG_ADMIN');
      }
    });

    it('answers 401 USER_UNAUTHORIZED to a key without any role in the organization', async () => {
      const other = sim.state.addOrg('other');
      const outsider = clientWith(['ORG_OWNER'], other.id);
      const res = await outsider.get(keys);
      expect(res.status).to.equal(401);
      expect(res.body.errorCode).to.equal('USER_UNAUTHORIZED');
      const projectOnly = sim.state.addKey(sim.orgId, 'p', [{ groupId: sim.projectIds[0]!, roleName: 'GROUP_OWNER' }]);
      expect((await new SimClient(sim.url, projectOnly.publicKey, projectOnly.privateKey).get(keys)).status).to.equal(401);
    });
  });
});
