import { expect } from 'chai';
import { OpsManagerClient, collect } from '../../src/opsmanager/client.ts';
import type { OpsManagerClientOptions } from '../../src/opsmanager/client.ts';
import { LimitExceededError, PaginationLimitError } from '../../src/opsmanager/errors.ts';
import { DEFAULT_LIMITS } from '../../src/opsmanager/limits.ts';
import { rejection } from './helpers.ts';
import { json, key, page, startHostile } from './hostile-server.ts';
import type { HostileServer } from './hostile-server.ts';

const pageNum = (url: string | undefined): number => Number(new URL(url ?? '/', 'http://x').searchParams.get('pageNum') ?? '1');

describe('opsmanager/client against a hostile endpoint: listings', () => {
  let s: HostileServer;
  let c: OpsManagerClient;
  const client = (extra: Partial<OpsManagerClientOptions> = {}): OpsManagerClient => {
    c.close();
    c = new OpsManagerClient({ baseUrl: s.url, publicKey: 'p', privateKey: 'k', ...extra });
    return c;
  };
  beforeEach(async () => {
    s = await startHostile();
    c = new OpsManagerClient({ baseUrl: s.url, publicKey: 'p', privateKey: 'k' });
  });
  afterEach(async () => {
    c.close();
    await s.close();
  });

  /** Every page has new items and a `next`: a list without end. */
  const endless = (perPage: number): void => s.handle((req, res) => {
    const n = pageNum(req.url);
    const items = Array.from({ length: perPage }, (_, i) => key(n * perPage + i));
    json(res, 200, page(items, `${s.url}/api/public/v1.0/orgs/o1/apiKeys?pageNum=${n + 1}`));
  });

  it(`endless next links: stops after ${DEFAULT_LIMITS.maxPages} pages with OM_PAGINATION_LIMIT`, async () => {
    endless(1);
    const err = await rejection(collect(c.listOrgKeys('o1')));
    expect(err).to.be.instanceOf(PaginationLimitError).and.instanceOf(LimitExceededError)
      .and.include({ code: 'OM_PAGINATION_LIMIT', summary: `a list of more than ${DEFAULT_LIMITS.maxPages} pages` });
    expect((err as Error).message).to.equal(`GET /orgs/{orgId}/apiKeys: a list of more than ${DEFAULT_LIMITS.maxPages} pages`);
    expect(s.requests).to.have.length(DEFAULT_LIMITS.maxPages);
  });

  it('too many items: stops at the page that passes the item bound', async () => {
    endless(500);
    const err = await rejection(collect(client({ limits: { maxItems: 1200 } }).listOrgKeys('o1')));
    expect(err).to.be.instanceOf(PaginationLimitError).and.include({ summary: 'a list of more than 1200 items' });
    expect(s.requests).to.have.length(3);
  });

  it('too many bytes over all pages: stops at the page that passes the byte bound', async () => {
    endless(100);
    const err = await rejection(collect(client({ limits: { maxListBytes: 30_000 } }).listOrgKeys('o1')));
    expect(err).to.be.instanceOf(PaginationLimitError).and.include({ summary: 'a list of more than 30000 bytes' });
    // A page of 100 keys is about 13 kB: the third passes 30 kB in all.
    expect(s.requests).to.have.length(3);
  });

  it('a next link back to a page already read fails the listing (it is not a silent end)', async () => {
    s.handle((req, res) => {
      const n = pageNum(req.url);
      const back = n === 2 ? 'itemsPerPage=500&pageNum=1' : 'pageNum=2';
      json(res, 200, page([key(n)], `${s.url}/api/public/v1.0/orgs/o1/apiKeys?${back}`));
    });
    const err = await rejection(collect(c.listOrgKeys('o1')));
    expect(err).to.be.instanceOf(PaginationLimitError).and.include({ summary: 'a next link back to a page already read' });
    expect(s.requests).to.have.length(2);
  });

  it('the same page served under every link fails the listing at the second', async () => {
    s.handle((req, res) => json(res, 200, page([key(1), key(2)], `${s.url}/api/public/v1.0/orgs/o1/apiKeys?pageNum=${pageNum(req.url) + 1}`)));
    const err = await rejection(collect(c.listOrgKeys('o1')));
    expect(err).to.be.instanceOf(PaginationLimitError).and.include({ summary: 'the same page served twice' });
    expect(s.requests).to.have.length(2);
  });

  it('a real list of several pages is read whole', async () => {
    s.handle((req, res) => {
      const n = pageNum(req.url);
      json(res, 200, page([key(n)], n < 3 ? `${s.url}/api/public/v1.0/orgs/o1/apiKeys?pageNum=${n + 1}` : undefined));
    });
    expect((await collect(c.listOrgKeys('o1'))).map((k) => k.desc)).to.deep.equal(['k1', 'k2', 'k3']);
  });
});
