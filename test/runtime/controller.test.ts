import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Controller } from '../../src/runtime/controller.ts';
import { TerminalError, TransientError } from '../../src/runtime/errors.ts';
import { createMetrics } from '../../src/runtime/metrics.ts';
import { ReconcileDeadline } from '../../src/runtime/reconcile-deadline.ts';
import { FakeClock, flush } from './fake-clock.ts';
import { configMap, fakeInformer, silentLogger } from './fake-list-watch.ts';
import { deferred } from './helpers.ts';

type Reconcile = (key: string, log: Logger) => Promise<{ requeueAfterMs?: number } | void>;

async function setup(reconcile: Reconcile, extra: { resyncPeriodMs?: number; lines?: string[] } = {}) {
  const clock = new FakeClock();
  const primary = fakeInformer<KubernetesObject>(clock, 'primary');
  const owned = fakeInformer<KubernetesObject>(clock, 'owned');
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const controller = new Controller(
    {
      name: 'test',
      primary: primary.informer,
      reconcile,
      resyncPeriodMs: extra.resyncPeriodMs ?? 0,
      watches: [{ informer: owned.informer, map: (o: KubernetesObject) => [`${o.metadata?.namespace}/${o.metadata?.labels?.owner}`] }],
    },
    { clock, logger: silentLogger(extra.lines), metrics, queue: { baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0 } },
  );
  await primary.informer.start();
  await owned.informer.start();
  return { clock, primary: primary.lw, owned: owned.lw, controller, registry, metrics };
}

describe('Controller', () => {
  it('reconciles every existing object on start and each changed one after', async () => {
    const calls: string[] = [];
    const t = await setup((key) => {
      calls.push(key);
      return Promise.resolve();
    });
    t.primary.emit('add', configMap('ns', 'a'));
    t.controller.enqueue('ns/ignored-while-stopped');
    t.controller.start();
    await flush();
    expect(calls).to.deep.equal(['ns/a']);
    t.primary.emit('update', configMap('ns', 'a', '2'));
    t.primary.emit('add', configMap('ns', 'b'));
    await flush();
    expect(calls).to.deep.equal(['ns/a', 'ns/a', 'ns/b']);
    const total = await t.metrics.reconcileTotal.get();
    expect(total.values.find((v) => v.labels.result === 'success')?.value).to.equal(3);
    await t.controller.stop();
  });

  it('retries a transient or unknown error with growing backoff and forgets it on success', async () => {
    let n = 0;
    const t = await setup(() => {
      n++;
      if (n === 1) return Promise.reject(new TransientError('om down'));
      if (n === 2) return Promise.reject(new Error('unexpected'));
      return Promise.resolve();
    });
    t.primary.emit('add', configMap('ns', 'a'));
    t.controller.start();
    await flush();
    expect(n).to.equal(1);
    await t.clock.advance(99);
    expect(n).to.equal(1);
    await t.clock.advance(1); // 100 ms after the first failure
    expect(n).to.equal(2);
    await t.clock.advance(199);
    expect(n).to.equal(2);
    await t.clock.advance(1); // 200 ms after the second
    expect(n).to.equal(3);
    await t.clock.advance(60_000);
    expect(n).to.equal(3);
    const errors = await t.metrics.reconcileErrors.get();
    // Series at 0 exist from the start (TERMINAL among them); these are the ones counted.
    expect(errors.values.filter((v) => v.value > 0).map((v) => v.labels.code).sort()).to.deep.equal(['TRANSIENT', 'UNKNOWN']);
    await t.controller.stop();
  });

  it('waits at least retryAfterMs of a transient error', async () => {
    let n = 0;
    const t = await setup(() => (++n === 1 ? Promise.reject(new TransientError('429', { retryAfterMs: 5000 })) : Promise.resolve()));
    t.primary.emit('add', configMap('ns', 'a'));
    t.controller.start();
    await t.clock.advance(4999);
    expect(n).to.equal(1);
    await t.clock.advance(1);
    expect(n).to.equal(2);
    await t.controller.stop();
  });

  it('does not retry a terminal error until the object changes, even on resync', async () => {
    let n = 0;
    const t = await setup(
      () => {
        n++;
        return n <= 2 ? Promise.reject(new TerminalError('invalid spec')) : Promise.resolve();
      },
      { resyncPeriodMs: 1000 },
    );
    t.primary.emit('add', configMap('ns', 'a', '1'));
    t.controller.start();
    await flush();
    expect(n).to.equal(1);
    await t.clock.advance(5000); // five resyncs, same resourceVersion
    expect(n).to.equal(1);
    t.primary.emit('update', configMap('ns', 'a', '2'));
    await flush();
    expect(n).to.equal(2);
    t.primary.emit('update', configMap('ns', 'a', '3')); // changed again: fixed
    await flush();
    expect(n).to.equal(3);
    await t.controller.stop();
  });

  it('requeues after requeueAfterMs', async () => {
    let n = 0;
    const t = await setup(() => {
      n++;
      return Promise.resolve(n === 1 ? { requeueAfterMs: 30_000 } : undefined);
    });
    t.primary.emit('add', configMap('ns', 'a'));
    t.controller.start();
    await t.clock.advance(29_999);
    expect(n).to.equal(1);
    await t.clock.advance(1);
    expect(n).to.equal(2);
    await t.controller.stop();
  });

  it('maps events of watched objects (new and old owner) to owner keys', async () => {
    const calls: string[] = [];
    const t = await setup((key) => {
      calls.push(key);
      return Promise.resolve();
    });
    t.controller.start();
    const secret = (owner: string, rv: string): KubernetesObject => ({ metadata: { namespace: 'ns', name: 's', resourceVersion: rv, labels: { owner } } });
    t.owned.emit('add', secret('one', '1'));
    await flush();
    t.owned.emit('update', secret('two', '2'));
    await flush();
    expect(calls).to.deep.equal(['ns/one', 'ns/two', 'ns/one']);
    await t.controller.stop();
  });

  it('resyncs every primary object periodically', async () => {
    const calls: string[] = [];
    const t = await setup(
      (key) => {
        calls.push(key);
        return Promise.resolve();
      },
      { resyncPeriodMs: 60_000 },
    );
    t.primary.emit('add', configMap('ns', 'a'));
    t.primary.emit('add', configMap('ns', 'b'));
    t.controller.start();
    await flush();
    expect(calls).to.have.length(2);
    await t.clock.advance(60_000);
    expect(calls).to.have.length(4);
    await t.clock.advance(60_000);
    expect(calls.sort()).to.deep.equal(['ns/a', 'ns/a', 'ns/a', 'ns/b', 'ns/b', 'ns/b']);
    await t.controller.stop();
    await t.clock.advance(600_000);
    expect(calls).to.have.length(6);
  });

  it('stop waits for the reconcile in flight', async () => {
    const gate = deferred();
    let finished = false;
    const t = await setup(async () => {
      await gate.promise;
      finished = true;
    });
    t.primary.emit('add', configMap('ns', 'a'));
    t.controller.start();
    await flush();
    let stopped = false;
    const stopping = t.controller.stop().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).to.equal(false);
    gate.resolve();
    await stopping;
    expect(finished).to.equal(true);
    expect(t.controller.running).to.equal(false);
  });

  it('a restart (the Lease regained) reconciles only what was left queued or changed while stopped, not every object', async () => {
    const calls: string[] = [];
    const gate = deferred();
    const t = await setup(async (key) => {
      calls.push(key);
      if (key === 'ns/slow' && calls.filter((k) => k === key).length === 1) await gate.promise;
    });
    for (const name of ['a', 'b', 'c', 'd', 'slow']) t.primary.emit('add', configMap('ns', name));
    t.controller.start();
    await flush();
    expect([...calls].sort()).to.deep.equal(['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/slow']);
    t.primary.emit('update', configMap('ns', 'a', '2')); // queued when the stop comes
    const stopping = t.controller.stop();
    t.primary.emit('update', configMap('ns', 'b', '2')); // changed while stopped (a rival leader's write)
    gate.resolve();
    await stopping;
    calls.length = 0;
    t.owned.emit('add', { metadata: { namespace: 'ns', name: 's', resourceVersion: '1', labels: { owner: 'c' } } });
    t.controller.start();
    await flush();
    expect([...calls].sort()).to.deep.equal(['ns/a', 'ns/b', 'ns/c', 'ns/slow']);
    calls.length = 0;
    await t.controller.stop();
    t.controller.start();
    await flush();
    expect(calls).to.deep.equal([]);
    await t.controller.stop();
  });

  it('a watch\'s `changed` drops updates that are no news for the mapped keys, never adds or deletes', async () => {
    const clock = new FakeClock();
    const primary = fakeInformer<KubernetesObject>(clock, 'primary');
    const other = fakeInformer<KubernetesObject>(clock, 'other');
    const calls: string[] = [];
    const c = new Controller(
      {
        name: 'test',
        primary: primary.informer,
        reconcile: (key) => {
          calls.push(key);
          return Promise.resolve();
        },
        resyncPeriodMs: 0,
        watches: [{ informer: other.informer, map: () => ['ns/a'], changed: (o: KubernetesObject, old: KubernetesObject) => o.metadata?.labels?.ready !== old.metadata?.labels?.ready }],
      },
      { clock, logger: silentLogger(), queue: { baseDelayMs: 100, jitter: 0 } },
    );
    await primary.informer.start();
    await other.informer.start();
    primary.lw.emit('add', configMap('ns', 'a'));
    c.start();
    await flush();
    const ref = (rv: string, ready: string): KubernetesObject => ({ metadata: { namespace: 'ns', name: 'x', resourceVersion: rv, labels: { ready } } });
    for (const [kind, obj] of [['add', ref('1', 'no')], ['update', ref('2', 'no')], ['update', ref('3', 'yes')], ['delete', ref('3', 'yes')]] as const) {
      other.lw.emit(kind, obj);
      await flush();
    }
    expect(calls).to.deep.equal(['ns/a', 'ns/a', 'ns/a', 'ns/a']); // start, add, the real change, delete
    await c.stop();
  });

  it('runs each reconcile inside the deadline it is given (what the Ops Manager calls it makes are cut to)', async () => {
    const clock = new FakeClock();
    const primary = fakeInformer<KubernetesObject>(clock, 'primary');
    const deadline = new ReconcileDeadline(clock, 5000);
    const left: Array<number | undefined> = [];
    const waiting = deferred<void>();
    const c = new Controller(
      {
        name: 'test',
        primary: primary.informer,
        reconcile: async () => {
          left.push(deadline.leftMs());
          await waiting.promise;
          left.push(deadline.leftMs());
        },
        resyncPeriodMs: 0,
      },
      { clock, logger: silentLogger(), queue: { baseDelayMs: 100, jitter: 0 }, deadline },
    );
    await primary.informer.start();
    primary.lw.emit('add', configMap('ns', 'a'));
    c.start();
    await flush();
    await clock.advance(1500);
    waiting.resolve();
    await flush();
    expect(left).to.deep.equal([5000, 3500]);
    expect(deadline.leftMs(), 'outside a reconcile').to.equal(undefined);
    await c.stop();
  });

  it('gives reconcile a logger bound to controller, namespace and name', async () => {
    const lines: string[] = [];
    const t = await setup(
      (_key, log) => {
        log.info('hello');
        return Promise.resolve();
      },
      { lines },
    );
    t.primary.emit('add', configMap('team-a', 'billing'));
    t.controller.start();
    await flush();
    const hello = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'hello');
    expect(hello).to.include({ controller: 'test', namespace: 'team-a', name: 'billing' });
    await t.controller.stop();
  });
  it('logs when every object present at start has been reconciled once, failures included', async () => {
    const lines: string[] = [];
    const gate = deferred<void>();
    const t = await setup((key) => (key === 'ns/slow' ? gate.promise : key === 'ns/bad' ? Promise.reject(new Error('no')) : Promise.resolve()), { lines });
    for (const name of ['a', 'bad', 'slow']) t.primary.emit('add', configMap('ns', name));
    const passes = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'initial reconcile pass done');
    t.controller.start();
    await t.clock.advance(40);
    expect(passes()).to.deep.equal([]);
    gate.resolve();
    await flush();
    expect(passes()).to.have.length(1);
    expect(passes()[0]).to.include({ controller: 'test', objects: 3, failed: 1, ms: 40 });
    await t.controller.stop();
  });
});
