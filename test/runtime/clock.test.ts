import { expect } from 'chai';
import { systemClock } from '../../src/runtime/clock.ts';
import { FakeClock } from './fake-clock.ts';

describe('Clock', () => {
  it('fake sleep resolves only once time has advanced far enough', async () => {
    const clock = new FakeClock();
    let woke = false;
    const sleeping = clock.sleep(100).then(() => {
      woke = true;
    });
    await clock.advance(99);
    expect(woke).to.equal(false);
    await clock.advance(1);
    await sleeping;
    expect(woke).to.equal(true);
  });

  it('sleep rejects with the abort reason and clears its timer', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const sleeping = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    const err = await sleeping.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error).with.property('message', 'stop');
    expect(clock.pendingTimers).to.equal(0);
  });

  it('sleep on an already aborted signal rejects at once', async () => {
    const err = await systemClock.sleep(60_000, AbortSignal.abort()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error);
  });
});
