import { LATENCY_GOALS, type LatencyResult } from '../omkey-latency.ts';
import type { SteadyResult } from '../omkey-steady.ts';
import { THROUGHPUT_GOAL_RATIO, type ThroughputResult } from '../omkey-throughput.ts';
import type { KubeCalls, KubePerKey } from './kube-calls.ts';
import { memoryText, type MemorySample } from './memory.ts';
import { otherCpuS, type CpuUsage } from './cpu.ts';
import { ms, profileText, simCallsTable, table, timelineTable, verdict } from './report.ts';

export function latencyText(l: LatencyResult): string[] {
  return [
    `\n1. apply -> Secret-ready latency (${l.keys} keys sequential, ${l.spacingMs} ms apart, ${l.warmup} warm-up keys not counted; no injected latency)`,
    table([
      ['figure', 'measured', 'goal'],
      ['p50', ms(l.p50Ms), `<= ${LATENCY_GOALS.p50Ms} ms`],
      ['p99', ms(l.p99Ms), `<= ${LATENCY_GOALS.p99Ms} ms`],
      ['max', ms(l.maxMs), ''],
      ['mean', ms(l.meanMs), ''],
      ['create call alone (p50)', ms(l.createCallP50Ms), ''],
    ]),
    verdict(l.pass),
    timelineTable('key', l.timeline),
    simCallsTable(l.sim, l.keys, 'per key'),
    profileText(l.profile),
  ];
}

export function throughputText(t: ThroughputResult): string[] {
  const title = t.bindings > 0 ? `4. ${t.keys} keys + ${t.bindings} bindings` : `${t.latencyMs > 0 ? '2.' : '2b.'} ${t.keys} keys`;
  const lat = t.latencyMs > 0 ? `${t.latencyMs} ms on every Ops Manager request` : 'NO injected latency (floor)';
  const out = [`\n${title} to Ready, ${lat}, ${t.orgs} orgs, OMKEYS_CONCURRENCY=${t.concurrency}, ${t.createParallelism} creates in flight`];
  out.push(table([
    ['figure', 'value'],
    ['wall time (first create -> last Ready)', ms(t.wallMs)],
    ['  of which creating the resources', ms(t.createPhaseMs)],
    ['Ops Manager calls per key, Digest 401s included', t.calls.perKey],
    ['Ops Manager calls per key, without 401s', t.calls.perKeyWithout401],
    [`limit = calls/key (incl. 401) x ${t.latencyMs} ms x ${t.keys} / ${t.concurrency}`, ms(t.limitMs)],
    ['limit without 401s', ms(t.limitWithout401Ms)],
    [`ratio wall / limit (goal <= ${THROUGHPUT_GOAL_RATIO})`, Number.isFinite(t.ratio) ? t.ratio : 'n/a (no latency)'],
    ['per key create -> Ready p50 / p99', `${t.perKeyP50Ms} / ${t.perKeyP99Ms} ms`],
  ]));
  if (t.latencyMs > 0) out.push(verdict(t.pass));
  out.push(kubePerKeyText(t.kube, t.bindings > 0 ? 'key (its binding included)' : 'key'));
  out.push(timelineTable('key', t.timeline));
  if (t.bindings > 0) out.push(timelineTable('binding', t.bindingTimeline));
  out.push(simCallsTable(t.sim, t.keys, 'per key'), profileText(t.profile), kubeCallsTable(t.profile.kube, t.keys, 'per key'));
  return out;
}

export function kubePerKeyText(k: KubePerKey, per: string): string {
  const gets = (r: Record<string, number>): string => Object.entries(r).map(([res, n]) => `${res} ${n}`).join(', ') || '0';
  return table([
    [`Kubernetes requests per new ${per}`, 'value'],
    ['writes besides Events, API server count less the bench\'s creates (goal <= 4)', k.apiServerWrites],
    ['the same, the operator\'s own count (omkeys_kube_requests_total)', k.writes],
    ['Events', k.events],
    ['live GETs of objects the informer cache held', gets(k.getsHeld)],
    ['live GETs of objects it did not hold (not yet seen, connection Secrets)', gets(k.getsNotHeld)],
  ]);
}

export function kubeCallsTable(k: KubeCalls, per: number, perLabel: string): string {
  if (k.rows.length === 0) return 'operator Kubernetes requests: none counted (omkeys_kube_requests_total missing?)';
  return table([
    ['operator Kubernetes request (verb resource in_cache)', 'count', perLabel],
    ...k.rows.map((r) => [`${r.verb} ${r.resource}${r.inCache ? ` in_cache=${r.inCache}` : ''}`, r.count, (r.count / Math.max(1, per)).toFixed(2)]),
  ]);
}

/** Same 1,000 keys with and without Ops Manager latency: how much of the wall the latency adds, and who used the CPU. */
export function floorText(withLatency: ThroughputResult, floor: ThroughputResult, goal: number): string[] {
  const ratio = Math.round((withLatency.wallMs / floor.wallMs) * 100) / 100;
  return [
    `\n2 vs 2b. ${withLatency.keys} keys with ${withLatency.latencyMs} ms Ops Manager latency vs the same with none (goal: within ${goal}x)`,
    table([
      ['figure', `${withLatency.latencyMs} ms latency`, 'no latency (floor)'],
      ['wall time', ms(withLatency.wallMs), ms(floor.wallMs)],
      ['ratio', ratio, `goal <= ${goal}`],
      ['kube-apiserver + etcd share of the CPU the run used', cpuShare(withLatency.profile.cpu), cpuShare(floor.profile.cpu)],
      ['CPU s taken by other work on the machine meanwhile', otherCpuS(withLatency.profile.cpu), otherCpuS(floor.profile.cpu)],
    ]),
  ];
}

export function cpuShare(u: CpuUsage): string {
  const total = u.procs.reduce((s, p) => s + p.cpuS, 0);
  const api = u.procs.filter((p) => p.name === 'kube-apiserver' || p.name === 'etcd').reduce((s, p) => s + p.cpuS, 0);
  const op = u.procs.find((p) => p.name === 'operator')?.cpuS ?? 0;
  const pct = (n: number): string => `${total > 0 ? Math.round((n / total) * 100) : 0}%`;
  return `${pct(api)} (${Math.round(api * 10) / 10} of ${Math.round(total * 10) / 10} CPU s; operator ${pct(op)})`;
}

export function steadyText(s: SteadyResult): string[] {
  const out = [`\n3. steady state over ${s.objects} objects (${s.keys} keys), OMKEYS_RESYNC_PERIOD=${s.resyncPeriodMs / 1000}s (goal: 0 Ops Manager writes, 0 Kubernetes writes; <= 1.05 Ops Manager reads per key per resync; 0 live Secret GETs)`];
  out.push(table([
    ['window', 'duration', 'OM reads', 'per key', 'OM non-GET', 'OM 401', 'omkey writes', 'Secret writes', 'binding writes', 'Events', 'Secret GETs cached / not'],
    ...s.windows.map((w) => [w.what, ms(w.durationMs), w.opsManager.readsAnswered, w.omReadsPerKey, w.opsManager.nonGet, w.opsManager.unauthorized, w.kubeWrites.omkey, w.kubeWrites.secret, w.kubeWrites.binding, w.kubeWrites.event, `${w.secretGetsHeld} / ${w.secretGetsNotHeld}`]),
  ]));
  out.push(verdict(s.pass), ...s.notes.map((n) => `note: ${n}`));
  for (const w of s.windows) out.push(`${w.what}:`, simCallsTable(w.opsManager, s.keys, 'per key'), profileText(w.profile), kubeCallsTable(w.profile.kube, s.keys, 'per key'));
  return out;
}

export function memoryLine(what: string, m: MemorySample): string {
  return `${what}: ${memoryText(m)}`;
}
