import fc from 'fast-check';
import { checkInvariants } from './invariants.ts';
import { formatHistory, historyArb, type History } from './model.ts';
import type { SimFixture } from './sim-fixture.ts';
import { World, type Violation } from './world.ts';

/** Plays one history, lets the world settle, and returns every broken promise (none: it held). */
export async function runHistory(fixture: SimFixture, history: History): Promise<Violation[]> {
  const w = new World(fixture);
  try {
    await w.run(history);
    const all = [...w.violations, ...(await checkInvariants(w))];
    const seen = new Set<string>();
    return all.filter((x) => {
      const id = `${x.check}\u0000${x.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  } finally {
    w.close();
  }
}

export class HistoryViolation extends Error {
  constructor(
    readonly violations: Violation[],
    readonly history: History,
  ) {
    super(`${violations.length} violation(s):\n${formatViolations(violations)}\nhistory:\n${formatHistory(history)}`);
    this.name = 'HistoryViolation';
  }
}

export function formatViolations(vs: readonly Violation[]): string {
  return vs.map((x) => `  [${x.check}] ${x.message}`).join('\n');
}

/** The property fast-check checks and shrinks: a history breaks no promise. */
export function historyProperty(fixture: SimFixture): fc.IAsyncPropertyWithHooks<[History]> {
  return fc.asyncProperty(historyArb, async (h) => {
    const v = await runHistory(fixture, h);
    if (v.length > 0) throw new HistoryViolation(v, h);
  });
}
