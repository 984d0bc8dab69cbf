import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { systemClock } from '../../../src/runtime/clock.ts';
import { Controller } from '../../../src/runtime/controller.ts';
import { Manager } from '../../../src/runtime/manager.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../runtime/helpers.ts';
import { configMapInformer, testLogger } from './support.ts';

interface Replica {
  manager: Manager;
  reconciled: string[];
}

function replica(ns: string, identity: string): Replica {
  const env = testEnv();
  const logger = testLogger().child({ replica: identity });
  const informer = configMapInformer(env.kube, ns, logger);
  const manager = new Manager({
    kube: env.kube,
    clock: systemClock,
    logger,
    registry: new Registry(),
    httpPort: 0,
    httpHost: '127.0.0.1',
    leaderElection: { namespace: ns, name: 'omkeys', identity, leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 500 },
  });
  const reconciled: string[] = [];
  manager.addInformer(informer);
  manager.addController(
    new Controller(
      {
        name: 'cm',
        primary: informer,
        reconcile: (key) => {
          reconciled.push(key);
          return Promise.resolve();
        },
      },
      { clock: systemClock, logger, metrics: manager.metrics },
    ),
  );
  return { manager, reconciled };
}

describe('runtime: two managers', () => {
  it('run controllers only on the leader; a clean stop hands over and the standby reconciles', async function () {
    this.timeout(120_000);
    const env = testEnv();
    const ns = await env.newNamespace('rt-mgr');
    const core = env.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' } } });
    const one = replica(ns, 'one');
    const two = replica(ns, 'two');
    try {
      await Promise.all([one.manager.start(), two.manager.start()]);
      const leader = await waitFor(() => [one, two].find((r) => r.manager.isLeader()), 30_000, 'a leader');
      const standby = leader === one ? two : one;
      await waitFor(() => leader.reconciled.includes(`${ns}/a`), 30_000, 'the leader to reconcile');
      // Both are ready (warm caches); only the leader reconciles and reports itself as leader.
      for (const r of [one, two]) expect((await fetch(`${r.manager.httpUrl}/readyz`)).status).to.equal(200);
      const metrics = await (await fetch(`${leader.manager.httpUrl}/metrics`)).text();
      expect(metrics).to.match(/^omkeys_leader 1$/m);
      expect(metrics).to.match(/omkeys_reconcile_total\{controller="cm",result="success"\} [1-9]/);

      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } });
      await waitFor(() => leader.reconciled.includes(`${ns}/b`), 30_000, 'the leader to reconcile b');
      expect(standby.reconciled).to.deep.equal([]);
      expect(standby.manager.isLeader()).to.equal(false);

      // The lease is 60 s: a takeover inside the wait below is only possible through the release.
      await leader.manager.stop();
      await waitFor(() => standby.manager.isLeader(), 30_000, 'the standby to lead');
      await waitFor(() => standby.reconciled.includes(`${ns}/a`) && standby.reconciled.includes(`${ns}/b`), 30_000, 'the new leader to reconcile everything');
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c' } } });
      await waitFor(() => standby.reconciled.includes(`${ns}/c`), 30_000, 'the new leader to reconcile c');
      expect(leader.reconciled).to.not.include(`${ns}/c`);
    } finally {
      await Promise.all([one.manager.stop(), two.manager.stop()]);
    }
  });
});
