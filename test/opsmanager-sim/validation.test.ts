import { expect } from 'chai';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { SimClient } from '../../tools/opsmanager-sim/sim-client.ts';
import type { JsonResponse } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: request validation', () => {
  let sim: SimHandle;
  let admin: SimClient;
  let keys: string;
  let groupKeys: string;

  before(async () => {
    sim = await startSimulator();
    admin = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    keys = `/orgs/${sim.orgId}/apiKeys`;
    groupKeys = `/groups/${sim.projectIds[0]!}/apiKeys`;
  });
  after(() => sim.close());

  function expectError(res: JsonResponse, status: number, code: string, parameters?: string[]): void {
    expect(res.status, res.text).to.equal(status);
    expect(Object.keys(res.body)).to.deep.equal(['detail', 'error', 'errorCode', 'parameters', 'reason']);
    expect(res.body.error).to.equal(status);
    expect(res.body.errorCode).to.equal(code);
    expect(res.body.detail).to.be.a('string').and.not.equal('');
    if (parameters) expect(res.body.parameters).to.deep.equal(parameters);
  }

  it('rejects unknown body fields with 400 INVALID_ATTRIBUTE naming the field', async () => {
    expectError(await admin.post(keys, { desc: 'x', roles: ['ORG_MEMBER'], comment: 'no' }), 400, 'INVALID_ATTRIBUTE', ['comment']);
    expectError(await admin.post(groupKeys, { desc: 'x', roles: ['GROUP_OWNER'], orgId: sim.orgId }), 400, 'INVALID_ATTRIBUTE', ['orgId']);
  });

  it('rejects malformed or empty JSON with 400 INVALID_JSON', async () => {
    expectError(await admin.post(keys, '{"desc": '), 400, 'INVALID_JSON');
    expectError(await admin.post(keys, ''), 400, 'INVALID_JSON');
    expectError(await admin.post(keys, '["desc"]'), 400, 'INVALID_JSON');
  });

  it('requires desc and roles (MISSING_ATTRIBUTE), and something to change on PATCH', async () => {
    expectError(await admin.post(keys, { roles: ['ORG_MEMBER'] }), 400, 'MISSING_ATTRIBUTE', ['desc']);
    expectError(await admin.post(keys, { desc: 'x' }), 400, 'MISSING_ATTRIBUTE', ['roles']);
    expectError(await admin.post(groupKeys, { desc: 'x' }), 400, 'MISSING_ATTRIBUTE', ['roles']);
    expectError(await admin.patch(`${keys}/${sim.admin.id}`, {}), 400, 'MISSING_ATTRIBUTE');
  });

  it('takes desc of 1 to 250 characters (counted as characters, not bytes)', async () => {
    expectError(await admin.post(keys, { desc: '', roles: ['ORG_MEMBER'] }), 400, 'INVALID_ATTRIBUTE', ['desc']);
    expectError(await admin.post(keys, { desc: 'x'.repeat(251), roles: ['ORG_MEMBER'] }), 400, 'INVALID_ATTRIBUTE', ['desc']);
    expectError(await admin.post(keys, { desc: 42, roles: ['ORG_MEMBER'] }), 400, 'INVALID_ATTRIBUTE', ['desc']);
    expect((await admin.post(keys, { desc: 'x'.repeat(250), roles: ['ORG_MEMBER'] })).status).to.equal(200);
    expect((await admin.post(keys, { desc: 'é'.repeat(250), roles: ['ORG_MEMBER'] })).status).to.equal(200);
  });

  it('rejects roles that do not fit the scope', async () => {
    expectError(await admin.post(keys, { desc: 'x', roles: ['GROUP_OWNER'] }), 400, 'ROLE_NEEDS_GROUP_ID', ['GROUP_OWNER']);
    expectError(await admin.post(keys, { desc: 'x', roles: ['NOT_A_ROLE'] }), 400, 'INVALID_ENUM_VALUE');
    expectError(await admin.post(keys, { desc: 'x', roles: ['GLOBAL_OWNER'] }), 400, 'INVALID_ENUM_VALUE');
    expectError(await admin.post(keys, { desc: 'x', roles: ['ORG_BILLING_ADMIN'] }), 400, 'INVALID_ENUM_VALUE');
    expectError(await admin.post(keys, { desc: 'x', roles: [] }), 400, 'INVALID_ATTRIBUTE', ['roles']);
    expectError(await admin.post(keys, { desc: 'x', roles: 'ORG_OWNER' }), 400, 'INVALID_ATTRIBUTE', ['roles']);
    expectError(await admin.patch(`${keys}/${sim.admin.id}`, { roles: ['GROUP_READ_ONLY'] }), 400, 'ROLE_NEEDS_GROUP_ID');
    expectError(await admin.post(groupKeys, { desc: 'x', roles: ['ORG_OWNER'] }), 400, 'INVALID_ROLE_FOR_GROUP', ['ORG_OWNER']);
    expectError(await admin.post(groupKeys, { desc: 'x', roles: ['GLOBAL_READ_ONLY'] }), 400, 'INVALID_ROLE_FOR_GROUP');
    expectError(await admin.patch(`${groupKeys}/${sim.admin.id}`, { roles: ['ORG_MEMBER'] }), 400, 'INVALID_ROLE_FOR_GROUP');
  });

  it('collapses a role listed twice', async () => {
    const res = await admin.post(keys, { desc: 'x', roles: ['ORG_MEMBER', 'ORG_MEMBER'] });
    expect(res.body.roles).to.deep.equal([{ orgId: sim.orgId, roleName: 'ORG_MEMBER' }]);
  });

  it('answers 405 to a known path with another method', async () => {
    expectError(await admin.call('PUT', keys, { desc: 'x' }), 405, 'METHOD_NOT_ALLOWED');
  });
});
