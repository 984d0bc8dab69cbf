import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { OpsManagerClient, collect } from '../../src/opsmanager/client.ts';

/** Ops Manager behind a proxy: `next` links name a host the client cannot reach. */
describe('opsmanager/client: pagination links', () => {
  let server: http.Server;
  let base: string;
  const seen: string[] = [];
  const key = (i: number) => ({
    id: i.toString(16).padStart(24, '0'), desc: `k${i}`, publicKey: 'abcdefgh', privateKey: '********-****-****-000000000000',
    roles: [{ groupId: 'g1', roleName: 'GROUP_READ_ONLY' }],
    links: [{ rel: 'self', href: `https://internal.example:8443/api/public/v1.0/orgs/org1/apiKeys/${i}` }],
  });
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('pageNum') ?? '1');
      const links = [{ rel: 'self', href: `https://internal.example:8443${req.url ?? ''}` }];
      if (page < 3) links.push({ rel: 'next', href: `https://internal.example:8443/api/public/v1.0/groups/g1/apiKeys?pageNum=${page + 1}` });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ links, results: [key(page * 10), key(page * 10 + 1)], totalCount: 6 }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('follows next through the configured base, keeps 500 per page, and reads orgId from the self link', async () => {
    const c = new OpsManagerClient({ baseUrl: `${base}/`, publicKey: 'p', privateKey: 'k' });
    try {
      const keys = await collect(c.listProjectKeys('g1'));
      expect(keys.map((k) => k.desc)).to.deep.equal(['k10', 'k11', 'k20', 'k21', 'k30', 'k31']);
      expect(keys.every((k) => k.orgId === 'org1')).to.equal(true);
      expect(seen).to.deep.equal([
        '/api/public/v1.0/groups/g1/apiKeys?itemsPerPage=500&pageNum=1',
        '/api/public/v1.0/groups/g1/apiKeys?pageNum=2&itemsPerPage=500',
        '/api/public/v1.0/groups/g1/apiKeys?pageNum=3&itemsPerPage=500',
      ]);
    } finally {
      c.close();
    }
  });
});
