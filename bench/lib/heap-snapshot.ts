import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { round, sleep } from './measure.ts';

export interface HeapSnapshotSummary {
  file: string;
  fileMiB: number;
  nodes: number;
  /** Sum of every node's self size: the live heap as the snapshot saw it (after the GC it forces). */
  selfMiB: number;
  /** Self size by node type and constructor or kind (strings together), largest first. */
  top: Array<{ what: string; count: number; selfMiB: number }>;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * SIGUSR2 to a process started with --heapsnapshot-signal=SIGUSR2 writes a .heapsnapshot into
 * its --diagnostic-dir; waits until the file stops growing. Taking one forces a full GC and
 * pauses the process for seconds, so the bench does it only after its figures are read.
 */
export async function takeHeapSnapshot(pid: number, dir: string, timeoutMs = 120_000): Promise<string | undefined> {
  const before = new Set(list(dir));
  process.kill(pid, 'SIGUSR2');
  const deadline = performance.now() + timeoutMs;
  let last = -1;
  while (performance.now() < deadline) {
    await sleep(500);
    const file = list(dir).find((f) => !before.has(f));
    if (!file) continue;
    const size = statSync(file).size;
    if (size > 0 && size === last) return file;
    last = size;
  }
  return undefined;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export function summarizeHeapSnapshot(file: string, topN = 14): HeapSnapshotSummary {
  const fileBytes = statSync(file).size;
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const groups = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType] ?? 0] ?? '?';
    const size = s.nodes[i + iSize] ?? 0;
    total += size;
    const what = type === 'object' || type === 'closure' ? `${type} ${s.strings[s.nodes[i + iName] ?? 0] ?? '?'}` : `(${type})`;
    const g = groups.get(what) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(what, g);
  }
  const MiB = 1024 * 1024;
  return {
    file,
    fileMiB: round(fileBytes / MiB),
    nodes: s.nodes.length / width,
    selfMiB: round(total / MiB),
    top: [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, topN).map(([what, g]) => ({ what, count: g.count, selfMiB: round(g.bytes / MiB, 2) })),
  };
}
