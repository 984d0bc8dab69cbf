// Phase 3 of `make bench`: with nothing changed, what a restart and one periodic resync cost.
import type { BenchEnv } from './lib/bench-env.ts';
import { round, sleep, summarizeSim, type SimCallSummary } from './lib/measure.ts';
import { Probe, type PhaseProfile } from './lib/probe.ts';
import { KEY_AND_BINDING_CONTROLLERS, readStartup } from './lib/startup.ts';
import type { TrackedKind } from './lib/tracker.ts';

export interface SteadyWindow {
  what: string;
  durationMs: number;
  opsManager: SimCallSummary;
  /** Writes seen by the watches (ADDED/MODIFIED/DELETED) in the bench namespaces. */
  kubeWrites: Record<TrackedKind, number>;
  profile: PhaseProfile;
  /** Ops Manager reads answered (Digest challenges apart) per OpsManagerApiKey. */
  omReadsPerKey: number;
  /** The operator's live GETs of Secrets its cache held / did not hold (connection Secrets). */
  secretGetsHeld: number;
  secretGetsNotHeld: number;
}

export interface SteadyResult {
  objects: number;
  keys: number;
  resyncPeriodMs: number;
  windows: SteadyWindow[];
  pass: boolean;
  /** Why the period differs from the one asked for, if it does. */
  notes: string[];
}

/**
 * Restarts the operator with a short resync period (every object is reconciled at start with an
 * empty memory, then again one period later), and counts over each pass the Ops Manager
 * requests (by method) and the Kubernetes writes the watches see. Both kinds of writes should be 0.
 * A key checked less than half a period ago skips its Ops Manager reads (freshness), so the
 * initial pass must end within half a period for the periodic one to read every key: when it
 * does not (a busy machine), the operator is restarted once more with a period long enough.
 */
export async function runSteady(b: BenchEnv, o: { objects: number; keys: number; resyncPeriodMs: number; quietMs: number; log: (s: string) => void }): Promise<SteadyResult> {
  b.sim.faults.clear();
  // Let the echoes of the previous phase (status writes, informer events) settle first.
  await settle(b, o.quietMs, 60_000);
  let periodMs = o.resyncPeriodMs;
  let notes: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const r = await measure(b, o, periodMs);
    if (r.passMs <= periodMs / 2 - o.quietMs || attempt === 2) {
      const pass = r.windows.every((w) => w.opsManager.nonGet === 0 && Object.values(w.kubeWrites).every((n) => n === 0));
      if (r.passMs > periodMs / 2 - o.quietMs) notes = [...notes, `the initial pass took ${r.passMs} ms again: the periodic resync's reads are undercounted`];
      return { objects: o.objects, keys: o.keys, resyncPeriodMs: periodMs, windows: r.windows, pass, notes };
    }
    const longer = Math.ceil((2 * r.passMs + 4 * o.quietMs) / 5000) * 5000;
    notes = [...notes, `with OMKEYS_RESYNC_PERIOD=${periodMs / 1000}s the initial pass took ${r.passMs} ms, over half the period (keys it checked last would still be fresh at the periodic resync): measured again with ${longer / 1000}s`];
    o.log(`  steady: ${notes[notes.length - 1] ?? ''}`);
    periodMs = longer;
  }
}

async function measure(b: BenchEnv, o: { keys: number; quietMs: number; log: (s: string) => void }, periodMs: number): Promise<{ windows: SteadyWindow[]; passMs: number }> {
  await b.op.stop();
  const probeA = await Probe.start(b);
  b.sim.stats.reset();
  const logOffset = b.op.logText().length;
  const tRestart = performance.now();
  await b.op.restart({ ...b.operatorEnv, OMKEYS_RESYNC_PERIOD: `${Math.round(periodMs / 1000)}s` });
  const tStarted = performance.now();
  o.log(`  steady: operator restarted (pid ${b.op.pid ?? '?'}) with OMKEYS_RESYNC_PERIOD=${Math.round(periodMs / 1000)}s`);
  const ours = (e: { key: string }): boolean => e.key.startsWith('bench-');

  // Pass 1: the start-up reconcile of every object, until both controllers say it is done.
  const log = (): string => b.op.logText().slice(logOffset);
  const restartedAt = Date.now() - (performance.now() - tRestart);
  const startup = await readStartup(log, restartedAt, KEY_AND_BINDING_CONTROLLERS, 10 * 60_000);
  const passMs = round(startup.reconciledMs - startup.leadingMs, 0);
  await settle(b, o.quietMs, Math.max(o.quietMs, tStarted + periodMs - o.quietMs - performance.now()));
  const tA = performance.now();
  // The operator's process is new: all of its CPU and counters belong to this window, start-up included.
  const profileA = await probeA.finish(true);
  const probeB = await Probe.start(b);
  const windows: SteadyWindow[] = [window('restart (initial pass)', tA - tRestart, summarizeSim(b.sim.stats.list()), b.tracker.writesBetween(tRestart, tA, ours), profileA, o.keys)];

  // Pass 2: the periodic resync, one period after the controller started; over before the next.
  b.sim.stats.reset();
  const resyncAt = tStarted + periodMs;
  await sleep(Math.max(0, resyncAt - performance.now()));
  await waitForRequests(b, 15_000);
  await settle(b, o.quietMs, periodMs - 2 * o.quietMs);
  const tB = performance.now();
  const profileB = await probeB.finish();
  windows.push(window('one periodic resync', tB - tA, summarizeSim(b.sim.stats.list()), b.tracker.writesBetween(tA, tB, ours), profileB, o.keys));
  return { windows, passMs };
}

function window(what: string, ms: number, opsManager: SimCallSummary, kubeWrites: Record<TrackedKind, number>, profile: PhaseProfile, keys: number): SteadyWindow {
  return {
    what,
    durationMs: round(ms, 0),
    opsManager,
    kubeWrites,
    profile,
    omReadsPerKey: round(opsManager.readsAnswered / Math.max(1, keys), 3),
    secretGetsHeld: profile.kube.getsHeld.secrets ?? 0,
    secretGetsNotHeld: profile.kube.getsNotHeld.secrets ?? 0,
  };
}

/** Waits until neither the simulator nor the watches have seen anything for `quietMs`. */
async function settle(b: BenchEnv, quietMs: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = activity(b);
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(100);
    const now = activity(b);
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
}

async function waitForRequests(b: BenchEnv, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline && summarizeSim(b.sim.stats.list()).total === 0) await sleep(50);
}

function activity(b: BenchEnv): string {
  return `${summarizeSim(b.sim.stats.list()).total}/${b.tracker.events.length}`;
}
