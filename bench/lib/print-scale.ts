import type { IdleResult } from '../omkey-idle.ts';
import { SCALE_GOALS, type ScaleResult } from '../omkey-scale.ts';
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
      [`RSS right after the pass / ${r.memory.settleMs / 1000} s later`, `${r.memory.afterPass.rssMiB} / ${r.memory.settled.rssMiB} MiB`, `<= ${SCALE_GOALS.rssMiB} MiB`],
    ]),
    `memory right after the pass: ${memoryText(r.memory.afterPass)}`,
    `memory ${r.memory.settleMs / 1000} s later: ${memoryText(r.memory.settled)}`,
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
  return out;
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
  return [
    `heap snapshot ${when} (${h.fileMiB} MiB file, ${h.nodes} nodes, ${h.selfMiB} MiB live after the GC it forces):`,
    table([['self size by type / constructor', 'count', 'MiB'], ...h.top.map((t) => [t.what, t.count, t.selfMiB])]),
  ];
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
