import fc from 'fast-check';
import { historyProperty } from './property.ts';
import { SimFixture } from './sim-fixture.ts';

// `make unit` runs a few hundred generated histories (about 15 s on two cores): a fixed seed,
// so that a regression shows on every run, and a fresh one, so that each run also looks
// somewhere new. A failure names its seed and path, and the shrunk history with what broke;
// `npm run test:histories -- --seed S --path P` replays it.

const FIXED_SEED = 20260105;
const FIXED_RUNS = 200;
const RANDOM_RUNS = 100;

describe('generated histories (crash safety and convergence)', function () {
  this.timeout(180_000);
  let fixture: SimFixture;

  before(async () => {
    fixture = await SimFixture.start();
  });

  after(async () => {
    await fixture.close();
  });

  it(`keep every promise: ${FIXED_RUNS} histories of seed ${FIXED_SEED}`, async () => {
    await fc.assert(historyProperty(fixture), { seed: FIXED_SEED, numRuns: FIXED_RUNS });
  });

  it(`keep every promise: ${RANDOM_RUNS} histories of a random seed`, async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    try {
      await fc.assert(historyProperty(fixture), { seed, numRuns: RANDOM_RUNS });
    } catch (err) {
      // fast-check's report names the seed too; this line survives a truncated report.
      console.error(`random seed ${seed} failed: npm run test:histories -- --seed ${seed} --runs ${RANDOM_RUNS}`);
      throw err;
    }
  });
});
