import { expect } from 'chai';
import { FOUND } from './found-histories.ts';
import { formatHistory } from './model.ts';
import { formatViolations, runHistory } from './property.ts';
import { SimFixture } from './sim-fixture.ts';

describe('histories found by the generator (regressions)', function () {
  this.timeout(30_000);
  let fixture: SimFixture;

  before(async () => {
    fixture = await SimFixture.start();
  });

  after(async () => {
    await fixture.close();
  });

  for (const { name, history } of FOUND) {
    it(name, async () => {
      const violations = await runHistory(fixture, history);
      expect(violations, `${formatViolations(violations)}\nhistory:\n${formatHistory(history)}`).to.deep.equal([]);
    });
  }
});
