import { expect } from 'chai';
import { ConcurrencyLimiter, RateLimiter } from '../../src/opsmanager/limiter.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('opsmanager/limiter', () => {
  describe('ConcurrencyLimiter', () => {
    it('lets at most `max` holders in and hands slots over in order', async () => {
      const lim = new ConcurrencyLimiter(2);
      const order: number[] = [];
      const releases: (() => void)[] = [];
      const holders = [0, 1, 2, 3, 4].map(async (i) => {
        const release = await lim.acquire();
        order.push(i);
        releases.push(release);
      });
      await tick();
      expect(order).to.deep.equal([0, 1]);
      expect(lim.inFlight).to.equal(2);
      expect(lim.waiting).to.equal(3);
      releases.shift()!();
      releases.shift()!();
      await tick();
      expect(order).to.deep.equal([0, 1, 2, 3]);
      releases.shift()!();
      releases.shift()!();
      await tick();
      releases.shift()!();
      await Promise.all(holders);
      expect(order).to.deep.equal([0, 1, 2, 3, 4]);
      expect(lim.peak).to.equal(2);
      expect(lim.inFlight).to.equal(0);
    });

    it('acquireWithin: a slot when one is free, else undefined once the wait passed, leaving the queue', async () => {
      const lim = new ConcurrencyLimiter(1);
      const first = await lim.acquireWithin(10);
      expect(first).to.be.a('function');
      expect(await lim.acquireWithin(20)).to.equal(undefined);
      expect(lim.waiting).to.equal(0);
      // A waiter behind the one that gave up gets the slot on release; the one that gave up does not.
      const next = lim.acquireWithin(60_000);
      await tick();
      first!();
      const got = await next;
      expect(got).to.be.a('function');
      expect(lim.inFlight).to.equal(1);
      got!();
      expect(lim.inFlight).to.equal(0);
    });

    it('ignores a double release', async () => {
      const lim = new ConcurrencyLimiter(1);
      const release = await lim.acquire();
      release();
      release();
      expect(lim.inFlight).to.equal(0);
      const again = await lim.acquire();
      expect(lim.inFlight).to.equal(1);
      again();
    });

    it('rejects a limit below 1', () => {
      expect(() => new ConcurrencyLimiter(0)).to.throw(RangeError);
    });
  });

  describe('RateLimiter', () => {
    it('spaces requests by 1/rate on a frozen clock (counting the reserved waits)', async () => {
      const slept: number[] = [];
      const lim = new RateLimiter(4, { now: () => 1000, sleep: (ms) => { slept.push(ms); return Promise.resolve(); } });
      const waits = await Promise.all([1, 2, 3, 4, 5].map(() => lim.take()));
      expect(waits).to.deep.equal([0, 250, 500, 750, 1000]);
      expect(slept).to.deep.equal([250, 500, 750, 1000]);
    });

    it('allows a burst, then spaces', async () => {
      const lim = new RateLimiter(10, { now: () => 0, sleep: () => Promise.resolve(), burst: 3 });
      const waits = [];
      for (let i = 0; i < 5; i++) waits.push(await lim.take());
      expect(waits).to.deep.equal([0, 0, 0, 100, 200]);
    });

    it('does not bank unused time beyond the burst', async () => {
      let now = 0;
      const lim = new RateLimiter(2, { now: () => now, sleep: () => Promise.resolve() });
      await lim.take();
      now = 60_000;
      expect([await lim.take(), await lim.take()]).to.deep.equal([0, 500]);
    });
  });
});
