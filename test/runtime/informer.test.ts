import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { FakeClock } from './fake-clock.ts';
import { configMap, fakeInformer } from './fake-list-watch.ts';

describe('ManagedInformer', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  it('keeps a cache and reports add, update (with the old object) and delete', async () => {
    const { informer, lw } = fakeInformer<KubernetesObject>(clock);
    const seen: string[] = [];
    informer.onChange((obj, kind, old) => seen.push(`${kind}:${obj.metadata?.name}:${old?.metadata?.resourceVersion ?? '-'}`));
    await informer.start();
    lw.emit('add', configMap('a', 'x', '1'));
    lw.emit('add', configMap('b', 'y', '2'));
    lw.emit('update', configMap('a', 'x', '3'));
    expect(informer.get('a', 'x')?.metadata?.resourceVersion).to.equal('3');
    expect(informer.list().map((o) => o.metadata?.name).sort()).to.deep.equal(['x', 'y']);
    expect(informer.list('b').map((o) => o.metadata?.name)).to.deep.equal(['y']);
    lw.emit('delete', configMap('a', 'x', '4'));
    expect(informer.get('a', 'x')).to.equal(undefined);
    expect(seen).to.deep.equal(['add:x:-', 'add:y:-', 'update:x:1', 'delete:x:3']);
  });

  it('drops managedFields from what it caches (nothing reads them; they are much of an object\'s size)', async () => {
    const { informer, lw } = fakeInformer<KubernetesObject>(clock);
    await informer.start();
    const obj = configMap('a', 'x', '1');
    obj.metadata = { ...obj.metadata, managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }] };
    lw.emit('add', obj);
    expect(informer.get('a', 'x')?.metadata?.managedFields).to.equal(undefined);
    expect(informer.get('a', 'x')?.metadata?.resourceVersion).to.equal('1');
  });

  it('applies transform to every object before it is stored or handed on, once', async () => {
    let calls = 0;
    const transform = (o: KubernetesObject & { data?: Record<string, string> }): KubernetesObject => {
      calls++;
      return { apiVersion: o.apiVersion, kind: o.kind, metadata: { ...o.metadata, annotations: { digest: Object.keys(o.data ?? {}).join(',') } } };
    };
    const { informer, lw } = fakeInformer<KubernetesObject>(clock, 'fake', { transform });
    const seen: string[] = [];
    informer.onChange((obj, kind, old) => seen.push(`${kind}:${JSON.stringify(obj.metadata?.annotations)}:${'data' in obj}:${old ? 'data' in old : '-'}`));
    await informer.start();
    const obj = configMap('a', 'x', '1', { k: 'v' });
    obj.metadata = { ...obj.metadata, managedFields: [{ manager: 'm' }] };
    lw.emit('add', obj);
    lw.emit('update', configMap('a', 'x', '2', { k: 'v', l: 'w' }));
    const held = informer.get('a', 'x');
    expect(held).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'a', name: 'x', resourceVersion: '2', annotations: { digest: 'k,l' } } });
    // A re-list reports a deletion with the object held: not transformed a second time.
    lw.emit('delete', held!);
    expect(calls).to.equal(2);
    expect(seen).to.deep.equal(['add:{"digest":"k"}:false:-', 'update:{"digest":"k,l"}:false:false', 'delete:{"digest":"k,l"}:false:false']);
    expect(informer.size).to.equal(0);
  });

  it('is synced after a clean start and resolves waiters', async () => {
    const { informer } = fakeInformer(clock);
    expect(informer.hasSynced()).to.equal(false);
    const waiting = informer.waitForSync();
    await informer.start();
    await waiting;
    expect(informer.hasSynced()).to.equal(true);
  });

  it('restarts with growing backoff after errors and syncs once a start succeeds', async () => {
    const { informer, lw } = fakeInformer(clock);
    lw.startOutcomes = [new Error('connect ECONNREFUSED'), new Error('connect ECONNREFUSED'), 'ok'];
    await informer.start();
    expect(informer.hasSynced()).to.equal(false);
    expect(lw.starts).to.equal(1);
    await clock.advance(499); // first restart after 500 ms (random 0.5 -> no jitter)
    expect(lw.starts).to.equal(1);
    await clock.advance(1);
    expect(lw.starts).to.equal(2);
    expect(informer.hasSynced()).to.equal(false);
    await clock.advance(999); // then 1 s
    expect(lw.starts).to.equal(2);
    await clock.advance(1);
    expect(lw.starts).to.equal(3);
    expect(informer.hasSynced()).to.equal(true);
  });

  it('restarts after the watch fails later, with the backoff reset by the last success', async () => {
    const { informer, lw } = fakeInformer(clock);
    await informer.start();
    lw.fail(new Error('watch stream reset'));
    lw.fail(new Error('second report of the same failure'));
    await clock.advance(500);
    expect(lw.starts).to.equal(2);
    expect(informer.hasSynced()).to.equal(true);
  });

  it('does not restart once stopped, and rejects sync waiters', async () => {
    const { informer, lw } = fakeInformer(clock);
    lw.startOutcomes = [new Error('down')];
    await informer.start();
    const waiting = informer.waitForSync().then(
      () => 'synced',
      () => 'rejected',
    );
    await informer.stop();
    await clock.advance(60_000);
    expect(lw.starts).to.equal(1);
    expect(lw.stops).to.be.greaterThan(0);
    expect(await waiting).to.equal('rejected');
  });

  it('waitForSync rejects when its signal aborts', async () => {
    const { informer } = fakeInformer(clock);
    const ac = new AbortController();
    const waiting = informer.waitForSync(ac.signal).then(
      () => 'synced',
      () => 'rejected',
    );
    ac.abort();
    expect(await waiting).to.equal('rejected');
  });

  it('survives a change handler that throws', async () => {
    const { informer, lw } = fakeInformer(clock);
    const names: string[] = [];
    informer.onChange(() => {
      throw new Error('handler bug');
    });
    informer.onChange((o) => names.push(o.metadata!.name!));
    await informer.start();
    lw.emit('add', configMap('a', 'x'));
    expect(names).to.deep.equal(['x']);
    expect(informer.get('a', 'x')).to.not.equal(undefined);
  });
});
