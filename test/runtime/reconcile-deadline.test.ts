import { expect } from 'chai';
import { ReconcileDeadline } from '../../src/runtime/reconcile-deadline.ts';
import { FakeClock } from './fake-clock.ts';

describe('ReconcileDeadline: what is left of the current reconcile, carried through awaits', () => {
  it('is undefined outside a reconcile, counts down inside one, and each reconcile has its own', async () => {
    const clock = new FakeClock();
    const d = new ReconcileDeadline(clock, 1000);
    expect(d.leftMs()).to.equal(undefined);
    const seen: Array<[string, number | undefined]> = [];
    const first = d.run(async () => {
      seen.push(['first at start', d.leftMs()]);
      await clock.advance(400);
      seen.push(['first after 400 ms', d.leftMs()]);
    });
    // Started while the first one waits: its own full budget, not what the first has left.
    const second = d.run(async () => {
      await Promise.resolve();
      seen.push(['second', d.leftMs()]);
    });
    await Promise.all([first, second]);
    expect(seen).to.deep.include.members([['first at start', 1000], ['second', 1000], ['first after 400 ms', 600]]);
    expect(d.leftMs()).to.equal(undefined);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new ReconcileDeadline(new FakeClock(), 0)).to.throw(RangeError);
  });
});
