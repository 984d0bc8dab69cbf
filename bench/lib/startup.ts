import { sleep } from './measure.ts';

/** A cold start as the operator's own log lines time it, in ms after the process was spawned. */
export interface Startup {
  /** `omkeys starting`: node up, modules loaded, configuration read. */
  startingMs: number;
  /** `caches synced`: every informer has listed and is watching. */
  syncedMs: number;
  /** The last `controller started`: the Lease is held and the controllers run. */
  leadingMs: number;
  /** The last `initial reconcile pass done`: every object present at start reconciled once. */
  reconciledMs: number;
  /** `afterLeaseLost`: the Lease was lost during the initial pass; the pass that finished it is the restart's (what was left). */
  passes: Array<{ controller: string; objects: number; failed: number; ms: number; afterLeaseLost?: true }>;
}

interface Line { msg?: string; time?: number | string; controller?: string; objects?: number; failed?: number; ms?: number }

/**
 * The controllers whose passes say every key and binding was reconciled once. The connection
 * controllers log theirs too (a handful of objects, done early): they do not stand for these.
 */
export const KEY_AND_BINDING_CONTROLLERS: readonly string[] = ['opsmanagerapikey', 'projectkeybinding'];

/** Waits until each of `controllers` has logged the end of its initial pass. */
export async function readStartup(
  text: () => string,
  spawnedAt: number,
  controllers: readonly string[],
  timeoutMs: number,
): Promise<Startup> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const lines = parse(text());
    const passes = lastPasses(lines).filter((p) => controllers.includes(p.controller ?? '?'));
    if (passes.length >= controllers.length) {
      const at = (msg: string, last = false): number => {
        const hits = lines.filter((l) => l.msg === msg).map(timeOf);
        const t = last ? Math.max(...hits) : (hits[0] ?? NaN);
        return t - spawnedAt;
      };
      return {
        startingMs: at('omkeys starting'),
        syncedMs: at('caches synced'),
        leadingMs: at('controller started', true),
        reconciledMs: Math.max(...passes.map((p) => timeOf(p) - spawnedAt)),
        passes: passes.map((p) => ({ controller: p.controller ?? '?', objects: p.objects ?? 0, failed: p.failed ?? 0, ms: p.ms ?? NaN, ...(p.msg === INITIAL ? {} : { afterLeaseLost: true }) })),
      };
    }
    if (performance.now() > deadline) {
      throw new Error(`only ${passes.length} of ${controllers.join(', ')} finished their initial pass within ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

const INITIAL = 'initial reconcile pass done';

/**
 * Per controller, the pass that finished reconciling what was there at start: the initial
 * pass, or, when the Lease was lost before it ended (the controller stops; src/runtime/
 * controller.ts), the restart pass that reconciles what it left once the Lease is back.
 */
function lastPasses(lines: Line[]): Line[] {
  const done = new Map<string, Line>();
  for (const l of lines) {
    const restart = l.msg?.startsWith('restart reconcile pass done') === true;
    if (l.msg !== INITIAL && !restart) continue;
    const c = l.controller ?? '?';
    // Once the initial pass finished, later Lease losses and their restart passes do not count.
    if (restart && done.get(c)?.msg === INITIAL) continue;
    done.set(c, l);
  }
  return [...done.values()];
}

/** pino writes ISO times here (src/runtime/logger.ts); epoch ms would do too. */
function timeOf(l: Line): number {
  return typeof l.time === 'string' ? Date.parse(l.time) : (l.time ?? NaN);
}

function parse(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      out.push(JSON.parse(raw) as Line);
    } catch {
      // A line being written as we read.
    }
  }
  return out;
}
