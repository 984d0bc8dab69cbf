// The invariants checked at the end of each scenario, once the world has settled (or the
// settle deadline passed), turned into violations.
import { digestGet } from '../../test/integration/support/digest-probe.ts';
import type { Rng } from './rng.ts';
import { secretOf } from './judge.ts';
import type { LeakScan } from './leaks.ts';
import { percentile, type SettleResult } from './settle.ts';
import type { ChaosWorld } from './world.ts';

export interface Violation { scenario: string; invariant: string; subject: string; detail: string }

export interface ScenarioResult {
  name: string;
  durationMs: number;
  /** User actions: the churn's ops, namespace deletions, the deletions during an outage. */
  events: number;
  kills: number;
  /** Ops Manager answers faulted on purpose, plus control-plane faults (restarts, a stolen Lease). */
  faults: number;
  settle: { settled: boolean; settleMs: number; convergeP50Ms: number | undefined; convergeMaxMs: number | undefined; resources: number };
  violations: Violation[];
  /** Scenario-specific figures (takeover times, RSS, Retry-After waits, …). */
  figures: Record<string, unknown>;
}

export interface Ctx {
  world: ChaosWorld;
  rng: Rng;
  leaks: LeakScan;
  short: boolean;
  log: (s: string) => void;
  /** A timestamped line in the run's journal (every churn op, kill and fault), to trace a violation. */
  journal: (line: string) => void;
  /** Leaks already reported by an earlier scenario. */
  reportedLeaks: Set<string>;
  /** Subjects (a resource, an Ops Manager key) already reported wrong: later scenarios do not wait for them. */
  reported: Set<string>;
}

const INVARIANT_OF: Array<[RegExp, string]> = [
  [/^orphan-key/, 'no orphaned key'],
  [/^duplicate-key/, 'no duplicate live key'],
  [/still terminating/, 'deletions complete'],
  [/still being deleted/, 'deletions complete'],
  [/roles in|description in|access list in/, 'Ops Manager equals the spec'],
];

/** Violations from what was still wrong at the deadline, the pair probes and the leak scan. */
export async function verdict(ctx: Ctx, scenario: string, s: SettleResult): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const w of s.wrong) {
    ctx.reported.add(w.subject);
    const invariant = INVARIANT_OF.find(([re]) => re.test(w.detail))?.[1] ?? 'every resource Ready (or the right reason)';
    out.push({ scenario, invariant, subject: w.subject, detail: w.detail });
  }
  const snap = s.last;
  if (snap) {
    ctx.leaks.addFromSecrets(snap.secrets.values());
    const { sim } = ctx.world;
    for (const k of snap.keys) {
      const data = snap.secrets.get(secretOf(k));
      if (!data?.publicKey || !data.privateKey || !data.keyId || k.metadata.deletionTimestamp) continue;
      // A project key may read its project's keys, an organization key itself.
      const probe = data.projectId ? `/groups/${data.projectId}/apiKeys` : `/orgs/${data.orgId ?? sim.orgId}/apiKeys/${data.keyId}`;
      const res = await digestGet(`${sim.url}/api/public/v1.0${probe}`, data.publicKey, data.privateKey).catch((err: unknown) => ({ status: 0, body: String(err) }));
      if (res.status !== 200) out.push({ scenario, invariant: 'every Secret\'s pair authenticates', subject: `Secret ${secretOf(k)}`, detail: `Digest GET ${probe} answered ${res.status}` });
    }
  }
  await ctx.leaks.sample(ctx.world.kube);
  ctx.leaks.scanFiles(ctx.world.replicas.map((r) => r.logPath));
  for (const l of ctx.leaks.leaks()) {
    const id = `${l.where} ${l.key}`;
    if (ctx.reportedLeaks.has(id)) continue;
    ctx.reportedLeaks.add(id);
    out.push({ scenario, invariant: 'no private key in logs, Events or status', subject: l.where, detail: `private key ${l.key} found` });
  }
  return out;
}

export function settleFigures(s: SettleResult): ScenarioResult['settle'] {
  return {
    settled: s.settled,
    settleMs: s.settleMs,
    convergeP50Ms: percentile(s.convergeMs, 50),
    convergeMaxMs: s.convergeMs.length ? Math.max(...s.convergeMs) : undefined,
    resources: s.convergeMs.length,
  };
}

/** Faulted Ops Manager answers in the request log since `sinceMs`. */
export function faultedAnswers(world: ChaosWorld, sinceMs: number): { total: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const e of world.sim.requests.list(sinceMs)) {
    if (!e.fault) continue;
    byKind[e.fault] = (byKind[e.fault] ?? 0) + 1;
    total++;
  }
  return { total, byKind };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
