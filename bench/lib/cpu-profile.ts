import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { round } from './measure.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface CpuProfileSummary {
  file: string;
  /** Wall time the profile covers and how much of it the main thread was busy. */
  wallS: number;
  busyS: number;
  /** Self time by where the code lives (src dir, package, node internals, GC), share of busy time. */
  byArea: Array<{ area: string; selfS: number; share: number }>;
  /** The functions with the most self time. */
  top: Array<{ fn: string; selfS: number; share: number }>;
}

/** Where a sample's code lives: dist/<dir>, node_modules/<package>, node:<module>, or V8's own (GC, idle, program). */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return nm[1];
  const dist = /\/dist\/(.+)\/[^/]+$/.exec(url) ?? /\/dist\/([^/]+)$/.exec(url);
  if (dist?.[1]) return `src/${dist[1].replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return url.split('/')[0] ?? url;
  return url;
}

/** Self time per function of one V8 .cpuprofile (node --cpu-prof), idle left out of the shares. */
export function summarizeCpuProfile(file: string, topN = 12): CpuProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''} [${area}]`.replace('  ', ' ');
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1]).slice(0, topN);
  const share = (us: number): number => (busyUs > 0 ? round((us / busyUs) * 100) : 0);
  return {
    file,
    wallS: round((p.endTime - p.startTime) / 1e6),
    busyS: round(busyUs / 1e6),
    byArea: rank(areas).map(([area, us]) => ({ area, selfS: round(us / 1e6, 2), share: share(us) })),
    top: rank(fns).map(([fn, us]) => ({ fn, selfS: round(us / 1e6, 2), share: share(us) })),
  };
}

/** Every profile in `dir`, oldest first (one per operator process, in the order they ran). */
export function summarizeCpuProfiles(dir: string): CpuProfileSummary[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
  return files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs).map((f) => summarizeCpuProfile(f));
}
