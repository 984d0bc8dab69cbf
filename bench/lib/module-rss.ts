import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface ModuleCost { what: string; rssMiB: number; heapUsedMiB: number }

/** What the operator's runtime dependencies cost by themselves: a fresh node that only imports them, GC'd. */
export const MODULE_SETS: Array<{ what: string; imports: string[]; flags?: string[] }> = [
  { what: 'node alone', imports: [] },
  { what: '@kubernetes/client-node', imports: ['@kubernetes/client-node'] },
  { what: 'got', imports: ['got'] },
  { what: 'pino', imports: ['pino'] },
  { what: 'prom-client', imports: ['prom-client'] },
  { what: 'all four', imports: ['@kubernetes/client-node', 'got', 'pino', 'prom-client'] },
  // The image's NODE_OPTIONS: node then parses the source map of every module it loads (client-node ships ~900).
  { what: 'all four, --enable-source-maps', imports: ['@kubernetes/client-node', 'got', 'pino', 'prom-client'], flags: ['--enable-source-maps'] },
];

/** Runs each set in its own process from `cwd` (the compiled operator's root, so its node_modules resolve). */
export async function moduleCosts(cwd: string): Promise<ModuleCost[]> {
  const out: ModuleCost[] = [];
  for (const set of MODULE_SETS) {
    const code = `${set.imports.map((m) => `await import(${JSON.stringify(m)});`).join('')}globalThis.gc();const m=process.memoryUsage();console.log(JSON.stringify({rss:m.rss,heap:m.heapUsed}));`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', ...(set.flags ?? []), '--input-type=module', '-e', code], { cwd, encoding: 'utf8' });
      const m = JSON.parse(stdout.trim()) as { rss: number; heap: number };
      out.push({ what: set.what, rssMiB: Math.round((m.rss / 1048576) * 10) / 10, heapUsedMiB: Math.round((m.heap / 1048576) * 10) / 10 });
    } catch {
      out.push({ what: set.what, rssMiB: NaN, heapUsedMiB: NaN });
    }
  }
  return out;
}
