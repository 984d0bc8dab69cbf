import { expect } from 'chai';
import { isConflict, isNotFound, KubeApiError } from '../../src/kube/api-errors.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { listAll } from '../../src/kube/list-pages.ts';
import { startFakeApiServer, type SeenRequest } from './fake-api-server.ts';

const status = (code: number, reason: string, message: string): { status: number; body: unknown } => ({ status: code, body: { kind: 'Status', status: 'Failure', code, reason, message } });

describe('KubeClient', () => {
  it('an error status throws a KubeApiError with the HTTP status as code and the Status message', async () => {
    const answers: Record<string, { status: number; body?: unknown }> = {
      '/api/v1/namespaces/a/secrets/missing': status(404, 'NotFound', 'secrets "missing" not found'),
      '/api/v1/namespaces/a/secrets/stale': status(409, 'Conflict', 'the object has been modified'),
      '/api/v1/namespaces/a/secrets/proxy': { status: 502, body: 'private bits' },
    };
    const api = await startFakeApiServer((r) => answers[r.path] ?? { status: 200, body: {} });
    const kube = new KubeClient({ server: api.url });
    const failure = (path: string): Promise<unknown> => kube.request({ path }).then(() => undefined, (e: unknown) => e);
    try {
      const nf = await failure('/api/v1/namespaces/a/secrets/missing');
      expect(nf).to.be.instanceOf(KubeApiError);
      expect(isNotFound(nf)).to.equal(true);
      expect((nf as KubeApiError).reason).to.equal('NotFound');
      expect((nf as Error).message).to.contain('secrets "missing" not found');
      expect(isConflict(await failure('/api/v1/namespaces/a/secrets/stale'))).to.equal(true);
      const other = (await failure('/api/v1/namespaces/a/secrets/proxy')) as KubeApiError;
      expect(other.code).to.equal(502);
      expect(other.message).to.not.contain('private bits');
    } finally {
      kube.close();
      await api.close();
    }
  });

  it('urgent requests and watches do not wait for a connection the other requests hold', async () => {
    const held: Array<() => void> = [];
    const api = await startFakeApiServer((r) => {
      if (r.path === '/slow') {
        return (res) => {
          held.push(() => {
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end('{}');
          });
        };
      }
      if (r.path === '/watch') return (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders();
      return { status: 200, body: { path: r.path } };
    });
    const kube = new KubeClient({ server: api.url }, { maxSockets: 1 });
    try {
      const slow = kube.request({ path: '/slow' });
      await waitFor(() => held.length === 1);
      const queued = kube.request<{ path: string }>({ path: '/queued' });
      const watch = await kube.stream({ path: '/watch', idleTimeoutMs: 5_000 });
      expect(await kube.request<{ path: string }>({ path: '/lease', urgent: true })).to.deep.equal({ path: '/lease' });
      expect(api.requests.map((r) => r.path)).to.deep.equal(['/slow', '/watch', '/lease']);
      held[0]?.();
      await slow;
      expect(await queued).to.deep.equal({ path: '/queued' });
      watch.destroy();
    } finally {
      kube.close();
      await api.close();
    }
  });

  it('sends JSON bodies with their content type, the token, and reuses one connection', async () => {
    const api = await startFakeApiServer(() => ({ status: 200, body: { ok: true } }));
    const kube = new KubeClient({ server: api.url, token: 'abc' });
    try {
      await kube.request({ method: 'PUT', path: '/x', body: { a: 1 } });
      await kube.request({ method: 'PATCH', path: '/x', body: [{ op: 'add' }], contentType: 'application/json-patch+json' });
      const [put, patch] = api.requests as [SeenRequest, SeenRequest];
      expect(put.headers['content-type']).to.equal('application/json');
      expect(JSON.parse(put.body)).to.deep.equal({ a: 1 });
      expect(patch.headers['content-type']).to.equal('application/json-patch+json');
      expect(put.headers.authorization).to.equal('Bearer abc');
      expect(put.headers.connection).to.equal('keep-alive');
    } finally {
      kube.close();
      await api.close();
    }
  });

  it('reads a token file again once it is older than the max age, and at once after a 401', async () => {
    let token = 'one';
    let reads = 0;
    let now = 0;
    const api = await startFakeApiServer((r) => (r.path === '/deny' ? status(401, 'Unauthorized', 'no') : { status: 200, body: {} }));
    const kube = new KubeClient({ server: api.url, tokenFile: '/t' }, { tokenMaxAgeMs: 60_000, now: () => now, readFile: () => (reads++, token) });
    const auth = (): string | undefined => api.requests.at(-1)?.headers.authorization;
    try {
      await kube.request({ path: '/a' });
      token = 'two';
      now = 59_000;
      await kube.request({ path: '/a' });
      expect([auth(), reads]).to.deep.equal(['Bearer one', 1]);
      now = 60_000;
      await kube.request({ path: '/a' });
      expect([auth(), reads]).to.deep.equal(['Bearer two', 2]);
      token = 'three';
      now = 60_001;
      await kube.request({ path: '/deny' }).catch(() => undefined);
      expect(auth()).to.equal('Bearer two');
      await kube.request({ path: '/a' });
      expect([auth(), reads]).to.deep.equal(['Bearer three', 3]);
    } finally {
      kube.close();
      await api.close();
    }
  });
});

describe('paginated lists', () => {
  const item = (name: string): unknown => ({ metadata: { name, namespace: 'a', resourceVersion: '1' } });

  it('follows continue tokens 500 at a time and gives list items their kind and apiVersion', async () => {
    const pages: Record<string, unknown> = {
      '': { kind: 'SecretList', apiVersion: 'v1', metadata: { continue: 'p2', resourceVersion: '7' }, items: [item('a'), item('b')] },
      p2: { kind: 'SecretList', apiVersion: 'v1', metadata: { continue: '', resourceVersion: '7' }, items: [item('c')] },
    };
    const api = await startFakeApiServer((r) => ({ status: 200, body: pages[r.query.get('continue') ?? ''] }));
    const kube = new KubeClient({ server: api.url });
    try {
      const all = await listAll(kube, '/api/v1/secrets', { labelSelector: 'x=y' });
      expect(all.map((o) => [o.metadata?.name, o.kind, o.apiVersion])).to.deep.equal([
        ['a', 'Secret', 'v1'],
        ['b', 'Secret', 'v1'],
        ['c', 'Secret', 'v1'],
      ]);
      expect(api.requests.map((r) => [r.query.get('limit'), r.query.get('continue'), r.query.get('labelSelector')])).to.deep.equal([
        ['500', null, 'x=y'],
        ['500', 'p2', 'x=y'],
      ]);
    } finally {
      kube.close();
      await api.close();
    }
  });

  it('starts over when the continue token expired (410), and only then', async () => {
    let expired = 1;
    const api = await startFakeApiServer((r) => {
      const cont = r.query.get('continue');
      if (cont === 'p2' && expired-- > 0) return status(410, 'Expired', 'continue token too old');
      if (cont === 'p2') return { status: 200, body: { kind: 'ConfigMapList', apiVersion: 'v1', metadata: {}, items: [item('late')] } };
      if (r.path === '/gone') return status(410, 'Gone', 'too old');
      return { status: 200, body: { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { continue: 'p2' }, items: [item('first')] } };
    });
    const kube = new KubeClient({ server: api.url });
    try {
      const all = await listAll(kube, '/api/v1/configmaps');
      expect(all.map((o) => o.metadata?.name)).to.deep.equal(['first', 'late']);
      expect(api.requests.map((r) => r.query.get('continue'))).to.deep.equal([null, 'p2', null, 'p2']);
      // A 410 on the first page is not an expired continuation: it is the caller's to handle.
      const err = await listAll(kube, '/gone').then(() => undefined, (e: unknown) => e);
      expect((err as KubeApiError).code).to.equal(410);
    } finally {
      kube.close();
      await api.close();
    }
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setImmediate(r));
  }
}
