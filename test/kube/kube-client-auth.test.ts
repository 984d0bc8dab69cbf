import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { KubeApiError } from '../../src/kube/api-errors.ts';
import type { ExecConfig } from '../../src/kube/exec-credential.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { ClusterAccess } from '../../src/kube/kube-config.ts';
import { startFakeApiServer, type SeenRequest } from './fake-api-server.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (f: string): string => readFileSync(path.join(fixtures, f), 'utf8');
const unauthorized = { status: 401, body: { kind: 'Status', code: 401, reason: 'Unauthorized', message: 'Unauthorized' } };

/** Every value of header `name` as sent (a repeated header is several values). */
const sent = (r: SeenRequest | undefined, name: string): string[] =>
  (r?.rawHeaders ?? []).flatMap((v, i, all) => (i % 2 === 0 && v.toLowerCase() === name ? [all[i + 1] ?? ''] : []));

async function closing<T>(server: { close(): Promise<void> }, kube: KubeClient, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    kube.close();
    await server.close();
  }
}

describe('KubeClient: impersonation', () => {
  it('sends the Impersonate-* headers of as, as-uid, as-groups and as-user-extra on requests and watches', async () => {
    const api = await startFakeApiServer((r) => (r.query.get('watch') ? (res) => res.writeHead(200).end() : { status: 200, body: {} }));
    const kube = new KubeClient({
      server: api.url,
      token: 't',
      impersonate: { user: 'jane', uid: '42', groups: ['dev', 'ops'], extra: { scopes: ['view', 'edit'], 'acme.com/team': ['a b'] } },
    });
    await closing(api, kube, async () => {
      await kube.request({ path: '/api/v1/namespaces' });
      (await kube.stream({ path: '/api/v1/secrets', query: { watch: 'true' }, idleTimeoutMs: 5000 })).resume();
      expect(api.requests).to.have.length(2);
      for (const r of api.requests) {
        expect(sent(r, 'impersonate-user')).to.deep.equal(['jane']);
        expect(sent(r, 'impersonate-uid')).to.deep.equal(['42']);
        expect(sent(r, 'impersonate-group')).to.deep.equal(['dev', 'ops']);
        expect(sent(r, 'impersonate-extra-scopes')).to.deep.equal(['view', 'edit']);
        // client-go's escaping of a header name: '/' is not allowed in one.
        expect(sent(r, 'impersonate-extra-acme.com%2fteam')).to.deep.equal(['a b']);
        expect(sent(r, 'authorization')).to.deep.equal(['Bearer t']);
      }
    });
  });

  it('sends no Impersonate-* header without as', async () => {
    const api = await startFakeApiServer(() => ({ status: 200, body: {} }));
    const kube = new KubeClient({ server: api.url });
    await closing(api, kube, async () => {
      await kube.request({ path: '/x' });
      expect(api.requests[0]?.rawHeaders.filter((h) => /^impersonate/i.test(h))).to.deep.equal([]);
    });
  });
});

describe('KubeClient: exec credential plugin', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-exec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A plugin printing token `tok-<n>` at its nth run (counted in a file). */
  function tokenPlugin(): ExecConfig {
    const file = path.join(dir, 'plugin.mjs');
    const runs = JSON.stringify(path.join(dir, 'runs'));
    writeFileSync(file, `import fs from 'node:fs';
fs.appendFileSync(${runs}, 'x');
const n = fs.readFileSync(${runs}, 'utf8').length;
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'tok-' + n } }));
`);
    return { user: 'dev', command: process.execPath, args: [file], env: [], apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', provideClusterInfo: false };
  }
  const runs = (): number => readFileSync(path.join(dir, 'runs'), 'utf8').length;

  it('a 401 runs the plugin again and sends once more; a second 401 is the caller\'s, without a third run', async () => {
    const valid = new Set(['tok-1']);
    const api = await startFakeApiServer((r) => {
      if (!valid.has((r.headers.authorization ?? '').replace('Bearer ', ''))) return unauthorized;
      return r.query.get('watch') ? (res) => res.writeHead(200).end() : { status: 200, body: { ok: true } };
    });
    const kube = new KubeClient({ server: api.url, exec: tokenPlugin() });
    const tokens = (): string[] => api.requests.map((r) => r.headers.authorization ?? '');
    await closing(api, kube, async () => {
      await kube.request({ path: '/a' });
      await kube.request({ path: '/a' });
      expect([runs(), tokens()]).to.deep.equal([1, ['Bearer tok-1', 'Bearer tok-1']]);
      // The credential is revoked before its (absent) expiry.
      valid.clear();
      valid.add('tok-2');
      expect(await kube.request({ method: 'POST', path: '/b', body: { n: 1 } })).to.deep.equal({ ok: true });
      expect([runs(), tokens().slice(2)]).to.deep.equal([2, ['Bearer tok-1', 'Bearer tok-2']]);
      expect(JSON.parse(api.requests.at(-1)?.body ?? '')).to.deep.equal({ n: 1 });
      // Watches too.
      valid.clear();
      valid.add('tok-3');
      (await kube.stream({ path: '/w', query: { watch: 'true' }, idleTimeoutMs: 5000 })).resume();
      expect([runs(), tokens().slice(4)]).to.deep.equal([3, ['Bearer tok-2', 'Bearer tok-3']]);
      // A plugin whose fresh credential is refused as well: one more run, then the 401.
      valid.clear();
      const err = await kube.request({ path: '/c' }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(KubeApiError);
      expect((err as KubeApiError).code).to.equal(401);
      expect([runs(), tokens().slice(6)]).to.deep.equal([4, ['Bearer tok-3', 'Bearer tok-4']]);
    });
  });

  it('a 401 to a token that is not the plugin\'s runs nothing and sends once', async () => {
    const api = await startFakeApiServer(() => unauthorized);
    const kube = new KubeClient({ server: api.url, token: 'static' });
    await closing(api, kube, async () => {
      const err = await kube.request({ path: '/a' }).then(() => undefined, (e: unknown) => e);
      expect((err as KubeApiError).code).to.equal(401);
      expect(api.requests).to.have.length(1);
    });
  });
});

/** An https API server with the fixtures' certificate (for api.omkeys.test only) that asks for a client certificate. */
async function startTlsApiServer(): Promise<{ url: string; seen: Array<{ sni: string | false; cn: unknown; auth: string | undefined }>; close(): Promise<void> }> {
  const seen: Array<{ sni: string | false; cn: unknown; auth: string | undefined }> = [];
  const server = https.createServer({ key: fixture('server.key'), cert: fixture('server.crt'), ca: fixture('ca.crt'), requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as TLSSocket;
    seen.push({ sni: socket.servername ?? false, cn: socket.getPeerCertificate().subject?.CN, auth: req.headers.authorization });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  return listen(server, 'https', seen);
}

/** An HTTP CONNECT proxy that records what it was asked to reach and with which Proxy-Authorization. */
async function startConnectProxy(opts: { refuse?: boolean } = {}): Promise<{ url: string; seen: Array<{ target: string; auth: string | undefined }>; close(): Promise<void> }> {
  const seen: Array<{ target: string; auth: string | undefined }> = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    seen.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    if (opts.refuse) return client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return listen(server, 'http', seen);
}

async function listen<S>(server: http.Server, scheme: string, seen: S): Promise<{ url: string; seen: S; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return { url: `${scheme}://127.0.0.1:${port}`, seen, close };
}

describe('KubeClient: tls-server-name, proxy-url, and a client certificate from the plugin', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-exec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function certPlugin(): ExecConfig {
    const file = path.join(dir, 'plugin.mjs');
    const status = { clientCertificateData: fixture('client.crt'), clientKeyData: fixture('client.key') };
    writeFileSync(file, `process.stdout.write(${JSON.stringify(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status }))});\n`);
    return { user: 'dev', command: process.execPath, args: [file], env: [], apiVersion: 'client.authentication.k8s.io/v1beta1', interactiveMode: 'IfAvailable', provideClusterInfo: false };
  }

  const cases: Array<{ name: string; proxy: boolean; serverName: boolean; error?: RegExp }> = [
    { name: 'direct, the certificate checked against tls-server-name and SNI set to it', proxy: false, serverName: true },
    { name: 'through the proxy, the same', proxy: true, serverName: true },
    { name: 'without tls-server-name the certificate (for api.omkeys.test) does not match 127.0.0.1', proxy: false, serverName: false, error: /altnames|IP: 127.0.0.1 is not in the cert/ },
    { name: 'through the proxy, the same refusal', proxy: true, serverName: false, error: /altnames|IP: 127.0.0.1 is not in the cert/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const api = await startTlsApiServer();
      const proxy = await startConnectProxy();
      const access: ClusterAccess = {
        server: api.url,
        ca: fixture('ca.crt'),
        exec: certPlugin(),
        ...(c.serverName ? { tlsServerName: 'api.omkeys.test' } : {}),
        ...(c.proxy ? { proxyUrl: proxy.url.replace('http://', 'http://me:p%40ss@') } : {}),
      };
      const kube = new KubeClient(access);
      try {
        const result = await kube.request({ path: '/version' }).then(() => undefined, (e: unknown) => e as Error);
        if (c.error) {
          expect(result?.message).to.match(c.error);
          expect(api.seen).to.deep.equal([]);
        } else {
          expect(result).to.equal(undefined);
          expect(api.seen).to.deep.equal([{ sni: 'api.omkeys.test', cn: 'exec-user', auth: undefined }]);
        }
        const target = new URL(api.url).host;
        const auth = `Basic ${Buffer.from('me:p@ss').toString('base64')}`;
        expect(proxy.seen).to.deep.equal(c.proxy ? [{ target, auth }] : []);
      } finally {
        kube.close();
        await api.close();
        await proxy.close();
      }
    });
  }

  it('an http API server through the proxy, connections kept alive through the tunnel', async () => {
    const api = await startFakeApiServer(() => ({ status: 200, body: { ok: true } }));
    const proxy = await startConnectProxy();
    const kube = new KubeClient({ server: api.url, token: 't', proxyUrl: proxy.url });
    await closing(api, kube, async () => {
      for (let i = 0; i < 3; i++) expect(await kube.request({ path: '/x' })).to.deep.equal({ ok: true });
      expect(api.requests.map((r) => r.headers.authorization)).to.deep.equal(['Bearer t', 'Bearer t', 'Bearer t']);
      expect(proxy.seen).to.deep.equal([{ target: new URL(api.url).host, auth: undefined }]);
    }).finally(() => proxy.close());
  });

  it('a proxy that refuses the tunnel: a ProxyTunnelError', async () => {
    const api = await startFakeApiServer(() => ({ status: 200, body: {} }));
    const proxy = await startConnectProxy({ refuse: true });
    const kube = new KubeClient({ server: api.url, proxyUrl: proxy.url });
    await closing(api, kube, async () => {
      const err = (await kube.request({ path: '/x' }).then(() => undefined, (e: unknown) => e)) as { code?: string; message?: string };
      expect(err.code).to.equal('PROXY_TUNNEL_FAILED');
      expect(err.message).to.match(/answered CONNECT 127\.0\.0\.1:\d+ with HTTP 407/);
      expect(api.requests).to.deep.equal([]);
    }).finally(() => proxy.close());
  });
});
