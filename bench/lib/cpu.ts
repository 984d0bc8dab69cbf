import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface CpuSnapshot {
  at: number;
  /** CPU seconds (user + system) so far, per process name. */
  procs: Map<string, number>;
  /** Whole machine, in clock ticks (/proc/stat): all, and idle + iowait. */
  machine: { total: number; idle: number };
}

export interface CpuUsage {
  wallS: number;
  /** Per process: CPU seconds in the window and the share of one core that is. */
  procs: Array<{ name: string; cpuS: number; coreShare: number }>;
  /** Share of all cores busy (anything on the machine, other people's work included). */
  machineBusy: number;
  cores: number;
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

function procCpuS(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

function machineTicks(): { total: number; idle: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const n = line.trim().split(/\s+/).slice(1).map(Number);
    return { total: n.reduce((s, x) => s + x, 0), idle: (n[3] ?? 0) + (n[4] ?? 0) };
  } catch {
    return { total: 0, idle: 0 };
  }
}

/** Where the CPU went: this process (the bench and the in-process simulator) and the named children. */
export function cpuSnapshot(pids: Record<string, number | undefined>): CpuSnapshot {
  const procs = new Map<string, number>();
  const self = process.cpuUsage();
  procs.set('bench + simulator', (self.user + self.system) / 1e6);
  for (const [name, pid] of Object.entries(pids)) {
    const s = pid === undefined ? undefined : procCpuS(pid);
    if (s !== undefined) procs.set(name, s);
  }
  return { at: performance.now(), procs, machine: machineTicks() };
}

/** The difference; a process that restarted in between (new pid) is counted from zero. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, restarted: readonly string[] = []): CpuUsage {
  const wallS = (b.at - a.at) / 1000;
  const procs = [...b.procs].map(([name, s]) => {
    const cpuS = restarted.includes(name) ? s : s - (a.procs.get(name) ?? 0);
    return { name, cpuS: Math.round(cpuS * 10) / 10, coreShare: wallS > 0 ? Math.round((cpuS / wallS) * 100) / 100 : 0 };
  });
  const total = b.machine.total - a.machine.total;
  const idle = b.machine.idle - a.machine.idle;
  return { wallS: Math.round(wallS * 10) / 10, procs, machineBusy: total > 0 ? Math.round(((total - idle) / total) * 100) / 100 : NaN, cores: os.cpus().length };
}

/** CPU seconds the machine spent on anything but the bench's processes in the window (other people's work). */
export function otherCpuS(u: CpuUsage): number {
  const ours = u.procs.reduce((s, p) => s + p.cpuS, 0);
  return Math.max(0, Math.round((u.machineBusy * u.cores * u.wallS - ours) * 10) / 10);
}

export function cpuText(u: CpuUsage): string {
  const parts = u.procs.map((p) => `${p.name} ${p.cpuS} s (${Math.round(p.coreShare * 100)}% of a core)`);
  const other = otherCpuS(u);
  const share = u.wallS > 0 ? Math.round((other / (u.cores * u.wallS)) * 100) : 0;
  return `CPU over ${u.wallS} s: ${parts.join(', ')}; machine ${Math.round(u.machineBusy * 100)}% busy across ${u.cores} cores, of which other work (not the bench's processes) ${other} s = ${share}% of the machine`;
}
