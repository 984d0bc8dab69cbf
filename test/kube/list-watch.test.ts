import { expect } from 'chai';
import type http from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { ListWatch } from '../../src/kube/list-watch.ts';
import { waitFor } from '../runtime/helpers.ts';
import { startFakeApiServer, type Answer, type SeenRequest } from './fake-api-server.ts';

const obj = (name: string, rv: string): KubernetesObject => ({ metadata: { name, namespace: 'a', resourceVersion: rv } });
const list = (rv: string, items: KubernetesObject[], cont = ''): Answer => ({ status: 200, body: { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: rv, continue: cont }, items } });
const event = (type: string, o: unknown): string => `${JSON.stringify({ type, object: o })}\n`;

/** A watch answer that writes these lines and then ends (as the API server does at timeoutSeconds) unless told to hang. */
function watchAnswer(lines: string[], opts: { end?: boolean } = {}): Answer {
  return (res: http.ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    // The API server sends a watch's headers at once, before any event.
    res.flushHeaders();
    for (const l of lines) res.write(l);
    if (opts.end ?? true) res.end();
  };
}

interface Harness {
  lw: ListWatch<KubernetesObject>;
  held: Map<string, KubernetesObject>;
  log: string[];
  errors: unknown[];
  requests: SeenRequest[];
  close(): Promise<void>;
}

async function harness(lists: Answer[], watches: Answer[]): Promise<Harness> {
  const api = await startFakeApiServer((r) => (r.query.get('watch') === 'true' ? watches.shift() : lists.shift()) ?? watchAnswer([], { end: false }));
  const kube = new KubeClient({ server: api.url });
  const held = new Map<string, KubernetesObject>();
  const key = (o: KubernetesObject): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
  const log: string[] = [];
  const errors: unknown[] = [];
  const lw = new ListWatch<KubernetesObject>({
    client: kube,
    path: '/api/v1/namespaces/a/configmaps',
    labelSelector: 'app=x',
    pageSize: 2,
    held: { get: (ns, name) => held.get(`${ns}/${name}`), list: () => [...held.values()] },
    watchTimeoutSeconds: () => 300,
  });
  for (const verb of ['add', 'update', 'delete'] as const) {
    lw.on(verb, (o) => {
      log.push(`${verb} ${o.metadata?.name}@${o.metadata?.resourceVersion}`);
      if (verb === 'delete') held.delete(key(o));
      else held.set(key(o), o);
    });
  }
  lw.on('error', (e) => errors.push(e));
  return {
    lw,
    held,
    log,
    errors,
    requests: api.requests,
    close: async () => {
      await lw.stop();
      kube.close();
      await api.close();
    },
  };
}

const watchQuery = (r: SeenRequest): string[] => [r.query.get('resourceVersion') ?? '', r.query.get('allowWatchBookmarks') ?? '', r.query.get('labelSelector') ?? ''];

describe('ListWatch', () => {
  it('lists page by page, watches from the list, resumes after a bookmark, and re-lists after 410 (deleting what went)', async () => {
    const h = await harness(
      [list('10', [obj('a', '1'), obj('b', '2')], 'next'), list('10', [obj('c', '3')]), list('40', [obj('a', '35'), obj('c', '3')])],
      [
        watchAnswer([event('MODIFIED', obj('b', '11')), event('BOOKMARK', { kind: 'ConfigMap', metadata: { resourceVersion: '20' } })]),
        watchAnswer([event('ERROR', { kind: 'Status', code: 410, reason: 'Expired' })]),
      ],
    );
    try {
      await h.lw.start();
      await waitFor(() => h.requests.filter((r) => r.query.get('watch') === 'true').length >= 3, 10_000, 'the third watch');
      expect(h.log).to.deep.equal(['add a@1', 'add b@2', 'add c@3', 'update b@11', 'update a@35', 'delete b@11']);
      const [l1, l2, w1, w2, l3, w3] = h.requests as SeenRequest[] & { length: 6 };
      expect([l1!.query.get('limit'), l2!.query.get('continue'), l1!.query.get('labelSelector')]).to.deep.equal(['2', 'next', 'app=x']);
      expect(watchQuery(w1!)).to.deep.equal(['10', 'true', 'app=x']);
      expect(watchQuery(w2!)).to.deep.equal(['20', 'true', 'app=x']);
      expect(l3!.query.get('watch')).to.equal(null);
      expect(watchQuery(w3!)).to.deep.equal(['40', 'true', 'app=x']);
      expect(h.errors).to.deep.equal([]);
      expect([...h.held.keys()].sort()).to.deep.equal(['a/a', 'a/c']);
    } finally {
      await h.close();
    }
  });

  it('reports a failed watch once and, started again, resumes from the last resourceVersion without listing', async () => {
    const h = await harness(
      [list('10', [obj('a', '1')])],
      [watchAnswer([event('ADDED', obj('b', '12'))]), { status: 500, body: { kind: 'Status', code: 500, message: 'etcd away' } }],
    );
    try {
      await h.lw.start();
      await waitFor(() => h.errors.length === 1, 10_000, 'the error');
      expect((h.errors[0] as { code?: unknown }).code).to.equal(500);
      await h.lw.start();
      await waitFor(() => h.requests.length === 4, 10_000, 'the resumed watch');
      expect(h.requests.map((r) => (r.query.get('watch') ? `watch@${r.query.get('resourceVersion')}` : 'list'))).to.deep.equal(['list', 'watch@10', 'watch@12', 'watch@12']);
      expect(h.errors).to.have.length(1);
      expect(h.log).to.deep.equal(['add a@1', 'add b@12']);
    } finally {
      await h.close();
    }
  });

  it('a connection cut mid-stream (the API server killed) is reported, after the events that arrived', async () => {
    const cut: Answer = (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(event('ADDED', obj('b', '12')));
      setTimeout(() => res.socket?.destroy(), 50);
    };
    const h = await harness([list('10', [obj('a', '1')])], [cut]);
    try {
      await h.lw.start();
      await waitFor(() => h.errors.length === 1, 10_000, 'the error');
      expect(h.log).to.deep.equal(['add a@1', 'add b@12']);
      expect(h.lw.lastResourceVersion).to.equal('12');
    } finally {
      await h.close();
    }
  });

  it('a 410 to the watch itself re-lists; a list that fails is reported', async () => {
    const h = await harness(
      [list('5', [obj('a', '1')]), list('9', [obj('a', '1'), obj('n', '8')]), { status: 403, body: { kind: 'Status', code: 403, message: 'forbidden' } }],
      [{ status: 410, body: { kind: 'Status', code: 410, reason: 'Expired' } }, watchAnswer([event('ERROR', { kind: 'Status', code: 410 })])],
    );
    try {
      await h.lw.start();
      await waitFor(() => h.errors.length === 1, 10_000, 'the failed third list');
      // The second list saw a unchanged (no event) and n new; the watch after it said 410 and the next list failed.
      expect(h.log).to.deep.equal(['add a@1', 'add n@8']);
      expect((h.errors[0] as { code?: unknown }).code).to.equal(403);
    } finally {
      await h.close();
    }
  });
});
