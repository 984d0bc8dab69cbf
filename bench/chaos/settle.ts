// After a storm: how long until each resource is right again, and until the whole world is.
import { CoreV1Api } from '@kubernetes/client-node';
import { statusOf } from '../../tools/envtest/crds.ts';
import { idOf, judgeBinding, judgeKey, judgeOwnership, snapshot, type Snapshot } from './judge.ts';
import type { ChaosWorld } from './world.ts';

export interface SettleResult {
  settled: boolean;
  /** From the storm's end until the world was right (or the deadline). */
  settleMs: number;
  /** Per resource alive at the storm's end: until it was first right (deleted ones: until gone). */
  convergeMs: number[];
  /** What was still wrong at the deadline (resource or key → why). */
  wrong: Array<{ subject: string; detail: string }>;
  last?: Snapshot;
}

const POLL_MS = 500;
/**
 * An orphaned or twice-claimed key never mends itself (no resync runs during the run): once
 * everything else is right and the same keys stay wrong this long, waiting longer proves nothing.
 */
const OWNERSHIP_ONLY_MS = 30_000;

function problems(s: Snapshot): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of s.keys) {
    const why = judgeKey(k, s);
    if (why) out.set(`${idOf(k, 'OpsManagerApiKey')} ${k.metadata.uid ?? ''}`, why);
  }
  for (const b of s.bindings) {
    const why = judgeBinding(b, s);
    if (why) out.set(`${idOf(b, 'ProjectKeyBinding')} ${b.metadata.uid ?? ''}`, why);
  }
  return out;
}

/**
 * Polls until every resource is right, no key is orphaned or claimed twice and the namespaces
 * being deleted are gone, twice in a row (so a passing moment is not taken for the end).
 */
export async function settle(world: ChaosWorld, opts: { since: number; deadlineMs: number; namespacesGone?: readonly string[]; reported?: ReadonlySet<string> }): Promise<SettleResult> {
  const core = world.env.kc.makeApiClient(CoreV1Api);
  const firstRight = new Map<string, number>();
  let tracked: Set<string> | undefined;
  let okStreak = 0;
  let okSince = 0;
  let ownershipOnly: { since: number; what: string } | undefined;
  let last: Snapshot | undefined;
  let wrong: Array<{ subject: string; detail: string }> = [];
  const deadline = opts.since + opts.deadlineMs;
  for (;;) {
    let snap: Snapshot;
    try {
      snap = await snapshot(world.kube, world.sim);
    } catch (err) {
      // The API server may still be coming back.
      wrong = [{ subject: 'API server', detail: err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err) }];
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
      continue;
    }
    last = snap;
    const bad = problems(snap);
    const present = new Set([...snap.keys.map((k) => `${idOf(k, 'OpsManagerApiKey')} ${k.metadata.uid ?? ''}`), ...snap.bindings.map((b) => `${idOf(b, 'ProjectKeyBinding')} ${b.metadata.uid ?? ''}`)]);
    tracked ??= new Set(present);
    for (const id of tracked) if (!firstRight.has(id) && (!present.has(id) || !bad.has(id))) firstRight.set(id, snap.at - opts.since);
    const ownership = judgeOwnership(snap);
    const lingering: string[] = [];
    for (const ns of opts.namespacesGone ?? []) {
      try {
        await core.readNamespace({ name: ns });
        lingering.push(ns);
      } catch (err) {
        if (statusOf(err) !== 404) lingering.push(ns);
      }
    }
    // What an earlier scenario already reported (an orphan stays one) neither blocks nor counts again.
    const fresh = (w: { subject: string }): boolean => !opts.reported?.has(w.subject);
    for (const k of [...bad.keys()]) if (!fresh({ subject: k.replace(/ [0-9a-f-]{36}$/, '') })) bad.delete(k);
    const owned = ownership.filter(fresh);
    wrong = [
      ...[...bad].map(([subject, detail]) => ({ subject: subject.replace(/ [0-9a-f-]{36}$/, ''), detail })),
      ...owned.map((o) => ({ subject: o.subject, detail: `${o.invariant}: ${o.detail}` })),
      ...lingering.map((ns) => ({ subject: `namespace ${ns}`, detail: 'still terminating' })),
    ];
    if (wrong.length === 0 && okStreak === 0) okSince = snap.at;
    okStreak = wrong.length === 0 ? okStreak + 1 : 0;
    if (okStreak >= 2) {
      return { settled: true, settleMs: okSince - opts.since, convergeMs: [...firstRight.values()], wrong: [], last: snap };
    }
    const onlyOwnership = wrong.length > 0 && bad.size === 0 && lingering.length === 0 ? JSON.stringify(owned) : undefined;
    if (onlyOwnership === undefined) ownershipOnly = undefined;
    else if (ownershipOnly?.what !== onlyOwnership) ownershipOnly = { since: snap.at, what: onlyOwnership };
    else if (snap.at - ownershipOnly.since >= OWNERSHIP_ONLY_MS) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { settled: false, settleMs: Date.now() - opts.since, convergeMs: [...firstRight.values()], wrong, ...(last ? { last } : {}) };
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
