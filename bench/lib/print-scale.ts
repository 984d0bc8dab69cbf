import type { IdleResult } from '../omkey-idle.ts';
import { SCALE_GOALS, type ScaleResult } from '../omkey-scale.ts';
import type { ColdStartMemory } from './cold-start.ts';
import type { CpuProfileSummary } from './cpu-profile.ts';
import type { HeapSnapshotSummary } from './heap-snapshot.ts';
import { memoryText } from './memory.ts';
import { kubeCallsTable } from './print.ts';
import { ms, profileText, simCallsTable, table } from './report.ts';

const s1 = (msv: number): string => (Number.isFinite(msv) ? `${(msv / 1000).toFixed(1)} s` : 'n/a');

export function scaleText(r: ScaleResult): string[] {
  const c = r.coldStart;
  const out = [
    `\n5. scale: ${r.keys} keys + ${r.bindings} bindings + ${r.secrets} Secrets in the cluster (this phase added ${r.added.keys} keys and ${r.added.bindings} bindings in ${r.added.orgs} orgs; no injected latency)`,
    table([
      ['figure', 'measured', 'goal'],
      ['provisioning the added objects: first create -> all Ready', s1(r.provision.wallMs), ''],
      ['  of which creating them', s1(r.provision.createPhaseMs), ''],
      ['graceful stop of that operator', ms(r.stopMs), ''],
      ['cold start: process spawned -> "omkeys starting" (node, modules, config)', ms(c.startingMs), ''],
      ['cold start: -> "caches synced" (every informer listed and watching)', s1(c.syncedMs), `<= ${SCALE_GOALS.syncedS} s`],
      ['cold start: -> leading, controllers started', s1(c.leadingMs), ''],
      ['cold start: -> every object reconciled once', s1(c.reconciledMs), `<= ${SCALE_GOALS.reconciledS} s`],
      ...c.passes.map((p) => [`  ${p.controller}: ${p.objects} objects, ${p.failed} failed their first reconcile`, s1(p.ms), 'after its start']),
      ['Ops Manager reads per key during the cold start (Digest 401s apart)', c.omReadsPerKey, ''],
      [`RSS right after the pass / ${r.memory.settleMs / 1000} s later (the goal's) / ${r.memory.restMs / 1000} s later (at rest)`, `${r.memory.afterPass.rssMiB} / ${r.memory.settled.rssMiB} / ${r.memory.rest.rssMiB} MiB`, `<= ${SCALE_GOALS.rssMiB} MiB`],
    ]),
    `the operator ran ${r.placement}`,
    ...coldMemoryText(r.memory),
    'cold start, Ops Manager calls:',
    simCallsTable(c.opsManager, r.keys, 'per key'),
    'cold start, where the time went (operator process new: its start-up included):',
    profileText(c.profile),
    kubeCallsTable(c.profile.kube, r.keys, 'per key'),
    'provisioning, where the time went:',
    profileText(r.provision.profile),
    kubeCallsTable(r.provision.profile.kube, r.added.keys, 'per added key'),
  ];
  out.push('what one object weighs as listed (JSON, mean of a sample):', table([
    ['kind', 'sampled', 'bytes', 'of which managedFields', 'of which data'],
    ...r.objectSizes.map((o) => [o.kind, o.sampled, o.bytes, o.managedFieldsBytes, o.dataBytes]),
  ]));
  if (r.heap) out.push(...heapText(r.heap));
  if (r.variants.length > 0) out.push(...variantsText(r));
  return out;
}

function coldMemoryText(m: ColdStartMemory): string[] {
  const out = [
    `memory right after the pass: ${memoryText(m.afterPass)}`,
    `memory ${m.settleMs / 1000} s later: ${memoryText(m.settled)}`,
    `memory ${m.restMs / 1000} s later: ${memoryText(m.rest)}`,
    `VmRSS every 2 s after the pass (MiB): ${m.rssSeries.map((p) => p.rssMiB).join(' ')}`,
  ];
  if (m.cgroup) out.push(`memory cgroup (limit ${m.cgroup.limitMiB ?? 'none'} MiB): peak charge ${m.cgroup.peakMiB} MiB, hit the limit ${m.cgroup.limitHits} times, ${m.cgroup.oomKills} OOM kills`);
  return out;
}

/** The extra cold starts (`--cold-start-variant`), beside the run's own, over the same objects. */
function variantsText(r: ScaleResult): string[] {
  const row = (label: string, c: Pick<ScaleResult['variants'][number], 'startup' | 'memory' | 'omReadsPerKey'>): Array<string | number> => {
    const m = c.memory;
    return [label, s1(c.startup.syncedMs), s1(c.startup.reconciledMs), m.afterPass.rssMiB, m.settled.rssMiB, m.rest.rssMiB, m.rest.heapUsedMiB, m.cgroup ? `${m.cgroup.peakMiB} / ${m.cgroup.limitHits} / ${m.cgroup.oomKills}` : 'n/a'];
  };
  return [
    'cold starts over the same objects (experiments; the first row is the run itself):',
    table([
      ['variant', 'synced', 'reconciled once', `RSS after pass`, `+${r.memory.settleMs / 1000} s`, `+${r.memory.restMs / 1000} s`, 'heap used then', 'cgroup peak MiB / limit hits / OOM kills'],
      row('as the run (the goal)', { startup: r.coldStart, memory: r.memory, omReadsPerKey: r.coldStart.omReadsPerKey }),
      ...r.variants.map((v) => row(v.label, v)),
    ]),
    ...r.variants.map((v) => `  ${v.label}: NODE_OPTIONS=${v.nodeOptions}; VmRSS every 2 s: ${v.memory.rssSeries.map((p) => p.rssMiB).join(' ')}`),
  ];
}

export function idleText(r: IdleResult, goalMiB: number): string[] {
  const out = [
    `\n0. idle operator (goal RSS <= ${goalMiB} MiB), ${r.afterMs / 1000} s after it led: ${memoryText(r.memory)}`,
    'what the runtime dependencies cost alone (a fresh node importing only them, after a GC):',
    table([['imports', 'RSS MiB', 'V8 heap used MiB'], ...r.modules.map((m) => [m.what, m.rssMiB, m.heapUsedMiB])]),
  ];
  if (r.heap) out.push(...heapText(r.heap, 'idle'));
  return out;
}

export function heapText(h: HeapSnapshotSummary, when = 'after the cold start'): string[] {
  const out = [
    `heap snapshot ${when} (${h.fileMiB} MiB file, ${h.nodes} nodes, ${h.selfMiB} MiB live after the GC it forces):`,
    table([['self size by type / constructor', 'count', 'MiB'], ...h.top.map((t) => [t.what, t.count, t.selfMiB])]),
  ];
  if (h.strings) {
    out.push(
      `its strings by the property that holds them (first retainer found); the same text held more than once could save ${h.strings.savableMiB} MiB as one copy:`,
      table([['property', 'strings', 'MiB'], ...h.strings.byProperty.map((p) => [p.property, p.count, p.selfMiB])]),
      table([['text held more than once', 'copies', 'MiB'], ...h.strings.repeated.map((v) => [JSON.stringify(v.value), v.count, v.selfMiB])]),
    );
  }
  return out;
}

export function cpuProfilesText(profiles: readonly CpuProfileSummary[], dir: string): string[] {
  if (profiles.length === 0) return [];
  const out = [`\nCPU profiles of the operator processes (node --cpu-prof, in ${dir}; self time, idle left out):`];
  profiles.forEach((p, i) => {
    out.push(`process ${i + 1} (${p.file.split('/').pop() ?? p.file}): ${p.busyS} s busy of ${p.wallS} s`);
    out.push(table([['area', 'self s', '% of busy'], ...p.byArea.map((a) => [a.area, a.selfS, a.share])]));
    out.push(table([['function', 'self s', '% of busy'], ...p.top.map((f) => [f.fn, f.selfS, f.share])]));
  });
  return out;
}
