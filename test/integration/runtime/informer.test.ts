import { expect } from 'chai';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { systemClock } from '../../../src/runtime/clock.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import { createMetrics } from '../../../src/runtime/metrics.ts';
import { managedSecretInformer } from '../../../src/runtime/managed-informers.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../runtime/helpers.ts';
import { configMapInformer, testLogger } from './support.ts';

describe('runtime: informers against a real kube-apiserver', () => {
  it('see ConfigMaps being added, updated and deleted, within their label selector', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('rt-inf');
    const core = env.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before', labels: { app: 'x' } }, data: { v: '0' } } });
    const informer = configMapInformer(env.kube, ns, testLogger(), { labelSelector: 'app=x' });
    const events: string[] = [];
    informer.onChange((cm, kind, old) => events.push(`${kind}:${cm.metadata?.name}:${cm.data?.v ?? ''}:${old?.data?.v ?? ''}`));
    try {
      await informer.start();
      await informer.waitForSync();
      expect(informer.hasSynced()).to.equal(true);
      expect(informer.get(ns, 'before')?.data?.v).to.equal('0');

      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'new', labels: { app: 'x' } }, data: { v: '1' } } });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other', labels: { app: 'y' } }, data: { v: '1' } } });
      await waitFor(() => informer.get(ns, 'new'), 30_000, 'add of "new"');
      await core.replaceNamespacedConfigMap({ name: 'new', namespace: ns, body: { metadata: { name: 'new', labels: { app: 'x' } }, data: { v: '2' } } });
      await waitFor(() => informer.get(ns, 'new')?.data?.v === '2', 30_000, 'update of "new"');
      await core.deleteNamespacedConfigMap({ name: 'new', namespace: ns });
      await waitFor(() => informer.get(ns, 'new') === undefined, 30_000, 'delete of "new"');

      expect(events).to.deep.equal(['add:before:0:', 'add:new:1:', 'update:new:2:1', 'delete:new:2:2']);
      expect(informer.get(ns, 'other'), 'outside the selector').to.equal(undefined);
      expect(informer.list(ns).map((c: V1ConfigMap) => c.metadata?.name)).to.deep.equal(['before']);
    } finally {
      await informer.stop();
    }
  });

  it('cache only the Secrets labelled as managed by omkeys', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('rt-sec');
    const core = env.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'foreign' }, stringData: { privateKey: 'not ours' } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'ours-1', labels: { 'app.kubernetes.io/managed-by': 'omkeys' } }, stringData: { k: 'v' } } });
    const informer = managedSecretInformer({ kube: env.kube, namespaces: [ns], clock: systemClock, logger: testLogger() });
    try {
      await informer.start();
      await informer.waitForSync();
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'foreign-2' }, stringData: { k: 'v' } } });
      await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'ours-2', labels: { 'app.kubernetes.io/managed-by': 'omkeys' } }, stringData: { k: 'v' } } });
      await waitFor(() => informer.get(ns, 'ours-2'), 30_000, 'ours-2');
      expect(informer.list(ns).map((s) => s.metadata?.name).sort()).to.deep.equal(['ours-1', 'ours-2']);
    } finally {
      await informer.stop();
    }
  });

  it('recover after kube-apiserver is stopped and started again, and reconciles resume', async function () {
    this.timeout(240_000);
    const env = testEnv();
    const ns = await env.newNamespace('rt-recover');
    const core = env.kc.makeApiClient(CoreV1Api);
    const logger = testLogger();
    const informer = configMapInformer(env.kube, ns, logger);
    const reconciled = new Map<string, number>();
    const controller = new Controller(
      {
        name: 'cm',
        primary: informer,
        resyncPeriodMs: 0,
        reconcile: (key) => {
          reconciled.set(key, (reconciled.get(key) ?? 0) + 1);
          return Promise.resolve();
        },
      },
      { clock: systemClock, logger, metrics: createMetrics(new Registry()) },
    );
    try {
      await informer.start();
      await informer.waitForSync();
      controller.start();
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' }, data: { v: '1' } } });
      await waitFor(() => reconciled.get(`${ns}/a`), 30_000, 'first reconcile of a');

      await env.stopApiServer();
      await env.startApiServer();

      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' }, data: { v: '1' } } });
      await core.replaceNamespacedConfigMap({ name: 'a', namespace: ns, body: { metadata: { name: 'a' }, data: { v: '2' } } });
      await waitFor(() => informer.get(ns, 'b') && informer.get(ns, 'a')?.data?.v === '2', 90_000, 'informer to see changes made after the restart');
      await waitFor(() => reconciled.get(`${ns}/b`) && (reconciled.get(`${ns}/a`) ?? 0) >= 2, 30_000, 'reconciles to resume');
      expect(informer.hasSynced()).to.equal(true);
    } finally {
      await controller.stop();
      await informer.stop();
    }
  });
});
