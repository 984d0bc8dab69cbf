import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Controller } from '../../src/runtime/controller.ts';
import { OwnWrites } from '../../src/runtime/own-writes.ts';
import { FakeClock, flush } from './fake-clock.ts';
import { configMap, fakeInformer, silentLogger } from './fake-list-watch.ts';

describe('OwnWrites', () => {
  it('knows the echo of a write by kind, namespace, name and resourceVersion', () => {
    const w = new OwnWrites();
    w.record({ metadata: { namespace: 'ns', name: 'a', resourceVersion: '5' } }, 'ConfigMap');
    expect(w.isEcho({ kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'a', resourceVersion: '5' } })).to.equal(true);
    expect(w.isEcho({ kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'a', resourceVersion: '6' } }), 'a later change').to.equal(false);
    expect(w.isEcho({ kind: 'Secret', metadata: { namespace: 'ns', name: 'a', resourceVersion: '5' } }), 'another kind').to.equal(false);
    expect(w.isEcho({ kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'a' } }), 'no version').to.equal(false);
    w.forget({ kind: 'ConfigMap', metadata: { namespace: 'ns', name: 'a' } });
    expect(w.size).to.equal(0);
  });

  it('knows the echo of each of several writes to one object, delivered late, and not of versions it never wrote', () => {
    const w = new OwnWrites();
    for (const rv of ['10', '11', '12']) w.record({ metadata: { namespace: 'ns', name: 'a', resourceVersion: rv } }, 'OpsManagerApiKey');
    const at = (rv: string): boolean => w.isEcho({ kind: 'OpsManagerApiKey', metadata: { namespace: 'ns', name: 'a', resourceVersion: rv } });
    expect([at('10'), at('11'), at('12'), at('9'), at('13')]).to.deep.equal([true, true, true, false, false]);
    for (let rv = 13; rv < 30; rv++) w.record({ metadata: { namespace: 'ns', name: 'a', resourceVersion: String(rv) } }, 'OpsManagerApiKey');
    expect(at('10'), 'only the last few are kept').to.equal(false);
    expect(at('29')).to.equal(true);
  });

  it('knows a copy one of its writes replaced (the cache lags that write), and nothing else', () => {
    const w = new OwnWrites();
    w.record({ metadata: { namespace: 'ns', name: 'b', resourceVersion: '8' } }, 'ProjectKeyBinding', '7');
    const at = (rv: string): boolean => w.isSuperseded({ metadata: { namespace: 'ns', name: 'b', resourceVersion: rv } }, 'ProjectKeyBinding');
    expect([at('7'), at('8'), at('9')]).to.deep.equal([true, false, false]);
    expect(w.isSuperseded({ metadata: { namespace: 'ns', name: 'other', resourceVersion: '7' } }, 'ProjectKeyBinding')).to.equal(false);
    w.forget({ kind: 'ProjectKeyBinding', metadata: { namespace: 'ns', name: 'b' } });
    expect(at('7'), 'forgotten with the object').to.equal(false);
  });

  it('keeps the controller from reconciling the echo of its own write, but not other changes', async () => {
    const clock = new FakeClock();
    const primary = fakeInformer<KubernetesObject>(clock, 'primary');
    const writes = new OwnWrites();
    const calls: string[] = [];
    const controller = new Controller(
      { name: 'echo', primary: primary.informer, resyncPeriodMs: 0, ownWrites: writes, reconcile: (key) => Promise.resolve(void calls.push(key)) },
      { clock, logger: silentLogger() },
    );
    await primary.informer.start();
    controller.start();
    const mine = { ...configMap('ns', 'a', '7'), kind: 'ConfigMap' };
    writes.record(mine);
    primary.lw.emit('add', mine);
    await flush();
    expect(calls, 'the echo is not news').to.deep.equal([]);
    primary.lw.emit('update', { ...configMap('ns', 'a', '8'), kind: 'ConfigMap' });
    await flush();
    expect(calls, 'a change by someone else is').to.deep.equal(['ns/a']);
    primary.lw.emit('delete', { ...configMap('ns', 'a', '7'), kind: 'ConfigMap' });
    await flush();
    expect(calls, 'a deletion always is').to.deep.equal(['ns/a', 'ns/a']);
    await controller.stop();
  });

  it('an echo that arrives before the write\'s own answer (a race between two connections) is still not news', async () => {
    const clock = new FakeClock();
    const primary = fakeInformer<KubernetesObject>(clock, 'primary');
    const writes = new OwnWrites();
    const calls: string[] = [];
    let round = 0;
    const controller = new Controller(
      {
        name: 'race',
        primary: primary.informer,
        resyncPeriodMs: 0,
        ownWrites: writes,
        reconcile: async (key) => {
          calls.push(key);
          round++;
          if (round === 1) {
            // The watch shows our write first; its answer (and so its version) is read after.
            primary.lw.emit('update', { ...configMap('ns', 'a', '9'), kind: 'ConfigMap' });
            await flush();
            writes.record({ ...configMap('ns', 'a', '9'), kind: 'ConfigMap' });
          }
          if (round === 2) {
            // Someone else's change during the reconcile is news: one more reconcile after it.
            primary.lw.emit('update', { ...configMap('ns', 'a', '20'), kind: 'ConfigMap' });
            await flush();
          }
        },
      },
      { clock, logger: silentLogger() },
    );
    await primary.informer.start();
    controller.start();
    primary.lw.emit('add', { ...configMap('ns', 'a', '8'), kind: 'ConfigMap' });
    await flush(6);
    expect(calls, 'the early echo did not cause a second reconcile').to.deep.equal(['ns/a']);
    primary.lw.emit('update', { ...configMap('ns', 'a', '10'), kind: 'ConfigMap' });
    await flush(10);
    expect(calls, 'a change during a reconcile runs it once more').to.deep.equal(['ns/a', 'ns/a', 'ns/a']);
    await controller.stop();
  });
});
