import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { API, rawRequest, SimClient } from '../../tools/opsmanager-sim/sim-client.ts';

describe('opsmanager-sim: /__sim controls and state', () => {
  let sim: SimHandle | undefined;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'om-sim-'));
  });
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 404 on /__sim without --admin', async () => {
    sim = await startSimulator();
    for (const [method, path] of [['GET', '/__sim/state'], ['GET', '/__sim/stats'], ['PUT', '/__sim/faults']] as const) {
      const res = await rawRequest(sim.url + path, method, {}, method === 'PUT' ? '{"rules":[]}' : undefined);
      expect(res.status, path).to.equal(404);
      expect(res.text).not.to.include(sim.admin.privateKey);
    }
  });

  it('dumps the state in the documented shape and never a private key', async () => {
    sim = await startSimulator({ admin: true });
    const client = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    const created = (await client.post(`/orgs/${sim.orgId}/apiKeys`, { desc: 'k', roles: ['ORG_MEMBER'] })).body;
    await client.post(`/orgs/${sim.orgId}/apiKeys/${created.id}/accessList`, [{ ipAddress: '192.0.2.1' }]);
    const res = await rawRequest(`${sim.url}/__sim/state`, 'GET');
    expect(res.status).to.equal(200);
    expect(res.text).not.to.include(created.privateKey);
    expect(res.text).not.to.include(sim.admin.privateKey);
    expect(res.text).not.to.include('privateKey');
    const state = JSON.parse(res.text) as { orgs: unknown[]; projects: unknown[]; apiKeys: Array<Record<string, unknown>> };
    expect(state.orgs).to.deep.equal([{ id: sim.orgId, name: 'Simulated Organization', requireAccessList: false }]);
    expect(state.projects).to.have.length(3);
    expect(state.apiKeys.find((k) => k.id === created.id)).to.deep.equal({
      accessList: ['192.0.2.1/32'], desc: 'k', id: created.id, publicKey: created.publicKey, roles: [{ orgId: sim.orgId, roleName: 'ORG_MEMBER' }],
    });
  });

  it('PUT /__sim/orgs/{id} switches requireAccessList; unknown org 404, bad body 400', async () => {
    sim = await startSimulator({ admin: true });
    const put = (id: string, body: string) => rawRequest(`${sim!.url}/__sim/orgs/${id}`, 'PUT', {}, body);
    expect((await put(sim.orgId, '{"requireAccessList":true}')).status).to.equal(200);
    expect(sim.state.orgs.get(sim.orgId)!.requireAccessList).to.equal(true);
    expect((await put('abcdefabcdefabcdefabcdef', '{"requireAccessList":true}')).status).to.equal(404);
    expect((await put(sim.orgId, '{"requireAccessList":"yes"}')).status).to.equal(400);
  });

  it('counts requests by method, templated route and status; DELETE resets', async () => {
    sim = await startSimulator({ admin: true });
    const client = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    await client.get(`/orgs/${sim.orgId}/apiKeys/${sim.admin.id}`);
    await client.get(`/orgs/${sim.orgId}/apiKeys/${sim.admin.id}/accessList/10.0.0.0%2F8`);
    const stats = JSON.parse((await rawRequest(`${sim.url}/__sim/stats`, 'GET')).text) as { requests: unknown[] };
    expect(stats.requests).to.deep.include.members([
      { method: 'GET', route: '/orgs/{orgId}/apiKeys/{keyId}', status: 401, count: 1 },
      { method: 'GET', route: '/orgs/{orgId}/apiKeys/{keyId}', status: 200, count: 1 },
      { method: 'GET', route: '/orgs/{orgId}/apiKeys/{keyId}/accessList/{entry}', status: 404, count: 1 },
    ]);
    expect((await rawRequest(`${sim.url}/__sim/stats`, 'DELETE')).status).to.equal(204);
    expect((await rawRequest(`${sim.url}/__sim/stats`, 'GET')).text).to.equal('{"requests":[]}');
  });

  it('persists to the state file after each write (atomically) and loads it at start', async () => {
    const file = join(dir, 'state.json');
    sim = await startSimulator({ stateFile: file });
    const first = { orgId: sim.orgId, projectIds: sim.projectIds, admin: sim.admin };
    const client = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    const created = (await client.post(`/groups/${sim.projectIds[1]!}/apiKeys`, { desc: 'kept', roles: ['GROUP_OWNER'] })).body;
    await client.post(`/orgs/${sim.orgId}/apiKeys/${created.id}/accessList`, [{ cidrBlock: '10.0.0.0/8' }]);
    expect(readdirSync(dir)).to.deep.equal(['state.json']);
    await sim.close();

    sim = await startSimulator({ stateFile: file });
    expect({ orgId: sim.orgId, projectIds: sim.projectIds, admin: sim.admin }).to.deep.equal(first);
    const again = new SimClient(sim.url, created.publicKey, created.privateKey);
    const list = await again.get(`/groups/${sim.projectIds[1]!}/apiKeys`);
    expect(list.status).to.equal(200);
    expect(list.body.results.map((k) => k.desc)).to.deep.equal(['kept']);
    expect(sim.state.apiKeys.get(created.id)!.accessList.map((e) => e.cidrBlock)).to.deep.equal(['10.0.0.0/8']);
  });

  it('creates the state file on first start', async () => {
    const file = join(dir, 'fresh.json');
    sim = await startSimulator({ stateFile: file });
    expect(existsSync(file)).to.equal(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.have.property('orgs').with.length(1);
  });

  it('answers 404 outside /api/public/v1.0 and /__sim', async () => {
    sim = await startSimulator({ admin: true });
    expect((await rawRequest(`${sim.url}/`, 'GET')).status).to.equal(404);
    expect((await rawRequest(`${sim.url}${API}`, 'GET')).status).to.equal(404);
  });
});
