import { expect } from 'chai';
import { isTerminal, TerminalError, TransientError } from '../../src/runtime/errors.ts';

describe('runtime errors', () => {
  it('carry a stable code, a cause and a retry hint', () => {
    const cause = new Error('socket hang up');
    const t = new TransientError('Ops Manager unreachable', { cause, retryAfterMs: 3000 });
    expect(t.code).to.equal('TRANSIENT');
    expect(t.cause).to.equal(cause);
    expect(t.retryAfterMs).to.equal(3000);
    const x = new TerminalError('roles must not be empty', { reason: 'InvalidSpec' });
    expect(x.code).to.equal('TERMINAL');
    expect(x.reason).to.equal('InvalidSpec');
    expect(x).to.be.instanceOf(Error);
  });

  it('isTerminal recognises terminal errors by class or by code', () => {
    const foreign = Object.assign(new Error('bad'), { code: 'TERMINAL' });
    expect(isTerminal(new TerminalError('x'))).to.equal(true);
    expect(isTerminal(foreign)).to.equal(true);
    expect(isTerminal(new TransientError('x'))).to.equal(false);
    expect(isTerminal('TERMINAL')).to.equal(false);
  });
});
