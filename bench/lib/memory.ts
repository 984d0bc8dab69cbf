import { readFileSync } from 'node:fs';
import { round } from './measure.ts';

/** One look at the operator's memory: the kernel's figures, and V8's from prom-client's default metrics. */
export interface MemorySample {
  /** VmRSS: resident now. */
  rssMiB: number;
  /** VmHWM: the most it was resident so far. */
  peakRssMiB: number;
  /** Of VmRSS: anonymous memory (the heap, malloc), and file pages mapped (the node binary's code, shared with any other node). */
  rssAnonMiB: number;
  rssFileMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  /** Buffers and other memory V8 accounts for outside its heap. */
  externalMiB: number;
}

const MiB = 1024 * 1024;

function statusKiB(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m?.[1] ? Number(m[1]) : NaN;
}

/** VmRSS alone, from /proc only (no scrape): for sampling often. NaN once the process is gone. */
export function vmRssMiB(pid: number | undefined): number {
  try {
    return round(statusKiB(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS') / 1024);
  } catch {
    return NaN;
  }
}

/**
 * /proc/<pid>/status first (reading it does not touch the process), then, unless `scrape` is
 * false, one /metrics scrape for the heap figures, which is what a Prometheus would do anyway:
 * no flag, no signal, no GC forced. A scrape allocates in the operator (at 10,000 keys its page
 * is 1.5 MB, about 11 MiB of garbage): none precedes a reading that a goal judges.
 */
export async function sampleMemory(pid: number | undefined, httpUrl: string, opts: { scrape?: boolean } = {}): Promise<MemorySample> {
  let status = '';
  try {
    status = pid === undefined ? '' : readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // The process is gone; the figures come out NaN.
  }
  const series = new Map<string, number>();
  try {
    if (opts.scrape === false) throw new Error('not scraped');
    const body = await (await fetch(`${httpUrl}/metrics`)).text();
    for (const line of body.split('\n')) {
      const m = /^(nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes) (\S+)$/.exec(line);
      if (m?.[1] && m[2]) series.set(m[1], Number(m[2]));
    }
  } catch {
    // Heap figures are extra; RSS stands without them.
  }
  const mib = (name: string): number => round((series.get(name) ?? NaN) / MiB);
  return {
    rssMiB: round(statusKiB(status, 'VmRSS') / 1024),
    peakRssMiB: round(statusKiB(status, 'VmHWM') / 1024),
    rssAnonMiB: round(statusKiB(status, 'RssAnon') / 1024),
    rssFileMiB: round(statusKiB(status, 'RssFile') / 1024),
    heapUsedMiB: mib('nodejs_heap_size_used_bytes'),
    heapTotalMiB: mib('nodejs_heap_size_total_bytes'),
    externalMiB: mib('nodejs_external_memory_bytes'),
  };
}

export function memoryText(m: MemorySample): string {
  const heap = Number.isNaN(m.heapUsedMiB) ? 'V8 heap not read (no scrape)' : `V8 heap ${m.heapUsedMiB} MiB used of ${m.heapTotalMiB} MiB; external ${m.externalMiB} MiB`;
  return `RSS ${m.rssMiB} MiB (anonymous ${m.rssAnonMiB}, file ${m.rssFileMiB}; peak ${m.peakRssMiB} MiB); ${heap}`;
}
