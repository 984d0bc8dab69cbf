import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { expect } from 'chai';
import pino from 'pino';
import { OpsManagerClient } from '../../src/opsmanager/client.ts';
import { AmbiguousCreateError, UnavailableError, UnauthorizedError } from '../../src/opsmanager/errors.ts';
import type { OpsManagerError } from '../../src/opsmanager/errors.ts';
import { harness, rejection } from './helpers.ts';
import type { Harness } from './helpers.ts';

function serialisations(err: unknown): string[] {
  return [
    inspect(err, { depth: Infinity, showHidden: true }),
    JSON.stringify(err),
    JSON.stringify(err, Object.getOwnPropertyNames(err)),
    String(err),
    (err as Error).stack ?? '',
    inspect((err as Error).cause, { depth: Infinity, showHidden: true }),
  ];
}

function expectClean(texts: string[], secrets: string[]): void {
  for (const text of texts) {
    for (const s of secrets) expect(text, 'a secret leaked').not.to.contain(s);
    expect(text).not.to.match(/Digest\s+username|response="[0-9a-f]{32}"/i);
  }
}

describe('opsmanager/client: secrets never leave the client', () => {
  let h: Harness;
  let logs: string[];
  const logger = () => pino({ level: 'trace' }, { write: (s: string) => { logs.push(s); } });
  beforeEach(async () => {
    h = await harness();
    logs = [];
  });
  afterEach(() => h.stop());

  it('not in errors or logs across failures, nor the created key in later logs', async () => {
    const secrets = [h.sim.admin.privateKey];
    const c = h.client({ logger: logger(), timeoutMs: 1000, retry: { maxAttempts: 2 } });
    const created = await c.createOrgKey(h.sim.orgId, { desc: 'secret holder', roles: ['ORG_READ_ONLY'] });
    secrets.push(created.privateKey);
    const errors: unknown[] = [];

    h.sim.faults.set([{ method: 'POST', fault: 'drop-after-apply', count: 1 }]);
    errors.push(await rejection(c.createOrgKey(h.sim.orgId, { desc: 'dropped', roles: ['ORG_READ_ONLY'] })));
    h.sim.faults.set([{ method: 'POST', fault: 'status', status: 500, count: 1 }]);
    errors.push(await rejection(c.createOrgKey(h.sim.orgId, { desc: 'five hundred', roles: ['ORG_READ_ONLY'] })));
    h.sim.faults.set([{ method: 'GET', fault: 'timeout' }]);
    errors.push(await rejection(c.getOrgKey(h.sim.orgId, created.id)));
    h.sim.faults.set([{ method: 'PATCH', fault: 'reset' }]);
    errors.push(await rejection(c.updateOrgKey(h.sim.orgId, created.id, { desc: 'y' })));
    h.sim.faults.clear();
    const wrong = h.client({ logger: logger(), privateKey: 'deadbeef-dead-beef-dead-beefdeadbeef' });
    secrets.push('deadbeef-dead-beef-dead-beefdeadbeef');
    errors.push(await rejection(wrong.getOrgKey(h.sim.orgId, created.id)));
    const asCreated = h.client({ logger: logger(), publicKey: created.publicKey, privateKey: created.privateKey });
    errors.push(await rejection(asCreated.createOrgKey(h.sim.orgId, { desc: 'no role', roles: ['ORG_READ_ONLY'] })));

    expect(errors.map((e) => (e as OpsManagerError).code)).to.deep.equal([
      'OM_AMBIGUOUS_CREATE', 'OM_AMBIGUOUS_CREATE', 'OM_UNAVAILABLE', 'OM_UNAVAILABLE', 'OM_UNAUTHORIZED', 'OM_FORBIDDEN',
    ]);
    expect(errors[0]).to.be.instanceOf(AmbiguousCreateError);
    expect((errors[1] as AmbiguousCreateError).cause).to.be.instanceOf(UnavailableError);
    expect(errors[4]).to.be.instanceOf(UnauthorizedError);
    for (const e of errors) expectClean(serialisations(e), secrets);
    expect(logs.length).to.be.greaterThan(10);
    expectClean(logs, secrets);
  });

  describe('odd create responses', () => {
    const leaked = '11111111-2222-3333-4444-555555555555';
    let server: http.Server;
    let url: string;
    let reply = '';
    const agents: (string | undefined)[] = [];
    before(async () => {
      server = http.createServer((req, res) => {
        agents.push(req.headers['user-agent']);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(reply);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    for (const [name, body] of [
      ['not JSON', `{"privateKey": "${leaked}", oops`],
      ['JSON of the wrong shape', JSON.stringify({ privateKey: leaked, desc: 'no id' })],
    ] as const) {
      it(`reports a ${name} create response as ambiguous without quoting it`, async () => {
        reply = body;
        const c = new OpsManagerClient({ baseUrl: url, publicKey: 'abcdefgh', privateKey: 'x', logger: logger(), version: '1.2.3' });
        try {
          const err = await rejection(c.createOrgKey('5f0c3b7c2e9a1b0001a1b2c3', { desc: 'd', roles: ['ORG_READ_ONLY'] }));
          expect(err).to.be.instanceOf(AmbiguousCreateError);
          expectClean([...serialisations(err), ...logs], [leaked]);
          expect(agents.at(-1)).to.equal('omkeys/1.2.3');
        } finally {
          c.close();
        }
      });
    }
  });
});
