import { expect } from 'chai';
import { CoreV1Api, EventsV1Api } from '@kubernetes/client-node';
import { systemClock } from '../../../src/runtime/clock.ts';
import { EventRecorder } from '../../../src/runtime/events.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../runtime/helpers.ts';
import { testLogger } from './support.ts';

describe('runtime: events', () => {
  it('creates events.k8s.io/v1 Events and folds repeats into a series', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('rt-ev');
    const cm = await env.kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'subject' } } });
    const target = { apiVersion: 'v1', kind: 'ConfigMap', metadata: cm.metadata };
    const recorder = new EventRecorder({ kube: env.kube, component: 'omkeys', instance: 'test-1', clock: systemClock, logger: testLogger() });
    const events = env.kc.makeApiClient(EventsV1Api);

    await recorder.record(target, 'Warning', 'OpsManagerUnreachable', 'connect ECONNREFUSED 127.0.0.1:1');
    await recorder.record(target, 'Warning', 'OpsManagerUnreachable', 'connect ECONNREFUSED 127.0.0.1:1');
    await recorder.record(target, 'Warning', 'OpsManagerUnreachable', 'connect ECONNREFUSED 127.0.0.1:1');
    await recorder.record(target, 'Normal', 'Provisioned', 'created key abcdefgh', 'CreateKey');

    const list = await waitFor(async () => {
      const l = await events.listNamespacedEvent({ namespace: ns });
      return l.items.length >= 2 ? l.items : undefined;
    }, 30_000, 'two events');
    expect(list).to.have.length(2);
    const warning = list.find((e) => e.reason === 'OpsManagerUnreachable')!;
    expect(warning.type).to.equal('Warning');
    expect(warning.series?.count).to.equal(3);
    expect(warning.regarding).to.include({ kind: 'ConfigMap', name: 'subject', uid: cm.metadata?.uid });
    expect(warning.reportingController).to.equal('omkeys');
    const normal = list.find((e) => e.reason === 'Provisioned')!;
    expect(normal.action).to.equal('CreateKey');
    expect(normal.note).to.equal('created key abcdefgh');
    expect(normal.series).to.equal(undefined);
  });
});
