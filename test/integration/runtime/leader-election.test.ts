import { expect } from 'chai';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { systemClock } from '../../../src/runtime/clock.ts';
import { LeaderElector } from '../../../src/runtime/leader-election.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../runtime/helpers.ts';
import { testLogger } from './support.ts';

interface Candidate {
  id: string;
  elector: LeaderElector;
  done: Promise<void>;
  startedAt?: number;
  stoppedAt?: number;
}

function candidate(ns: string, id: string, times: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number }): Candidate {
  const env = testEnv();
  const elector = new LeaderElector({ kube: env.kube, namespace: ns, name: 'omkeys-leader', identity: id, clock: systemClock, logger: testLogger(), ...times });
  const c: Candidate = { id, elector, done: Promise.resolve() };
  c.done = elector.run({
    onStartedLeading: () => {
      c.startedAt = Date.now();
    },
    onStoppedLeading: () => {
      c.stoppedAt = Date.now();
    },
  });
  return c;
}

async function holder(ns: string): Promise<string | undefined> {
  const lease = await testEnv().kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'omkeys-leader', namespace: ns });
  return lease.spec?.holderIdentity;
}

describe('runtime: leader election on a Lease', () => {
  it('elects exactly one leader, and a crashed leader is replaced once its lease expires', async function () {
    this.timeout(120_000);
    const ns = await testEnv().newNamespace('rt-le');
    const times = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 500 };
    const a = candidate(ns, 'a', times);
    const b = candidate(ns, 'b', times);
    try {
      const first = await waitFor(() => [a, b].find((c) => c.elector.isLeader()), 30_000, 'a leader');
      const second = first === a ? b : a;
      // Several renew rounds later there is still only one leader, and the Lease names it.
      await new Promise((r) => setTimeout(r, 3 * times.retryPeriodMs));
      expect(second.elector.isLeader()).to.equal(false);
      expect(await holder(ns)).to.equal(first.id);

      // A crash: the leader stops renewing and does not release.
      await first.elector.stop({ release: false });
      const crashedAt = Date.now();
      expect(await holder(ns), 'a crash leaves the Lease as it was').to.equal(first.id);
      await waitFor(() => second.elector.isLeader(), 60_000, 'the standby to take over');
      expect(await holder(ns)).to.equal(second.id);
      // Safety: the standby waited for the lease to run out (minus one renew period, when the last renewal may have been).
      expect(second.startedAt! - crashedAt).to.be.at.least(times.leaseDurationMs - times.retryPeriodMs - 250);
      expect(first.stoppedAt, 'the crashed leader was told it stopped leading').to.be.a('number');
    } finally {
      await a.elector.stop({ release: false });
      await b.elector.stop({ release: false });
    }
  });

  it('hands over at once when the leader releases the Lease on a clean shutdown', async function () {
    this.timeout(120_000);
    const ns = await testEnv().newNamespace('rt-le-release');
    // A lease far longer than the wait below: only a release can explain a prompt handover.
    const times = { leaseDurationMs: 120_000, renewDeadlineMs: 60_000, retryPeriodMs: 500 };
    const a = candidate(ns, 'a', times);
    try {
      await waitFor(() => a.elector.isLeader(), 30_000, 'a to lead');
      const b = candidate(ns, 'b', times);
      try {
        await new Promise((r) => setTimeout(r, 3 * times.retryPeriodMs));
        expect(b.elector.isLeader()).to.equal(false);
        await a.elector.release();
        await a.done;
        expect(a.elector.isLeader()).to.equal(false);
        await waitFor(() => b.elector.isLeader(), 30_000, 'b to take over after the release');
        expect(await holder(ns)).to.equal('b');
        const lease = await testEnv().kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'omkeys-leader', namespace: ns });
        expect(lease.spec?.leaseTransitions).to.equal(1);
      } finally {
        await b.elector.release();
      }
      expect(await holder(ns), 'released on shutdown').to.equal(undefined);
    } finally {
      await a.elector.stop({ release: false });
    }
  });
});
