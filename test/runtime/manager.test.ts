import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { Registry } from 'prom-client';
import { Controller } from '../../src/runtime/controller.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { FakeClock, flush } from './fake-clock.ts';
import { configMap, fakeInformer, silentLogger } from './fake-list-watch.ts';
import { deferred } from './helpers.ts';

describe('Manager (without leader election)', () => {
  it('syncs informers before running controllers, serves readiness, and drains on SIGTERM', async () => {
    const clock = new FakeClock();
    const logger = silentLogger();
    const registry = new Registry();
    const { informer, lw } = fakeInformer<KubernetesObject>(clock, 'cm');
    lw.startOutcomes = [new Error('apiserver not up yet'), 'ok'];
    const gate = deferred();
    const reconciled: string[] = [];
    const manager = new Manager({ kube: new KubeClient({ server: 'http://127.0.0.1:1' }), clock, logger, registry, leaderElection: false, httpPort: 0, httpHost: '127.0.0.1' });
    const controller = new Controller(
      {
        name: 'cm',
        primary: informer,
        reconcile: async (key) => {
          reconciled.push(key);
          await gate.promise;
        },
      },
      { clock, logger, metrics: manager.metrics },
    );
    manager.addInformer(informer);
    manager.addController(controller);
    const starting = manager.start();
    await flush();
    expect(manager.isReady()).to.equal(false);
    expect(controller.running).to.equal(false);
    const url = manager.httpUrl!;
    expect((await fetch(`${url}/readyz`)).status).to.equal(503);
    lw.emit('add', configMap('ns', 'a'));
    await clock.advance(500); // informer restart after its first failure
    await starting;
    await flush();
    expect(manager.isReady()).to.equal(true);
    expect(manager.isLeader()).to.equal(true);
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
    expect(reconciled).to.deep.equal(['ns/a']);

    let exitCode: number | undefined;
    manager.installSignalHandlers((code) => {
      exitCode = code;
    });
    process.emit('SIGTERM');
    await flush();
    expect(exitCode, 'must wait for the reconcile in flight').to.equal(undefined);
    gate.resolve();
    await manager.stop();
    await flush();
    expect(exitCode).to.equal(0);
    expect(controller.running).to.equal(false);
    expect(lw.stops).to.be.greaterThan(0);
    const err = await fetch(`${url}/healthz`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'server closed').to.be.instanceOf(Error);
  });
});
