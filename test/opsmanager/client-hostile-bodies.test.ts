import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { OpsManagerClient, collect } from '../../src/opsmanager/client.ts';
import type { OpsManagerClientOptions } from '../../src/opsmanager/client.ts';
import {
  AmbiguousCreateError, OpsManagerError, ResponseTooLargeError, UnavailableError,
} from '../../src/opsmanager/errors.ts';
import { DEFAULT_LIMITS } from '../../src/opsmanager/limits.ts';
import { rejection } from './helpers.ts';
import { json, key, startHostile, stream } from './hostile-server.ts';
import type { HostileServer } from './hostile-server.ts';

const MiB = 1024 * 1024;
// What loopback socket buffers can hold past the point where the client stopped reading.
const SLACK = 16 * MiB;
const HUGE = 400 * MiB;

describe('opsmanager/client against a hostile endpoint: bodies', () => {
  let s: HostileServer;
  const clients: OpsManagerClient[] = [];
  const client = (extra: Partial<OpsManagerClientOptions> = {}): OpsManagerClient => {
    const c = new OpsManagerClient({ baseUrl: s.url, publicKey: 'p', privateKey: 'k', sleep: () => Promise.resolve(), ...extra });
    clients.push(c);
    return c;
  };
  beforeEach(async () => {
    s = await startHostile();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await s.close();
  });

  it(`a 400 MiB object answer: reading stops at ${DEFAULT_LIMITS.maxObjectBodyBytes} bytes, the request is aborted, OM_RESPONSE_TOO_LARGE`, async () => {
    let wrote: Promise<number> | undefined;
    s.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      wrote = stream(res, HUGE, '{"id":"');
    });
    const err = await rejection(client().getOrgKey('o1', 'k1'));
    expect(err).to.be.instanceOf(ResponseTooLargeError).and.include({ code: 'OM_RESPONSE_TOO_LARGE', status: 200, limitBytes: DEFAULT_LIMITS.maxObjectBodyBytes });
    expect((err as Error).message).to.equal(`GET /orgs/o1/apiKeys/k1: an answer larger than ${DEFAULT_LIMITS.maxObjectBodyBytes} bytes; reading stopped there`);
    expect(await wrote).to.be.below(SLACK);
    expect(s.requests).to.have.length(1);
  });

  it(`a list page past ${DEFAULT_LIMITS.maxListBodyBytes} bytes fails the listing`, async () => {
    let wrote: Promise<number> | undefined;
    s.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      wrote = stream(res, HUGE, '{"results":[');
    });
    const err = await rejection(collect(client().listOrgKeys('o1')));
    expect(err).to.be.instanceOf(ResponseTooLargeError).and.include({ limitBytes: DEFAULT_LIMITS.maxListBodyBytes });
    expect(await wrote).to.be.above(DEFAULT_LIMITS.maxListBodyBytes).and.below(DEFAULT_LIMITS.maxListBodyBytes + SLACK);
  });

  it('a list page within the bound is read (the bound is not a cut of good answers)', async () => {
    const results = Array.from({ length: 500 }, (_, i) => ({ ...(key(i) as object), desc: 'd'.repeat(250) }));
    s.handle((_req, res) => json(res, 200, { links: [], results, totalCount: 500 }));
    expect(await collect(client().listOrgKeys('o1'))).to.have.length(500);
  });

  it('a Content-Length past the bound stops the request before the body is read', async () => {
    let wrote: Promise<number> | undefined;
    s.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE) });
      wrote = stream(res, HUGE);
    });
    const err = await rejection(client({ limits: { maxObjectBodyBytes: 1000 } }).getProject('g1'));
    expect(err).to.be.instanceOf(ResponseTooLargeError).and.include({ limitBytes: 1000 });
    expect(await wrote).to.be.below(SLACK);
  });

  it('a 500 with a 400 MiB body: the first 64 KiB are read, the status still classifies it (retried, then unavailable)', async () => {
    let wrote: Promise<number> | undefined;
    s.handle((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      wrote = stream(res, HUGE, `{"errorCode":"UNEXPECTED_ERROR","detail":"`);
    });
    const err = await rejection(client({ retry: { maxAttempts: 2 } }).getOrgKey('o1', 'k1'));
    expect(err).to.be.instanceOf(UnavailableError).and.include({ status: 500 });
    expect((err as OpsManagerError).detail).to.equal(undefined);
    expect(s.requests).to.have.length(2);
    expect(await wrote).to.be.below(SLACK);
  });

  it('a 200 too large to read after a create is an ambiguous create (a key may exist)', async () => {
    s.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void stream(res, 8 * MiB, '{"id":"');
    });
    const err = await rejection(client().createOrgKey('o1', { desc: 'd', roles: ['ORG_READ_ONLY'] }));
    expect(err).to.be.instanceOf(AmbiguousCreateError);
    expect((err as AmbiguousCreateError).cause).to.be.instanceOf(ResponseTooLargeError);
    expect(s.requests).to.have.length(1);
  });

  it('a gzip body is not inflated (a small gzip can inflate to gigabytes): it is not JSON', async () => {
    const inflated = JSON.stringify(key(1));
    s.handle((_req, res) => {
      const body = gzipSync(inflated);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
    });
    const err = await rejection(client().getOrgKey('o1', 'k1'));
    expect(err).to.be.instanceOf(OpsManagerError);
    expect((err as Error).message).to.equal('GET /orgs/o1/apiKeys/k1: response is not JSON');
  });

  it('a key whose fields are longer than any Ops Manager writes is refused, not carried on into status and Secrets', async () => {
    const fields = [
      { publicKey: 'p'.repeat(1025) }, { desc: 'd'.repeat(1025) }, { id: 'i'.repeat(1025) },
      { roles: [{ roleName: 'GROUP_OWNER', groupId: 'g'.repeat(1025) }] },
    ];
    for (const extra of fields) {
      const field = Object.keys(extra)[0] === 'roles' ? 'groupId' : Object.keys(extra)[0];
      s.handle((_req, res) => json(res, 200, { ...(key(1) as object), ...extra }));
      const err = await rejection(client().getOrgKey('o1', 'k1'));
      expect((err as Error).message).to.contain(`${field} longer than 1024 characters`);
    }
    // At the bound, a field is taken as it is.
    s.handle((_req, res) => json(res, 200, { ...(key(1) as object), desc: 'd'.repeat(1024) }));
    expect((await client().getOrgKey('o1', 'k1')).desc).to.have.length(1024);
  });

  describe('error text reaches messages only bounded', () => {
    it('detail, errorCode and parameters are cut, controls stripped; the message stays short', async () => {
      s.handle((_req, res) => json(res, 409, {
        error: 409,
        errorCode: `BAD_${'X'.repeat(5000)}`,
        detail: `line one\r\n\u001b[31mred\u001b[0m ${'d'.repeat(10_000)}`,
        parameters: Array.from({ length: 40 }, (_, i) => `${i}:${'p'.repeat(1000)}`),
        reason: 'Conflict',
      }));
      const err = await rejection(client().updateOrgKey('o1', 'k1', { desc: 'x' })) as OpsManagerError;
      expect(err.code).to.equal('OM_CONFLICT');
      expect(Array.from(err.detail ?? '')).to.have.length(512);
      expect(err.detail?.startsWith('line one [31mred[0m ddd')).to.equal(true);
      expect(err.detail?.endsWith('…')).to.equal(true);
      expect(err.errorCode).to.have.length(100);
      expect(err.parameters).to.have.length(8);
      expect(err.parameters?.every((p) => Array.from(p).length <= 200)).to.equal(true);
      expect(err.message.length).to.be.below(800);
      expect([...err.message].some((ch) => ch.charCodeAt(0) < 0x20)).to.equal(false);
    });
  });
});
