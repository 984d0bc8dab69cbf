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
});
