import { expect } from 'chai';
import { gateDecision, RetryAfterGate, type GateDecision } from '../../src/opsmanager/retry-after-gate.ts';

describe('opsmanager/retry-after-gate', () => {
  describe('RetryAfterGate: the connection\'s not-before instant', () => {
    const cases: Array<{ name: string; holds: Array<[at: number, ms: number]>; at: number; remaining: number }> = [
      { name: 'nothing held', holds: [], at: 0, remaining: 0 },
      { name: 'a hold, read at once', holds: [[1000, 2000]], at: 1000, remaining: 2000 },
      { name: 'a hold, read later', holds: [[1000, 2000]], at: 2500, remaining: 500 },
      { name: 'a hold, read after it ran out', holds: [[1000, 2000]], at: 3500, remaining: 0 },
      { name: 'a shorter later hold keeps the longer one', holds: [[1000, 5000], [2000, 1000]], at: 2000, remaining: 4000 },
      { name: 'a longer later hold moves it', holds: [[1000, 1000], [1500, 3000]], at: 1500, remaining: 3000 },
      { name: 'Retry-After: 0 holds nothing', holds: [[1000, 0]], at: 1000, remaining: 0 },
    ];
    for (const c of cases) {
      it(c.name, () => {
        let now = 0;
        const gate = new RetryAfterGate(() => now);
        for (const [at, ms] of c.holds) {
          now = at;
          gate.hold(ms);
        }
        now = c.at;
        expect(gate.remainingMs()).to.equal(c.remaining);
      });
    }
  });

  describe('gateDecision', () => {
    const limits = { budgetMs: 30_000, maxWaitMs: 5_000 };
    const cases: Array<{ name: string; remaining: number; elapsed: number; want: GateDecision }> = [
      { name: 'free: send', remaining: 0, elapsed: 0, want: { kind: 'send' } },
      { name: 'a short hold: wait it out', remaining: 1500, elapsed: 0, want: { kind: 'wait', ms: 1500 } },
      { name: 'exactly the longest wait: wait', remaining: 5000, elapsed: 0, want: { kind: 'wait', ms: 5000 } },
      { name: 'longer than a call may wait: refuse with the time left', remaining: 5001, elapsed: 0, want: { kind: 'refuse', retryAfterMs: 5001 } },
      { name: 'a short hold past the call\'s budget: refuse', remaining: 2000, elapsed: 29_000, want: { kind: 'refuse', retryAfterMs: 2000 } },
      { name: 'a short hold that ends on the budget: wait', remaining: 1000, elapsed: 29_000, want: { kind: 'wait', ms: 1000 } },
    ];
    for (const c of cases) {
      it(c.name, () => expect(gateDecision(c.remaining, c.elapsed, limits)).to.deep.equal(c.want));
    }
  });
});
