import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { rawRequest, SimClient } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: organization setting "require IP access list"', () => {
  let sim: SimHandle;
  let admin: SimClient;
  let keys: string;

  afterEach(() => sim.close());

  describe('on IPv4 loopback', () => {
    beforeEach(async () => {
      sim = await startSimulator({ admin: true });
      admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
      keys = `/orgs/${sim.orgId}/apiKeys`;
      // These cases start from an admin key with an empty list (the bootstrap key has loopback on it).
      sim.state.apiKeys.get(sim.admin.id)!.accessList = [];
    });

    it('is off by default: a key with an empty list works from anywhere', async () => {
      expect(sim.state.orgs.get(sim.orgId)!.requireAccessList).to.equal(false);
      expect((await admin.get(keys)).status).to.equal(200);
    });

    it('when on, refuses a key with an empty list with 403 IP_ADDRESS_NOT_ON_ACCESS_LIST [address]', async () => {
      const put = await rawRequest(`${sim.url}/__sim/orgs/${sim.orgId}`, 'PUT', {}, JSON.stringify({ requireAccessList: true }));
      expect(put.status).to.equal(200);
      const res = await admin.get(keys);
      expect(res.status).to.equal(403);
      expect(res.body).to.deep.include({ errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST', parameters: ['127.0.0.1'] });
    });

    it('when on, lets a key through from an address or block on its own list only', async () => {
      const key = sim.state.addKey(sim.orgId, 'reader', [{ orgId: sim.orgId, roleName: 'ORG_READ_ONLY' }]);
      const reader = new SimClient(sim.url, key.publicKey, key.privateKey);
      await admin.post(`${keys}/${sim.admin.id}/accessList`, [{ cidrBlock: '127.0.0.0/8' }]);
      await admin.post(`${keys}/${key.id}/accessList`, [{ ipAddress: '192.0.2.1' }]);
      sim.state.orgs.get(sim.orgId)!.requireAccessList = true;
      expect((await admin.get(keys)).status).to.equal(200);
      expect((await reader.get(keys)).status).to.equal(403);
      await admin.post(`${keys}/${key.id}/accessList`, [{ ipAddress: '127.0.0.1' }]);
      expect((await reader.get(keys)).status).to.equal(200);
      sim.state.orgs.get(sim.orgId)!.requireAccessList = false;
      await admin.del(`${keys}/${key.id}/accessList/127.0.0.1`);
      expect((await reader.get(keys)).status).to.equal(200);
    });

    it('applies to keys of that organization only', async () => {
      const org2 = sim.state.addOrg('strict', true);
      const k2 = sim.state.addKey(org2.id, 'k2', [{ orgId: org2.id, roleName: 'ORG_OWNER' }]);
      expect((await new SimClient(sim.url, k2.publicKey, k2.privateKey).get(`/orgs/${org2.id}/apiKeys`)).status).to.equal(403);
      expect((await admin.get(keys)).status).to.equal(200);
    });
  });

  describe('on IPv6 loopback', () => {
    beforeEach(async () => {
      sim = await startSimulator({ host: '::1' });
      admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
      keys = `/orgs/${sim.orgId}/apiKeys`;
      sim.state.apiKeys.get(sim.admin.id)!.accessList = [];
    });

    it('matches IPv6 callers against IPv6 entries', async () => {
      expect(sim.url).to.match(/^http:\/\/\[::1\]:\d+$/);
      sim.state.orgs.get(sim.orgId)!.requireAccessList = true;
      const denied = await admin.get(keys);
      expect(denied.body.parameters).to.deep.equal(['::1']);
      sim.state.apiKeys.get(sim.admin.id)!.accessList.push({ cidrBlock: '::1/128', ipAddress: '::1', created: '2024-01-01T00:00:00Z', count: 0 });
      expect((await admin.get(keys)).status).to.equal(200);
    });
  });

  describe('creating a project key (POST /groups/{id}/apiKeys)', () => {
    beforeEach(async () => {
      sim = await startSimulator({ admin: true });
      admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    });

    it('the bootstrap admin key has loopback on its own list, as an operator admin would set it up', () => {
      expect(sim.state.apiKeys.get(sim.admin.id)!.accessList.map((e) => e.cidrBlock)).to.deep.equal(['127.0.0.1/32', '::1/128']);
    });

    it('must come from an address on the caller\'s own access list, even where the organization does not require lists', async () => {
      const project = sim.projectIds[0]!;
      expect(sim.state.orgs.get(sim.orgId)!.requireAccessList).to.equal(false);
      expect((await admin.post(`/groups/${project}/apiKeys`, { desc: 'allowed', roles: ['GROUP_READ_ONLY'] })).status).to.equal(200);
      sim.state.apiKeys.get(sim.admin.id)!.accessList = [];
      const refused = await admin.post(`/groups/${project}/apiKeys`, { desc: 'refused', roles: ['GROUP_READ_ONLY'] });
      expect(refused.status).to.equal(403);
      expect(refused.body).to.deep.include({ errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST', parameters: ['127.0.0.1'] });
      // Other calls are not affected while the organization does not require lists.
      expect((await admin.get(`/groups/${project}/apiKeys`)).status).to.equal(200);
    });
  });
});
