import { expect } from 'chai';
import { WorkQueue, type QueueMetricsEvent } from '../../src/runtime/work-queue.ts';
import { FakeClock, flush } from './fake-clock.ts';
import { deferred } from './helpers.ts';

function newQueue(clock: FakeClock, extra: Partial<ConstructorParameters<typeof WorkQueue>[0]> = {}): WorkQueue {
  return new WorkQueue({ clock, concurrency: 1, baseDelayMs: 10, maxDelayMs: 1000, jitter: 0, ...extra });
}

describe('WorkQueue', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  it('de-duplicates a key that is added several times before it runs', async () => {
    const q = newQueue(clock);
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.length).to.equal(2);
    const seen: string[] = [];
    q.run((key) => {
      seen.push(key);
      return Promise.resolve();
    });
    await flush();
    expect(seen).to.deep.equal(['ns/a', 'ns/b']);
  });

  it('never runs one key twice at once and runs it again if added while processing', async () => {
    const q = newQueue(clock, { concurrency: 4 });
    const gates = [deferred(), deferred()];
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    q.run(async () => {
      const gate = gates[calls++]!;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running--;
    });
    q.add('ns/a');
    await flush();
    expect(calls).to.equal(1);
    q.add('ns/a');
    q.add('ns/a');
    await flush();
    expect(calls, 'the second add must wait for the first run').to.equal(1);
    expect(q.length).to.equal(0);
    gates[0]!.resolve();
    await flush();
    expect(calls).to.equal(2);
    gates[1]!.resolve();
    await flush();
    expect(calls).to.equal(2);
    expect(maxRunning).to.equal(1);
  });

  it('bounds the number of keys processed at once', async () => {
    const q = newQueue(clock, { concurrency: 2 });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    const done: string[] = [];
    q.run(async (key) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running--;
      done.push(key);
    });
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    await flush();
    expect(q.inFlight).to.equal(2);
    expect(q.length).to.equal(3);
    gate.resolve();
    await flush(10);
    expect(done.sort()).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect(maxRunning).to.equal(2);
  });

  it('backs off exponentially per key and resets on forget', async () => {
    const q = newQueue(clock);
    const runs: number[] = [];
    const start = clock.now();
    q.run(() => {
      runs.push(clock.now() - start);
      return Promise.resolve();
    });
    q.addRateLimited('k'); // 10 ms
    await clock.advance(9);
    expect(runs).to.deep.equal([]);
    await clock.advance(1);
    expect(runs).to.deep.equal([10]);
    q.addRateLimited('k'); // 20 ms
    await clock.advance(19);
    expect(runs).to.have.length(1);
    await clock.advance(1);
    expect(runs).to.deep.equal([10, 30]);
    q.addRateLimited('k'); // 40 ms
    await clock.advance(40);
    expect(runs).to.deep.equal([10, 30, 70]);
    expect(q.failures('k')).to.equal(3);
    expect(q.failures('other')).to.equal(0);
    q.forget('k');
    expect(q.failures('k')).to.equal(0);
    q.addRateLimited('k'); // back to 10 ms
    await clock.advance(10);
    expect(runs).to.deep.equal([10, 30, 70, 80]);
  });

  it('caps the backoff and keeps jitter within its bounds', async () => {
    const delays: number[] = [];
    const spy = new FakeClock();
    const original = spy.setTimeout.bind(spy);
    spy.setTimeout = (fn: () => void, ms: number) => {
      delays.push(ms);
      return original(fn, ms);
    };
    const high = new WorkQueue({ clock: spy, concurrency: 1, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 1 });
    high.addRateLimited('a'); // 100 * 1.5
    const low = new WorkQueue({ clock: spy, concurrency: 1, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 0 });
    low.addRateLimited('a'); // 100 * 0.5
    for (let i = 0; i < 20; i++) {
      high.addRateLimited('b');
      await spy.advance(2000); // fire it, so the next failure sets a fresh timer
    }
    expect(delays[0]).to.equal(150);
    expect(delays[1]).to.equal(50);
    expect(Math.max(...delays)).to.equal(1000);
    expect(high.failures('b')).to.equal(20);
  });

  it('honours a minimum delay for a rate-limited add', async () => {
    const q = newQueue(clock);
    let calls = 0;
    q.run(() => {
      calls++;
      return Promise.resolve();
    });
    q.addRateLimited('k', 500);
    await clock.advance(499);
    expect(calls).to.equal(0);
    await clock.advance(1);
    expect(calls).to.equal(1);
  });

  it('adds a key after a delay, keeping the earliest of several delays', async () => {
    const q = newQueue(clock);
    const runs: string[] = [];
    q.run((key) => {
      runs.push(`${key}@${clock.now() % 1_000_000}`);
      return Promise.resolve();
    });
    const t0 = clock.now() % 1_000_000;
    q.addAfter('a', 100);
    q.addAfter('a', 300); // later: ignored
    q.addAfter('b', 200);
    q.addAfter('b', 50); // earlier: replaces
    expect(q.delayedCount).to.equal(2);
    await clock.advance(49);
    expect(runs).to.deep.equal([]);
    await clock.advance(300);
    expect(runs).to.deep.equal([`b@${t0 + 50}`, `a@${t0 + 100}`]);
    q.addAfter('c', 0);
    await flush();
    expect(runs).to.have.length(3);
  });

  it('on shutdown stops taking keys and waits for the in-flight ones', async () => {
    const q = newQueue(clock, { concurrency: 1 });
    const gate = deferred();
    const started: string[] = [];
    q.run(async (key) => {
      started.push(key);
      await gate.promise;
    });
    q.add('a');
    q.add('b');
    q.addAfter('c', 10);
    await flush();
    let drained = false;
    const stopping = q.shutdown().then(() => {
      drained = true;
    });
    q.add('d');
    await clock.advance(100);
    expect(drained).to.equal(false);
    gate.resolve();
    await stopping;
    expect(drained).to.equal(true);
    expect(started).to.deep.equal(['a']);
    expect(clock.pendingTimers).to.equal(0);
  });

  it('retries a key whose worker rejects', async () => {
    const q = newQueue(clock);
    let calls = 0;
    q.run(() => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve();
    });
    q.add('k');
    await flush();
    expect(calls).to.equal(1);
    expect(q.failures('k')).to.equal(1);
    await clock.advance(10);
    expect(calls).to.equal(2);
  });

  it('reports depth and time spent waiting', async () => {
    const events: QueueMetricsEvent[] = [];
    const q = newQueue(clock, { onMetrics: (e) => events.push(e) });
    q.add('a');
    q.add('b');
    await clock.advance(250);
    q.run(() => Promise.resolve());
    await flush();
    const waits = events.filter((e) => e.type === 'wait').map((e) => (e.type === 'wait' ? e.ms : -1));
    expect(waits).to.deep.equal([250, 250]);
    expect(events.filter((e) => e.type === 'depth').map((e) => (e.type === 'depth' ? e.depth : -1))).to.include.members([1, 2, 0]);
  });

  it('rejects a non-positive concurrency', () => {
    expect(() => new WorkQueue({ clock, concurrency: 0 })).to.throw(RangeError);
  });
});

describe('WorkQueue long delays', () => {
  it('never asks the clock for a timer longer than a day (Node fires longer ones at once)', async () => {
    const { FakeClock } = await import('./fake-clock.ts');
    const { WorkQueue, MAX_TIMER_MS } = await import('../../src/runtime/work-queue.ts');
    const clock = new FakeClock();
    const asked: number[] = [];
    const spy = { ...clock, now: () => clock.now(), setTimeout: (fn: () => void, ms: number) => { asked.push(ms); return clock.setTimeout(fn, ms); }, clearTimeout: (h: unknown) => clock.clearTimeout(h), sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal) };
    const q = new WorkQueue({ clock: spy, concurrency: 1 });
    q.addAfter('k', 30 * 24 * 3_600_000);
    expect(asked).to.deep.equal([MAX_TIMER_MS]);
    await q.shutdown();
  });
});
