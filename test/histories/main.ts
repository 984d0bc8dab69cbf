import fc from 'fast-check';
import { formatHistory, historyArb, type History } from './model.ts';
import { formatViolations, HistoryViolation, historyProperty, runHistory } from './property.ts';
import { SimFixture } from './sim-fixture.ts';
import type { Violation } from './world.ts';

// npm run test:histories -- --runs N [--seed S] [--shrink K]
// Runs N histories and counts the ones that break a promise; then replays up to K of them
// (one per kind of violation) through fast-check's path to shrink them. The last line is
// always `N histories, V violations`. `--seed S --path P` replays and shrinks one failure.

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function intOption(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got ${raw}`);
  return n;
}

interface Failure {
  index: number;
  violations: Violation[];
}

async function main(): Promise<void> {
  const runs = intOption('runs', 100);
  const seed = intOption('seed', Math.floor(Math.random() * 2 ** 31));
  const shrinkMax = intOption('shrink', 3);
  const path = option('path');
  const fixture = await SimFixture.start();
  const started = Date.now();
  if (path !== undefined) {
    await shrink(fixture, seed, path, []);
    await fixture.close();
    return;
  }
  const failures: Failure[] = [];
  let index = 0;
  console.log(`seed ${seed}, ${runs} histories`);
  // First pass: every history once, never failing, so that all N are run and counted.
  await fc.check(
    fc.asyncProperty(historyArb, async (h: History) => {
      const i = index++;
      const violations = await runHistory(fixture, h);
      if (violations.length > 0) {
        failures.push({ index: i, violations });
        console.log(`history ${i} (seed ${seed}, path ${i}) broke: ${[...new Set(violations.map((v) => v.check))].join(', ')}`);
      }
      if ((i + 1) % 100 === 0) console.error(`  ${i + 1}/${runs} histories, ${failures.length} violations, ${Math.round((Date.now() - started) / 1000)} s`);
      return true;
    }),
    { seed, numRuns: runs },
  );
  // Then shrink one failure per kind of violation, replayed from its path.
  const kinds = new Set<string>();
  for (const f of failures) {
    const kind = [...new Set(f.violations.map((v) => v.check))].sort().join('+');
    if (kinds.has(kind) || kinds.size >= shrinkMax) continue;
    kinds.add(kind);
    console.log(`\n=== ${kind}: seed ${seed}, path ${f.index}`);
    await shrink(fixture, seed, String(f.index), f.violations);
  }
  await fixture.close();
  console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
  console.log(`${runs} histories, ${failures.length} violations`);
}

async function shrink(fixture: SimFixture, seed: number, path: string, first: Violation[]): Promise<void> {
  const details = await fc.check(historyProperty(fixture), { seed, path });
  if (!details.failed || !details.counterexample) {
    console.log(`did not fail again on replay${first.length > 0 ? `; first run:\n${formatViolations(first)}` : ''}`);
    return;
  }
  const [shrunk] = details.counterexample;
  const err = details.errorInstance;
  console.log(`shrunk (path ${details.counterexamplePath ?? '?'}, ${details.numShrinks} shrinks) to:\n${formatHistory(shrunk)}`);
  console.log(err instanceof HistoryViolation ? formatViolations(err.violations) : String(err));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
