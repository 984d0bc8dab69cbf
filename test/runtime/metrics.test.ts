import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Controller } from '../../src/runtime/controller.ts';
import { createMetrics } from '../../src/runtime/metrics.ts';
import { FakeClock } from './fake-clock.ts';
import { fakeInformer, silentLogger } from './fake-list-watch.ts';

describe('controller series exist at zero from the start', () => {
  it('reconcile totals by result, errors by code, queue depth and the histograms, per controller, before any reconcile', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const metrics = createMetrics(registry);
    for (const name of ['alpha', 'beta']) {
      new Controller({ name, primary: fakeInformer<KubernetesObject>(clock, name).informer, reconcile: () => Promise.resolve() }, { clock, logger: silentLogger(), metrics });
    }
    const text = await registry.metrics();
    for (const controller of ['alpha', 'beta']) {
      for (const result of ['success', 'requeue', 'error', 'terminal']) {
        expect(text).to.include(`omkeys_reconcile_total{controller="${controller}",result="${result}"} 0\n`);
      }
      for (const code of ['TRANSIENT', 'TERMINAL']) expect(text).to.include(`omkeys_reconcile_errors_total{controller="${controller}",code="${code}"} 0\n`);
      expect(text).to.include(`omkeys_workqueue_depth{controller="${controller}"} 0\n`);
      expect(text).to.include(`omkeys_reconcile_duration_seconds_count{controller="${controller}"} 0\n`);
      expect(text).to.include(`omkeys_workqueue_wait_seconds_count{controller="${controller}"} 0\n`);
    }
  });

  it('counts go on from the zeros (one series per label set, not a second one)', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const { informer, lw } = fakeInformer<KubernetesObject>(clock, 'p');
    const c = new Controller({ name: 'p', primary: informer, reconcile: () => Promise.resolve() }, { clock, logger: silentLogger(), metrics });
    await informer.start();
    lw.emit('add', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'a', name: 'x' } });
    c.start();
    await clock.advance(0);
    await new Promise((r) => setImmediate(r));
    await c.stop();
    const success = (await metrics.reconcileTotal.get()).values.filter((v) => v.labels.controller === 'p' && v.labels.result === 'success');
    expect(success.map((v) => v.value)).to.deep.equal([1]);
  });
});
