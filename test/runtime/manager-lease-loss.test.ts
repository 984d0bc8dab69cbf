import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { Controller } from '../../src/runtime/controller.ts';
import { LeadershipLostError } from '../../src/runtime/leader-election.ts';
import { Manager } from '../../src/runtime/manager.ts';
import { FencedKubeClient } from '../../src/runtime/write-fence.ts';
import { startFakeApiServer } from '../kube/fake-api-server.ts';
import { FakeClock, flush } from './fake-clock.ts';
import { FakeLeaseStore, type LeaseBehaviour } from './fake-lease.ts';
import { configMap, fakeInformer, silentLogger } from './fake-list-watch.ts';
import { deferred, waitFor } from './helpers.ts';

const times = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const CM = '/api/v1/namespaces/ns/configmaps';

describe('Manager: losing the Lease', () => {
  it('closes the fence (the write in flight abandoned, the next one refused unsent) and asks to exit 1', async () => {
    const server = await startFakeApiServer((req) =>
      (req.path.endsWith('/held') ? () => undefined : { status: 200, body: {} }));
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    let lease: LeaseBehaviour = 'ok';
    const fence = new AbortController();
    const kube = new FencedKubeClient({ server: server.url }, fence.signal);
    const exits: number[] = [];
    const lines: string[] = [];
    const logger = silentLogger(lines);
    const registry = new Registry();
    const manager = new Manager({
      kube,
      clock,
      logger,
      registry,
      fence,
      exit: (code) => exits.push(code),
      leaderElection: { namespace: 'ns', name: 'lease', identity: 'a',
        leaseClient: store.client('a', () => lease), ...times },
    });
    const { informer, lw } = fakeInformer<KubernetesObject>(clock, 'cm');
    const next = deferred();
    const outcomes: Record<string, unknown> = {};
    const settle = (what: string, p: Promise<unknown>): Promise<void> =>
      p.then(
        () => void (outcomes[what] = 'sent'),
        (err: unknown) => void (outcomes[what] = err),
      );
    const controller = new Controller(
      {
        name: 'cm',
        primary: informer,
        // A reconcile with a write in flight when the Lease is lost, and another write after it.
        reconcile: async () => {
          const held = settle('held', kube.request({ method: 'PUT', path: `${CM}/held`, body: {} }));
          await next.promise;
          await held;
          await settle('after', kube.request({ method: 'POST', path: CM, body: { metadata: { name: 'after' } } }));
        },
      },
      { clock, logger, metrics: manager.metrics },
    );
    manager.addInformer(informer);
    manager.addController(controller);
    try {
      const starting = manager.start();
      lw.emit('add', configMap('ns', 'a'));
      await starting;
      await flush();
      expect(manager.isLeader()).to.equal(true);
      await waitFor(() => server.requests.some((r) => r.path.endsWith('/held')), 5000, 'the write to be in flight');

      lease = 'fail';
      await clock.advance(times.renewDeadlineMs - 1);
      expect(exits, 'within the renew deadline').to.deep.equal([]);
      expect(fence.signal.aborted).to.equal(false);
      await clock.advance(1);
      expect(exits).to.deep.equal([1]);
      expect(fence.signal.reason).to.be.instanceOf(LeadershipLostError);
      expect(manager.isLeader()).to.equal(false);
      expect(await registry.getSingleMetricAsString('omkeys_leader')).to.match(/^omkeys_leader 0$/m);
      expect(lines.join('')).to.include('lost the Lease: stopping every reconcile and exiting');

      next.resolve();
      await waitFor(() => 'after' in outcomes, 5000, 'the reconcile to end');
      expect(outcomes.held, 'the write in flight was abandoned').to.be.instanceOf(LeadershipLostError);
      expect(outcomes.after, 'the write after the loss was refused').to.be.instanceOf(LeadershipLostError);
      expect(server.requests.filter((r) => r.method === 'POST')).to.deep.equal([]);
      // The process is on its way out: it never campaigns again.
      const writes = store.writes.length;
      lease = 'ok';
      await clock.advance(times.leaseDurationMs * 2);
      expect(store.writes.length).to.equal(writes);
      expect(manager.isLeader()).to.equal(false);
      expect(exits).to.deep.equal([1]);
    } finally {
      await manager.stop();
      kube.close();
      await server.close();
    }
  });

  it('a graceful stop neither closes the fence nor exits: the reconcile finishes, the Lease is released', async () => {
    const clock = new FakeClock();
    const store = new FakeLeaseStore();
    const fence = new AbortController();
    const exits: number[] = [];
    const logger = silentLogger();
    const manager = new Manager({
      kube: new FencedKubeClient({ server: 'http://127.0.0.1:1' }, fence.signal),
      clock,
      logger,
      registry: new Registry(),
      fence,
      exit: (code) => exits.push(code),
      leaderElection: { namespace: 'ns', name: 'lease', identity: 'a', leaseClient: store.client('a'), ...times },
    });
    const { informer, lw } = fakeInformer<KubernetesObject>(clock, 'cm');
    const gate = deferred();
    let finished = false;
    const reconcile = async (): Promise<void> => {
      await gate.promise;
      finished = true;
    };
    manager.addInformer(informer);
    const deps = { clock, logger, metrics: manager.metrics };
    manager.addController(new Controller({ name: 'cm', primary: informer, reconcile }, deps));
    const starting = manager.start();
    lw.emit('add', configMap('ns', 'a'));
    await starting;
    await flush();
    expect(manager.isLeader()).to.equal(true);
    const stopping = manager.stop();
    await flush();
    expect(finished).to.equal(false);
    gate.resolve();
    await stopping;
    expect(finished).to.equal(true);
    expect(fence.signal.aborted).to.equal(false);
    expect(exits).to.deep.equal([]);
    expect(store.holder).to.equal(undefined);
  });
});
