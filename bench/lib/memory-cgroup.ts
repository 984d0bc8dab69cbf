// A memory cgroup for the operator process, so it runs under its pod's limit as a kubelet would run it.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CgroupStats {
  /** The most the cgroup was charged (anonymous memory and the page cache its process touched). */
  peakMiB: number;
  /** How often the charge hit the limit (the kernel then reclaimed or, failing that, killed). */
  limitHits: number;
  /** Processes the kernel's OOM killer ended in it. */
  oomKills: number;
}

/** What the bench could set up, said in the report either way. */
export type CgroupPlacement =
  | { placed: true; kind: 'cgroup v1' | 'cgroup v2'; dir: string; limitMiB: number | null }
  | { placed: false; reason: string };

/**
 * A child of the bench's own memory cgroup (so whatever limits the bench runs under still apply
 * above it), limited to `limitMiB`. cgroup v1 (`memory.limit_in_bytes`), else v2 (`memory.max`,
 * where the parent delegates the memory controller). Where neither is writable (an unprivileged
 * CI, a read-only /sys) the bench runs the operator unconfined and says so.
 */
export class MemoryCgroup {
  private constructor(readonly kind: 'cgroup v1' | 'cgroup v2', readonly dir: string, private limit: number | null) {}

  static create(limitMiB: number, name = `omkeys-bench-${process.pid}`, procSelfCgroup = '/proc/self/cgroup', root = '/sys/fs/cgroup'): MemoryCgroup | { reason: string } {
    let lines: string[];
    try {
      lines = readFileSync(procSelfCgroup, 'utf8').split('\n');
    } catch (err) {
      return { reason: `cannot read ${procSelfCgroup}: ${String(err)}` };
    }
    const reasons: string[] = [];
    const v1 = lines.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('memory'));
    if (v1?.[2] !== undefined && existsSync(path.join(root, 'memory', 'memory.limit_in_bytes'))) {
      const tried = MemoryCgroup.tryCreate('cgroup v1', path.join(root, 'memory', v1[2], name), 'memory.limit_in_bytes', limitMiB);
      if (tried instanceof MemoryCgroup) return tried;
      reasons.push(tried.reason);
    }
    const v2 = lines.map((l) => l.split(':')).find((f) => f[0] === '0' && f[1] === '');
    const v2root = existsSync(path.join(root, 'cgroup.controllers')) ? root : path.join(root, 'unified');
    if (v2?.[2] !== undefined && existsSync(path.join(v2root, v2[2], 'cgroup.controllers'))) {
      const parent = path.join(v2root, v2[2]);
      if (readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory')) {
        const tried = MemoryCgroup.tryCreate('cgroup v2', path.join(parent, name), 'memory.max', limitMiB);
        if (tried instanceof MemoryCgroup) return tried;
        reasons.push(tried.reason);
      } else reasons.push(`cgroup v2 ${parent} does not delegate the memory controller`);
    }
    return { reason: reasons.join('; ') || 'no memory cgroup hierarchy found' };
  }

  private static tryCreate(kind: 'cgroup v1' | 'cgroup v2', dir: string, limitFile: string, limitMiB: number): MemoryCgroup | { reason: string } {
    try {
      mkdirSync(dir, { recursive: true });
      const cg = new MemoryCgroup(kind, dir, limitMiB);
      cg.setLimit(limitMiB);
      return cg;
    } catch (err) {
      try {
        rmdirSync(dir);
      } catch {
        // Never made.
      }
      return { reason: `${kind} ${dir} ${limitFile}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /** null: no limit (the host's memory). */
  get limitMiB(): number | null {
    return this.limit;
  }

  /**
   * Between a stop and the next start: node reads the limit once, as it starts. null: none
   * (raising it is also safe with the process running, e.g. before a heap snapshot).
   */
  setLimit(limitMiB: number | null): void {
    const bytes = limitMiB === null ? (this.kind === 'cgroup v1' ? '-1' : 'max') : String(Math.round(limitMiB * 1024 * 1024));
    writeFileSync(path.join(this.dir, this.kind === 'cgroup v1' ? 'memory.limit_in_bytes' : 'memory.max'), bytes);
    this.limit = limitMiB;
    this.resetStats();
  }

  /** The peak and the limit-hit count start again (cgroup v1; v2 keeps them for the cgroup's life). */
  resetStats(): void {
    if (this.kind !== 'cgroup v1') return;
    writeFileSync(path.join(this.dir, 'memory.max_usage_in_bytes'), '0');
    writeFileSync(path.join(this.dir, 'memory.failcnt'), '0');
  }

  /**
   * `file args` run through `sh`, which moves itself into the cgroup and then execs the command:
   * node starts inside it (V8 sizes its heap from the limit it reads at start) with the same pid.
   */
  wrap(command: { file: string; args: string[] }): { file: string; args: string[] } {
    return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', path.join(this.dir, 'cgroup.procs'), command.file, ...command.args] };
  }

  stats(): CgroupStats {
    const read = (f: string): string => {
      try {
        return readFileSync(path.join(this.dir, f), 'utf8');
      } catch {
        return '';
      }
    };
    const field = (text: string, key: string): number => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    if (this.kind === 'cgroup v1') {
      return {
        peakMiB: Math.round((Number(read('memory.max_usage_in_bytes')) / 1024 / 1024) * 10) / 10,
        limitHits: Number(read('memory.failcnt')),
        oomKills: field(read('memory.oom_control'), 'oom_kill'),
      };
    }
    const events = read('memory.events');
    return { peakMiB: Math.round((Number(read('memory.peak')) / 1024 / 1024) * 10) / 10, limitHits: field(events, 'max'), oomKills: field(events, 'oom_kill') };
  }

  /** Once its process has exited. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // A process still in it (or already gone): the kernel keeps or has removed it.
    }
  }
}

export function placementText(p: CgroupPlacement): string {
  if (!p.placed) return `NOT in a memory cgroup (${p.reason}): V8 sizes its heap from the host's memory, not from the pod's limit`;
  return p.limitMiB === null ? `in a ${p.kind} memory cgroup with no limit (${p.dir}): V8 sizes its heap from the host's memory` : `in a ${p.kind} memory cgroup limited to ${p.limitMiB} MiB (${p.dir})`;
}
