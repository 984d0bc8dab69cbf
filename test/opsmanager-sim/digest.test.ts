import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { API, authorization, parseChallenge, rawRequest, SimClient } from '../../tools/opsmanager-sim/sim-client.ts';

const run = promisify(execFile);

describe('opsmanager-sim: HTTP Digest', () => {
  let sim: SimHandle;
  let clock: number;
  let path: string;

  beforeEach(async () => {
    clock = 1_700_000_000_000;
    sim = await startSimulator({ nonceTtlMs: 60_000, now: () => clock });
    path = `${API}/orgs/${sim.orgId}/apiKeys`;
  });
  afterEach(() => sim.close());

  async function challenge(): Promise<Record<string, string>> {
    const res = await rawRequest(sim.url + path, 'GET');
    return parseChallenge(res.headers['www-authenticate']);
  }
  function signed(nonce: string, nc: number, o: { pass?: string; uri?: string; cnonce?: string } = {}) {
    const auth = authorization({ user: sim.admin.publicKey, pass: o.pass ?? sim.admin.privateKey, realm: 'MMS Public API', nonce, method: 'GET', uri: o.uri ?? path, nc, cnonce: o.cnonce });
    return rawRequest(sim.url + path, 'GET', { Authorization: auth });
  }

  it('challenges exactly as Ops Manager does, with a USER_UNAUTHORIZED body', async () => {
    const res = await rawRequest(sim.url + path, 'GET');
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.match(/^Digest realm="MMS Public API", domain="", nonce="[^"]+", algorithm=MD5, qop="auth", stale=false$/);
    expect(JSON.parse(res.text)).to.deep.include({ error: 401, errorCode: 'USER_UNAUTHORIZED', reason: 'Unauthorized' });
  });

  it('accepts a correct answer and reuses the nonce with increasing nc', async () => {
    const { nonce } = await challenge();
    expect((await signed(nonce!, 1)).status).to.equal(200);
    expect((await signed(nonce!, 2)).status).to.equal(200);
    // Concurrent requests sharing a nonce may arrive out of order: a lower, unused nc passes.
    expect((await signed(nonce!, 5)).status).to.equal(200);
    expect((await signed(nonce!, 4)).status).to.equal(200);
  });

  it('answers a wrong password or unknown user with 401 stale=false', async () => {
    const { nonce } = await challenge();
    const wrong = await signed(nonce!, 1, { pass: 'not-the-password' });
    expect(wrong.status).to.equal(401);
    expect(parseChallenge(wrong.headers['www-authenticate']).stale).to.equal('false');
    const stranger = await rawRequest(sim.url + path, 'GET', {
      Authorization: authorization({ user: 'nobodyxx', pass: 'x', realm: 'MMS Public API', nonce: nonce!, method: 'GET', uri: path, nc: 1 }),
    });
    expect(stranger.status).to.equal(401);
  });

  it('answers an expired nonce with 401 stale=true and a fresh nonce that works', async () => {
    const { nonce } = await challenge();
    expect((await signed(nonce!, 1)).status).to.equal(200);
    clock += 60_001;
    const stale = await signed(nonce!, 2);
    expect(stale.status).to.equal(401);
    const ch = parseChallenge(stale.headers['www-authenticate']);
    expect(ch.stale).to.equal('true');
    expect(ch.nonce).not.to.equal(nonce);
    expect((await signed(ch.nonce!, 1)).status).to.equal(200);
  });

  it('answers an unknown nonce with stale=true when the credentials are right', async () => {
    const res = await signed('bm90LWlzc3VlZC1oZXJl', 1);
    expect(res.status).to.equal(401);
    expect(parseChallenge(res.headers['www-authenticate']).stale).to.equal('true');
  });

  it('rejects a replayed nonce count', async () => {
    const { nonce } = await challenge();
    expect((await signed(nonce!, 1, { cnonce: 'abc' })).status).to.equal(200);
    const replay = await signed(nonce!, 1, { cnonce: 'abc' });
    expect(replay.status).to.equal(401);
    expect((await signed(nonce!, 1, { cnonce: 'other' })).status).to.equal(401);
  });

  it('rejects a uri that is not the request target, and a request without qop', async () => {
    const { nonce } = await challenge();
    expect((await signed(nonce!, 1, { uri: `${API}/orgs` })).status).to.equal(401);
    const noQop = authorization({ user: sim.admin.publicKey, pass: sim.admin.privateKey, realm: 'MMS Public API', nonce: nonce!, method: 'GET', uri: path, nc: 2 })
      .replace(/, qop=auth/, '');
    expect((await rawRequest(sim.url + path, 'GET', { Authorization: noQop })).status).to.equal(401);
  });

  it('lets SimClient ride through nonce expiry transparently', async () => {
    const client = new SimClient(sim.url, sim.admin.publicKey, sim.admin.privateKey);
    expect((await client.get(`/orgs/${sim.orgId}/apiKeys`)).status).to.equal(200);
    clock += 120_000;
    expect((await client.get(`/orgs/${sim.orgId}/apiKeys`)).status).to.equal(200);
  });

  describe('with curl --digest (an independent client)', () => {
    const curl = async (args: string[]) => (await run('curl', ['-s', '-S', '--digest', '-w', '\n%{http_code}', ...args], { timeout: 8000 })).stdout;

    it('reads and creates keys, and a key created this way authenticates with curl too', async () => {
      const url = sim.url + path;
      const listed = (await curl(['-u', `${sim.admin.publicKey}:${sim.admin.privateKey}`, url])).split('\n');
      expect(listed[1]).to.equal('200');
      expect(JSON.parse(listed[0]!)).to.have.property('totalCount', 1);
      const created = (await curl(['-u', `${sim.admin.publicKey}:${sim.admin.privateKey}`, '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{"desc":"via curl","roles":["ORG_READ_ONLY"]}', url])).split('\n');
      expect(created[1]).to.equal('200');
      const key = JSON.parse(created[0]!) as { publicKey: string; privateKey: string };
      expect((await curl(['-u', `${key.publicKey}:${key.privateKey}`, `${url}?pageNum=1&itemsPerPage=1`])).split('\n')[1]).to.equal('200');
    });

    it('gets 401 with a wrong password', async () => {
      const out = (await curl(['-u', `${sim.admin.publicKey}:wrong`, sim.url + path])).split('\n');
      expect(out[1]).to.equal('401');
    });
  });
});
