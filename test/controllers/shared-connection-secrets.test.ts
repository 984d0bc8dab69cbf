import type { V1Secret } from '@kubernetes/client-node';
import { expect } from 'chai';
import pino from 'pino';
import { ConnectionError, ConnectionPool } from '../../src/controllers/shared/connections.ts';
import type { SecretWatch } from '../../src/controllers/shared/connection-secrets.ts';
import type { OpsManagerClientOptions } from '../../src/opsmanager/client.ts';
import type { OpsManagerClient } from '../../src/opsmanager/client.ts';
import { FakeClock, flush } from '../runtime/fake-clock.ts';
import { catalogOf, namespacedConnection } from './support/connection-fixtures.ts';

const silent = pino({ level: 'silent' });
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function connectionSecret(name: string, publicKey: string, privateKey: string): V1Secret {
  return { metadata: { name, namespace: 'team-a' }, data: { publicKey: b64(publicKey), privateKey: b64(privateKey) } };
}

/** A watch of one Secret that syncs when the test says so, holding whatever the test puts in it. */
class FakeWatch implements SecretWatch {
  held: V1Secret | undefined;
  started = 0;
  stopped = 0;
  private synced = false;
  private readonly waiters: Array<() => void> = [];

  async start(): Promise<void> {
    this.started++;
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped++;
    return Promise.resolve();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  async waitForSync(): Promise<void> {
    if (this.synced) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  sync(secret: V1Secret | undefined): void {
    this.held = secret;
    this.synced = true;
    for (const w of this.waiters.splice(0)) w();
  }

  get(): V1Secret | undefined {
    return this.held;
  }
}

function world(opts: { watch: boolean }) {
  const clock = new FakeClock();
  const stored = new Map<string, V1Secret>();
  const gets: string[] = [];
  const watches = new Map<string, FakeWatch>();
  const made: OpsManagerClientOptions[] = [];
  const pool = new ConnectionPool({
    secrets: {
      get: async (ns, name) => {
        gets.push(`${ns}/${name}`);
        return Promise.resolve(stored.get(`${ns}/${name}`));
      },
    },
    catalog: catalogOf({ namespaced: [namespacedConnection('team-a', 'om', 'https://om.test', 'om')] }),
    clientOptions: {},
    logger: silent,
    clock,
    secretWatchIdleMs: 60_000,
    makeClient: (o) => {
      made.push(o);
      return { close: () => undefined } as unknown as OpsManagerClient;
    },
    ...(opts.watch
      ? {
          secretWatch: (ns: string, name: string) => {
            const w = new FakeWatch();
            watches.set(`${ns}/${name}`, w);
            return w;
          },
        }
      : {}),
  });
  return { clock, stored, gets, watches, made, pool };
}

describe('ConnectionPool: connection Secrets come from a watch of each, not from live reads', () => {
  it('a rotated pair is used on the next resolve, with no live GET at all', async () => {
    const w = world({ watch: true });
    const pending = w.pool.resolve('team-a', 'OpsManagerConnection/om');
    await flush();
    const watch = w.watches.get('team-a/om');
    expect(watch?.started).to.equal(1);
    watch?.sync(connectionSecret('om', 'pub-1', 'priv-1'));
    expect((await pending).baseUrl).to.equal('https://om.test');
    for (let i = 0; i < 5; i++) await w.pool.resolve('team-a', 'OpsManagerConnection/om');
    expect(w.made.map((m) => m.publicKey)).to.deep.equal(['pub-1']);
    // The API server sends the change; the next reconcile uses it.
    if (watch) watch.held = connectionSecret('om', 'pub-2', 'priv-2');
    await w.pool.resolve('team-a', 'OpsManagerConnection/om');
    expect(w.made.map((m) => m.publicKey)).to.deep.equal(['pub-1', 'pub-2']);
    expect(w.gets, 'live GETs').to.deep.equal([]);
    expect(w.watches.size, 'one watch for every read of the Secret').to.equal(1);
  });

  it('a Secret the watch does not hold is ConnectionInvalid; a cleanup uses the last pair read', async () => {
    const w = world({ watch: true });
    const first = w.pool.resolve('team-a', 'OpsManagerConnection/om');
    await flush();
    const watch = w.watches.get('team-a/om');
    watch?.sync(connectionSecret('om', 'pub-1', 'priv-1'));
    await first;
    if (watch) watch.held = undefined;
    let err: unknown;
    await w.pool.resolve('team-a', 'OpsManagerConnection/om').catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(ConnectionError);
    expect((await w.pool.resolve('team-a', 'OpsManagerConnection/om', { forCleanup: true })).baseUrl).to.equal('https://om.test');
  });

  it('a watch no reconcile used for the idle period is stopped; the next use starts a new one', async () => {
    const w = world({ watch: true });
    const first = w.pool.resolve('team-a', 'OpsManagerConnection/om');
    await flush();
    const old = w.watches.get('team-a/om');
    old?.sync(connectionSecret('om', 'pub-1', 'priv-1'));
    await first;
    await w.clock.advance(60_000);
    const next = w.pool.resolve('team-a', 'OpsManagerConnection/om');
    await flush();
    expect(old?.stopped).to.equal(1);
    const fresh = w.watches.get('team-a/om');
    expect(fresh).to.not.equal(old);
    fresh?.sync(connectionSecret('om', 'pub-1', 'priv-1'));
    await next;
  });

  it('while a watch has not synced within the timeout, the Secret is read live (once for a burst)', async () => {
    const w = world({ watch: true });
    w.stored.set('team-a/om', connectionSecret('om', 'pub-1', 'priv-1'));
    const burst = Promise.all([1, 2, 3].map(() => w.pool.resolve('team-a', 'OpsManagerConnection/om')));
    await flush();
    await w.clock.advance(5000);
    await burst;
    expect(w.gets).to.deep.equal(['team-a/om']);
  });

  it('without a watch factory: one live read per Secret shared by concurrent reconciles, then again after the TTL', async () => {
    const w = world({ watch: false });
    w.stored.set('team-a/om', connectionSecret('om', 'pub-1', 'priv-1'));
    await Promise.all([1, 2, 3].map(() => w.pool.resolve('team-a', 'OpsManagerConnection/om')));
    expect(w.gets).to.deep.equal(['team-a/om']);
    await w.clock.advance(5000);
    await w.pool.resolve('team-a', 'OpsManagerConnection/om');
    expect(w.gets).to.deep.equal(['team-a/om', 'team-a/om']);
  });

  it('close() stops every watch', async () => {
    const w = world({ watch: true });
    const p = w.pool.resolve('team-a', 'OpsManagerConnection/om');
    await flush();
    w.watches.get('team-a/om')?.sync(connectionSecret('om', 'pub-1', 'priv-1'));
    await p;
    w.pool.close();
    await flush();
    expect(w.watches.get('team-a/om')?.stopped).to.equal(1);
  });
});
