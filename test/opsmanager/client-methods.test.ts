import { expect } from 'chai';
import { collect } from '../../src/opsmanager/client.ts';
import type { OpsManagerClient } from '../../src/opsmanager/client.ts';
import {
  ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, RateLimitedError, UnauthorizedError,
} from '../../src/opsmanager/errors.ts';
import { harness, rejection } from './helpers.ts';
import type { Harness } from './helpers.ts';

const MASKED = /^\*{8}-\*{4}-\*{4}-[0-9a-f]{12}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('opsmanager/client against the simulator: methods', () => {
  let h: Harness;
  let c: OpsManagerClient;
  beforeEach(async () => {
    h = await harness();
    c = h.client();
  });
  afterEach(() => h.stop());

  it('creates, gets, updates, lists and deletes an organization key', async () => {
    const { orgId } = h.sim;
    const created = await c.createOrgKey(orgId, { desc: 'billing reader', roles: ['ORG_READ_ONLY'] });
    expect(created.privateKey).to.match(UUID);
    expect(created).to.deep.include({ desc: 'billing reader', orgId });
    expect(created.roles).to.deep.equal([{ orgId, roleName: 'ORG_READ_ONLY' }]);
    expect(created.publicKey).to.match(/^[a-z]{8}$/);

    const got = await c.getOrgKey(orgId, created.id);
    expect(got.privateKey).to.match(MASKED);
    expect(got.privateKey.slice(-12)).to.equal(created.privateKey.slice(-12));
    expect(got.orgId).to.equal(orgId);

    const updated = await c.updateOrgKey(orgId, created.id, { desc: 'renamed', roles: ['ORG_MEMBER'] });
    expect(updated.desc).to.equal('renamed');
    expect(updated.roles.map((r) => r.roleName)).to.deep.equal(['ORG_MEMBER']);
    expect((await c.updateOrgKey(orgId, created.id, { desc: 'only desc' })).roles.map((r) => r.roleName)).to.deep.equal(['ORG_MEMBER']);

    const ids = (await collect(c.listOrgKeys(orgId))).map((k) => k.id);
    expect(ids).to.include.members([created.id, h.sim.admin.id]);

    await c.deleteOrgKey(orgId, created.id);
    expect(await rejection(c.getOrgKey(orgId, created.id))).to.be.instanceOf(NotFoundError);
  });

  it('follows pagination over more than one page (500 per page)', async () => {
    const { orgId } = h.sim;
    for (let i = 0; i < 620; i++) h.sim.state.addKey(orgId, `bulk ${i}`, [{ orgId, roleName: 'ORG_READ_ONLY' }]);
    const keys = await collect(c.listOrgKeys(orgId));
    expect(keys).to.have.length(621);
    expect(new Set(keys.map((k) => k.id)).size).to.equal(621);
    const pages = h.sim.stats.list().filter((r) => r.method === 'GET' && r.route === '/orgs/{orgId}/apiKeys' && r.status === 200);
    expect(pages.reduce((n, r) => n + r.count, 0)).to.equal(2);
  });

  it('adds, lists and deletes access-list entries, encoding the CIDR slash', async () => {
    const { orgId } = h.sim;
    const key = await c.createOrgKey(orgId, { desc: 'acl', roles: ['ORG_READ_ONLY'] });
    const after = await c.addAccessList(orgId, key.id, [{ ipAddress: '192.0.2.10' }, { cidrBlock: '10.20.0.0/16' }]);
    expect(after.map((e) => [e.cidrBlock, e.ipAddress])).to.have.deep.members([['192.0.2.10/32', '192.0.2.10'], ['10.20.0.0/16', null]]);
    expect((await c.addAccessList(orgId, key.id, [{ ipAddress: '198.51.100.1' }]))).to.have.length(3);

    await c.deleteAccessListEntry(orgId, key.id, '10.20.0.0/16');
    await c.deleteAccessListEntry(orgId, key.id, '192.0.2.10');
    const left = await collect(c.listAccessList(orgId, key.id));
    expect(left.map((e) => e.cidrBlock)).to.deep.equal(['198.51.100.1/32']);
    expect(left[0]!.created).to.be.a('string');
    expect(await rejection(c.deleteAccessListEntry(orgId, key.id, '10.20.0.0/16'))).to.be.instanceOf(NotFoundError);
  });

  it('creates, assigns, lists and unassigns project keys', async () => {
    const [p1, p2] = h.sim.projectIds as [string, string];
    const pk = await c.createProjectKey(p1, { desc: 'project key', roles: ['GROUP_READ_ONLY'] });
    expect(pk.privateKey).to.match(UUID);
    expect(pk.orgId).to.equal(h.sim.orgId);
    expect(pk.roles).to.deep.include({ groupId: p1, roleName: 'GROUP_READ_ONLY' });

    const orgKey = await c.createOrgKey(h.sim.orgId, { desc: 'org key', roles: ['ORG_MEMBER'] });
    const assigned = await c.assignProjectKey(p2, orgKey.id, ['GROUP_OWNER']);
    expect(assigned.roles).to.deep.include({ groupId: p2, roleName: 'GROUP_OWNER' });
    const changed = await c.assignProjectKey(p2, orgKey.id, ['GROUP_READ_ONLY', 'GROUP_USER_ADMIN']);
    expect(changed.roles.filter((r) => r.groupId === p2).map((r) => r.roleName)).to.have.members(['GROUP_READ_ONLY', 'GROUP_USER_ADMIN']);

    expect((await collect(c.listProjectKeys(p2))).map((k) => k.id)).to.deep.equal([orgKey.id]);
    expect((await collect(c.listProjectKeys(p1))).map((k) => k.id)).to.deep.equal([pk.id]);
    await c.unassignProjectKey(p2, orgKey.id);
    expect(await collect(c.listProjectKeys(p2))).to.deep.equal([]);
    expect((await c.getOrgKey(h.sim.orgId, orgKey.id)).id).to.equal(orgKey.id);
  });

  describe('error classes', () => {
    it('NotFoundError for API_KEY_NOT_FOUND (400), ORG_NOT_FOUND and GROUP_NOT_FOUND (404)', async () => {
      const missing = 'ffffffffffffffffffffffff';
      const key = await rejection(c.getOrgKey(h.sim.orgId, missing));
      expect(key).to.be.instanceOf(NotFoundError).and.include({ status: 400, errorCode: 'API_KEY_NOT_FOUND', code: 'OM_NOT_FOUND' });
      expect(await rejection(collect(c.listOrgKeys(missing)))).to.be.instanceOf(NotFoundError).and.include({ errorCode: 'ORG_NOT_FOUND' });
      expect(await rejection(collect(c.listProjectKeys(missing)))).to.be.instanceOf(NotFoundError).and.include({ errorCode: 'GROUP_NOT_FOUND' });
      expect(await rejection(c.deleteOrgKey(h.sim.orgId, missing))).to.be.instanceOf(NotFoundError);
    });

    it('UnauthorizedError for a wrong private key, after at most one fresh challenge', async () => {
      const bad = h.client({ privateKey: '00000000-0000-0000-0000-000000000000' });
      const err = await rejection(bad.getOrgKey(h.sim.orgId, h.sim.admin.id));
      expect(err).to.be.instanceOf(UnauthorizedError).and.include({ status: 401, code: 'OM_UNAUTHORIZED' });
      expect(h.sim.stats.count('GET', '/orgs/{orgId}/apiKeys/{keyId}')).to.be.at.most(3);
    });

    it('ForbiddenError for a key without the role, and notOnAccessList when the org requires a list', async () => {
      const reader = await c.createOrgKey(h.sim.orgId, { desc: 'reader', roles: ['ORG_READ_ONLY'] });
      const rc = h.client({ publicKey: reader.publicKey, privateKey: reader.privateKey });
      const denied = await rejection(rc.createOrgKey(h.sim.orgId, { desc: 'x', roles: ['ORG_READ_ONLY'] }));
      expect(denied).to.be.instanceOf(ForbiddenError).and.include({ status: 403, notOnAccessList: false });

      h.sim.state.orgs.get(h.sim.orgId)!.requireAccessList = true;
      const blocked = await rejection(rc.getOrgKey(h.sim.orgId, reader.id));
      expect(blocked).to.be.instanceOf(ForbiddenError).and.include({ errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST', notOnAccessList: true });
    });

    it('ConflictError for a duplicate access-list entry', async () => {
      const key = await c.createOrgKey(h.sim.orgId, { desc: 'acl', roles: ['ORG_READ_ONLY'] });
      await c.addAccessList(h.sim.orgId, key.id, [{ ipAddress: '192.0.2.1' }]);
      const err = await rejection(c.addAccessList(h.sim.orgId, key.id, [{ ipAddress: '192.0.2.1' }]));
      expect(err).to.be.instanceOf(ConflictError).and.include({ status: 409, errorCode: 'ADDRESS_ALREADY_IN_ACCESS_LIST', code: 'OM_CONFLICT' });
    });

    it('InvalidRequestError for a bad role, without retrying', async () => {
      const err = await rejection(c.createOrgKey(h.sim.orgId, { desc: 'x', roles: ['GROUP_OWNER'] }));
      expect(err).to.be.instanceOf(InvalidRequestError).and.include({ status: 400, code: 'OM_INVALID_REQUEST' });
      const err2 = await rejection(c.updateOrgKey(h.sim.orgId, h.sim.admin.id, { roles: ['NOT_A_ROLE'] }));
      expect(err2).to.be.instanceOf(InvalidRequestError);
      expect(h.sleeps).to.deep.equal([]);
    });

    it('RateLimitedError once the retries are spent, carrying Retry-After', async () => {
      h.sim.faults.set([{ fault: 'status', status: 429, retryAfter: 2 }]);
      const rc = h.client({ retry: { maxAttempts: 3 } });
      const err = await rejection(rc.getOrgKey(h.sim.orgId, h.sim.admin.id));
      expect(err).to.be.instanceOf(RateLimitedError).and.include({ status: 429, retryAfterMs: 2000, code: 'OM_RATE_LIMITED' });
      expect(h.sleeps).to.deep.equal([2000, 2000]);
    });
  });
});
