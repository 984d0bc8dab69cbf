import { percentile, round } from './measure.ts';
import type { WatchEvent } from './tracker.ts';

export type Timeline = Array<{ step: string; medianMs: number; keys: number }>;

/**
 * Where a resource's time goes, seen from outside: each write of it, of its Secret and of its
 * Events, in arrival order (the n-th write of a kind is one step), as the median offset from
 * the start of its create call, up to the moment it was usable.
 */
export function stepTimeline(events: readonly WatchEvent[], spans: ReadonlyArray<{ key: string; t0: number; ready: number }>): Timeline {
  const byKey = new Map<string, WatchEvent[]>();
  for (const e of events) {
    // An Event is named <object>.<suffix>; map it to the object it is about.
    const key = e.kind === 'event' ? e.key.slice(0, e.key.lastIndexOf('.')) : e.key;
    const list = byKey.get(key);
    if (list) list.push(e);
    else byKey.set(key, [e]);
  }
  const steps = new Map<string, number[]>();
  for (const s of spans) {
    const seen = new Map<string, number>();
    for (const e of byKey.get(s.key) ?? []) {
      if (e.t < s.t0 || e.t > s.ready) continue;
      const kind = `${e.kind} ${e.type}`;
      const n = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, n);
      const step = `${kind} #${n}`;
      const list = steps.get(step);
      if (list) list.push(e.t - s.t0);
      else steps.set(step, [e.t - s.t0]);
    }
  }
  return [...steps]
    .map(([step, offsets]) => ({ step, medianMs: round(percentile([...offsets].sort((x, y) => x - y), 50)), keys: offsets.length }))
    .sort((x, y) => x.medianMs - y.medianMs);
}
