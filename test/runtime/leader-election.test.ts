import { expect } from 'chai';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { LeaderElector, LeadershipLostError } from '../../src/runtime/leader-election.ts';
import { FakeClock, flush } from './fake-clock.ts';
import { FakeLeaseStore, type LeaseBehaviour } from './fake-lease.ts';
import { silentLogger } from './fake-list-watch.ts';

const times = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

interface Candidate {
  elector: LeaderElector;
  /** What its Lease requests do from now on. */
  behaviour: LeaseBehaviour;
  signal?: AbortSignal;
  startedAt?: number;
  /** When its leadership signal aborted, on the fake clock. */
  abortedAt?: number;
  stopped?: 'lost' | 'stopped';
  done: Promise<void>;
}

function candidate(store: FakeLeaseStore, clock: FakeClock, identity: string): Candidate {
  const c: Candidate = { behaviour: 'ok', done: Promise.resolve() } as Candidate;
  c.elector = new LeaderElector({
    kube: new KubeClient({ server: 'http://127.0.0.1:1' }),
    namespace: 'ns',
    name: 'lease',
    identity,
    clock,
    logger: silentLogger(),
    leaseClient: store.client(identity, () => c.behaviour),
    ...times,
  });
  c.done = c.elector.run({
    onStartedLeading: (signal) => {
      c.signal = signal;
      c.startedAt = clock.now();
      signal.addEventListener('abort', () => {
        c.abortedAt = clock.now();
      });
    },
    onStoppedLeading: (why) => {
      c.stopped = why;
    },
  });
  return c;
}

function writesBy(store: FakeLeaseStore, who: string): number {
  return store.writes.filter((w) => w.by === who).length;
}

describe('LeaderElector: losing the Lease', () => {
  let clock: FakeClock;
  let store: FakeLeaseStore;
  let t0: number;

  beforeEach(() => {
    clock = new FakeClock();
    store = new FakeLeaseStore();
    t0 = clock.now();
  });

  async function leader(): Promise<Candidate> {
    const a = candidate(store, clock, 'a');
    await flush();
    expect(a.elector.isLeader()).to.equal(true);
    // One renewal at t0 + 2 s: the deadline now counts from its start.
    await clock.advance(times.retryPeriodMs);
    expect(store.writes.at(-1)).to.deep.equal({ by: 'a', holder: 'a' });
    return a;
  }

  for (const behaviour of ['fail', 'hang'] as const) {
    it(`renewals that ${behaviour}: the signal aborts at the renew deadline after the last renewal began`, async () => {
      const a = await leader();
      const renewedAt = t0 + times.retryPeriodMs;
      const writes = writesBy(store, 'a');
      a.behaviour = behaviour;
      await clock.advance(renewedAt + times.renewDeadlineMs - 1 - clock.now());
      expect(a.signal!.aborted, 'still within the renew deadline').to.equal(false);
      expect(a.elector.isLeader()).to.equal(true);
      await clock.advance(1);
      expect(a.signal!.aborted).to.equal(true);
      expect(a.signal!.reason).to.be.instanceOf(LeadershipLostError);
      expect((a.signal!.reason as LeadershipLostError).code).to.equal('LEADERSHIP_LOST');
      expect(a.abortedAt).to.equal(renewedAt + times.renewDeadlineMs);
      expect(a.elector.isLeader()).to.equal(false);
      // The Lease answers again: the lost leader writes nothing more and campaigns no more.
      a.behaviour = 'ok';
      await clock.advance(times.leaseDurationMs * 3);
      expect(writesBy(store, 'a')).to.equal(writes);
      expect(a.stopped).to.equal('lost');
    });
  }

  it('a Lease that names another holder is a loss at the next renewal, without waiting for the deadline', async () => {
    const a = await leader();
    const writes = writesBy(store, 'a');
    store.takeOver('thief', clock.now(), 15);
    await clock.advance(times.retryPeriodMs);
    expect(a.signal!.aborted).to.equal(true);
    expect(a.signal!.reason).to.be.instanceOf(LeadershipLostError);
    expect(String((a.signal!.reason as Error).message)).to.include('another holder');
    expect(a.abortedAt).to.equal(t0 + 2 * times.retryPeriodMs);
    await clock.advance(times.leaseDurationMs);
    expect(writesBy(store, 'a')).to.equal(writes);
    expect(store.holder).to.equal('thief');
    expect(a.stopped).to.equal('lost');
  });

  it('a standby leads only after the old leader stopped, at least leaseDuration - renewDeadline before', async () => {
    const a = await leader();
    const b = candidate(store, clock, 'b');
    await flush();
    expect(b.elector.isLeader()).to.equal(false);
    // Right after a renewal that began at t0 + 2 s, the leader can no longer reach the API server.
    a.behaviour = 'fail';
    await clock.advance(times.leaseDurationMs * 2);
    expect(a.abortedAt).to.equal(t0 + times.retryPeriodMs + times.renewDeadlineMs);
    expect(b.startedAt, 'the standby took over').to.be.a('number');
    expect(b.startedAt! - a.abortedAt!).to.be.at.least(times.leaseDurationMs - times.renewDeadlineMs);
    expect(b.startedAt! - (t0 + times.retryPeriodMs)).to.be.at.least(times.leaseDurationMs);
    expect(store.holder).to.equal('b');
    expect(b.signal!.aborted).to.equal(false);
    await b.elector.stop({ release: false });
  });

  it('stop() ends leadership as a stop, not a loss, and releases the Lease', async () => {
    const a = await leader();
    await a.elector.release();
    expect(a.signal!.aborted).to.equal(true);
    expect(a.signal!.reason).to.not.be.instanceOf(LeadershipLostError);
    expect(a.stopped).to.equal('stopped');
    expect(store.holder).to.equal(undefined);
  });
});
