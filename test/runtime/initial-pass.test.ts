import { expect } from 'chai';
import { InitialPass, type InitialPassSummary } from '../../src/runtime/initial-pass.ts';

describe('InitialPass', () => {
  it('reports once, when every object present at start has finished one reconcile, counting failures', () => {
    const done: InitialPassSummary[] = [];
    const pass = new InitialPass(['a', 'b', 'c'], 1000, (s) => done.push(s));
    pass.settle('a', true, 1100);
    pass.settle('later', true, 1150); // arrived after start: not waited for
    pass.settle('b', false, 1200);
    expect(done).to.deep.equal([]);
    expect(pass.remaining).to.equal(1);
    pass.settle('b', true, 1250); // a retry of b changes nothing
    pass.settle('c', true, 1300);
    pass.settle('c', true, 1400);
    expect(done).to.deep.equal([{ objects: 3, failed: 1, ms: 300 }]);
  });

  it('reports at once when there was nothing to reconcile', () => {
    const done: InitialPassSummary[] = [];
    new InitialPass([], 5, (s) => done.push(s));
    expect(done).to.deep.equal([{ objects: 0, failed: 0, ms: 0 }]);
  });
});
