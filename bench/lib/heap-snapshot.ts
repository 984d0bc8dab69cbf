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
  /** The strings: which properties hold them, and the values held many times over. */
  strings?: StringBreakdown;
}

export interface StringBreakdown {
  /** By the name of the first edge found to each string (a property name, or `[]` for array elements). */
  byProperty: Array<{ property: string; count: number; selfMiB: number }>;
  /** The same text held as separate strings: `savableMiB` is what one copy of each would save. */
  repeated: Array<{ value: string; count: number; selfMiB: number }>;
  savableMiB: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
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
    strings: stringBreakdown(s, topN),
  };
}

function stringBreakdown(s: Snapshot, topN: number): StringBreakdown {
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const types = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const [w, ew] = [nf.length, ef.length];
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
  const isString = (t: string | undefined): boolean => t === 'string';
  const seen = new Set<number>();
  const byProperty = new Map<string, { count: number; bytes: number }>();
  const byValue = new Map<string, { count: number; bytes: number }>();
  let edge = 0;
  for (let i = 0; i < s.nodes.length; i += w) {
    const edges = s.nodes[i + iEdges] ?? 0;
    const parentType = types[s.nodes[i + iType] ?? 0];
    const inString = parentType === 'concatenated string' || parentType === 'sliced string';
    for (let e = 0; e < edges; e++, edge += ew) {
      const to = s.edges[edge + eTo] ?? 0;
      if (seen.has(to) || !isString(types[s.nodes[to + iType] ?? 0])) continue;
      const et = edgeTypes[s.edges[edge + eType] ?? 0];
      if (et === 'weak' || et === 'shortcut') continue;
      seen.add(to);
      const name = inString ? `(part of a ${parentType})` : et === 'element' || et === 'hidden' ? `[] (${et})` : (s.strings[s.edges[edge + eName] ?? 0] ?? '?');
      const size = s.nodes[to + iSize] ?? 0;
      const p = byProperty.get(name) ?? { count: 0, bytes: 0 };
      p.count++;
      p.bytes += size;
      byProperty.set(name, p);
      const text = s.strings[s.nodes[to + iName] ?? 0] ?? '';
      const v = byValue.get(text) ?? { count: 0, bytes: 0 };
      v.count++;
      v.bytes += size;
      byValue.set(text, v);
    }
  }
  const MiB = 1024 * 1024;
  let savable = 0;
  for (const v of byValue.values()) savable += v.bytes - v.bytes / v.count;
  const top = <K>(m: Map<string, { count: number; bytes: number }>, f: (k: string, g: { count: number; bytes: number }) => K): K[] =>
    [...m].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, topN).map(([k, g]) => f(k, g));
  return {
    byProperty: top(byProperty, (property, g) => ({ property, count: g.count, selfMiB: round(g.bytes / MiB, 2) })),
    repeated: top(new Map([...byValue].filter(([, g]) => g.count > 1)), (value, g) => ({ value: value.length > 60 ? `${value.slice(0, 57)}...` : value, count: g.count, selfMiB: round(g.bytes / MiB, 2) })),
    savableMiB: round(savable / MiB, 2),
  };
}
