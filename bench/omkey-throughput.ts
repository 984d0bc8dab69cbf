// Phase 2 (and 4) of `make bench`: many keys (and bindings) to Ready with injected Ops Manager latency.
import type { BenchEnv } from './lib/bench-env.ts';
import { stepTimeline, type Timeline } from './lib/timeline.ts';
import { percentile, round, summarizeSim, type SimCallSummary } from './lib/measure.ts';
import { Probe, type PhaseProfile } from './lib/probe.ts';
import { orgsFor, prepareOrgs, type BenchOrg } from './lib/orgs.ts';
import { apiServerWrites } from './lib/apiserver.ts';
import { perKey as kubePerKey, type KubePerKey } from './lib/kube-calls.ts';

export const THROUGHPUT_GOAL_RATIO = 1.2;

export interface ThroughputOptions {
  keys: number;
  /** Also one ProjectKeyBinding per key, to a project of the key's organization. */
  withBindings: boolean;
  latencyMs: number;
  /** The operator's OMKEYS_CONCURRENCY: reconciles in flight. */
  concurrency: number;
  /** Creates in flight from the bench; enough that the API server, not the bench, sets the pace. */
  createParallelism: number;
  prefix: string;
  log: (s: string) => void;
}

export interface ThroughputResult {
  keys: number;
  bindings: number;
  orgs: number;
  latencyMs: number;
  concurrency: number;
  createParallelism: number;
  /** First create call started -> last key (and binding) usable. */
  wallMs: number;
  /** First create call started -> last create call answered. */
  createPhaseMs: number;
  /** Per key: its create call -> usable (queueing included). */
  perKeyP50Ms: number;
  perKeyP99Ms: number;
  calls: { total: number; unauthorized: number; perKey: number; perKeyWithout401: number };
  /** calls per key (Digest 401s included: each is a round trip with the latency) x latency x keys / concurrency. */
  limitMs: number;
  limitWithout401Ms: number;
  ratio: number;
  pass: boolean;
  sim: SimCallSummary;
  profile: PhaseProfile;
  /** Per key (and per binding): where the time went, from the watches. */
  timeline: Timeline;
  bindingTimeline: Timeline;
  /** Kubernetes requests per key (bindings' included when there are bindings). */
  kube: KubePerKey;
}

/** The kinds whose writes are the operator's work per key (Events and Leases apart). */
export const isKeyResource = (r: string): boolean => /^(opsmanagerapikeys|projectkeybindings|secrets|configmaps)(\/|$)/.test(r);

export async function runThroughput(b: BenchEnv, o: ThroughputOptions): Promise<ThroughputResult> {
  const orgs = await prepareOrgs(b, o.prefix, orgsFor(o.keys), o.withBindings ? 4 : 0);
  if (o.latencyMs > 0) b.sim.faults.set([{ fault: 'latency', ms: o.latencyMs }]);
  else b.sim.faults.clear();
  b.sim.stats.reset();
  const probe = await Probe.start(b);
  const timeoutMs = Math.max(180_000, 20 * o.keys * o.latencyMs * 4 / o.concurrency);

  const started = performance.now();
  const createdAt = new Array<number>(o.keys);
  const spans: Array<{ key: string; t0: number }> = [];
  const bindingSpans: Array<{ key: string; t0: number }> = [];
  const ready: Array<Promise<number>> = [];
  const bindingsReady: Array<Promise<number>> = [];
  let next = 0;
  let lastCreated = started;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < o.keys; i = next++) {
      const org = orgs[i % orgs.length] as BenchOrg;
      const name = `k-${i}`;
      const t0 = performance.now();
      await b.kube.createKey(org.namespace, name, { orgId: org.orgId, roles: ['ORG_MEMBER'], connectionRef: org.connectionRef });
      ready[i] = b.tracker.whenKeyReady(`${org.namespace}/${name}`, timeoutMs);
      spans[i] = { key: `${org.namespace}/${name}`, t0 };
      if (o.withBindings) {
        const projectId = org.projectIds[Math.floor(i / orgs.length) % org.projectIds.length] ?? '';
        bindingSpans[i] = { key: `${org.namespace}/b-${i}`, t0: performance.now() };
        await b.kube.createBinding(org.namespace, `b-${i}`, { apiKeyRef: { name }, projectId, roles: ['GROUP_READ_ONLY'] });
        bindingsReady[i] = b.tracker.whenBindingReady(`${org.namespace}/b-${i}`, timeoutMs);
      }
      createdAt[i] = t0;
      lastCreated = Math.max(lastCreated, performance.now());
      if ((i + 1) % 250 === 0) o.log(`  ${o.prefix}: ${i + 1}/${o.keys} created`);
    }
  };
  await Promise.all(Array.from({ length: o.createParallelism }, () => worker()));
  const createPhaseMs = lastCreated - started;
  o.log(`  ${o.prefix}: all ${o.keys} created in ${(createPhaseMs / 1000).toFixed(1)} s; waiting for Ready`);
  const readyTimes = await Promise.all(ready);
  const bindingTimes = await Promise.all(bindingsReady);
  const end = Math.max(...readyTimes, ...bindingTimes);
  const profile = await probe.finish();
  b.sim.faults.clear();

  const sim = summarizeSim(b.sim.stats.list());
  const perKey = sim.total / o.keys;
  const perKeyWithout401 = (sim.total - sim.unauthorized) / o.keys;
  const limitMs = (perKey * o.latencyMs * o.keys) / o.concurrency;
  const limitWithout401Ms = (perKeyWithout401 * o.latencyMs * o.keys) / o.concurrency;
  const wallMs = end - started;
  const perKeyLatency = readyTimes.map((t, i) => t - (createdAt[i] ?? started)).sort((x, y) => x - y);
  return {
    keys: o.keys,
    bindings: o.withBindings ? o.keys : 0,
    orgs: orgs.length,
    latencyMs: o.latencyMs,
    concurrency: o.concurrency,
    createParallelism: o.createParallelism,
    wallMs: round(wallMs, 0),
    createPhaseMs: round(createPhaseMs, 0),
    perKeyP50Ms: round(percentile(perKeyLatency, 50), 0),
    perKeyP99Ms: round(percentile(perKeyLatency, 99), 0),
    calls: { total: sim.total, unauthorized: sim.unauthorized, perKey: round(perKey, 2), perKeyWithout401: round(perKeyWithout401, 2) },
    limitMs: round(limitMs, 0),
    limitWithout401Ms: round(limitWithout401Ms, 0),
    ratio: limitMs > 0 ? round(wallMs / limitMs, 2) : NaN,
    pass: limitMs > 0 && wallMs <= THROUGHPUT_GOAL_RATIO * limitMs,
    sim,
    profile,
    kube: kubePerKey(profile.kube, apiServerWrites(profile.apiServer, isKeyResource), o.keys * (o.withBindings ? 2 : 1), o.keys),
    timeline: stepTimeline(b.tracker.events, spans.map((s, i) => ({ ...s, ready: readyTimes[i] ?? 0 }))),
    bindingTimeline: stepTimeline(b.tracker.events, bindingSpans.map((s, i) => ({ ...s, ready: bindingTimes[i] ?? 0 }))),
  };
}
