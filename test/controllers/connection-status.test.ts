import { expect } from 'chai';
import { connectionStatus, statusDiffers } from '../../src/controllers/connection/status.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const meta = { name: 'om', generation: 3 };

describe('connection status', () => {
  it('Ready: the credential authenticates, with the organizations it sees (names bounded)', () => {
    const st = connectionStatus(meta, undefined, { ok: true, organizations: [{ id: 'a'.repeat(24), name: 'Payments' }], more: true }, NOW);
    expect(st.observedGeneration).to.equal(3);
    expect(st.conditions?.[0]).to.deep.include({ type: 'Ready', status: 'True', reason: 'Authenticated', observedGeneration: 3 });
    expect(st.conditions?.[0]?.message).to.equal(`the credential authenticates; organizations it can see: Payments (${'a'.repeat(24)}), and more`);
  });

  it('not Ready: the classified failure, its text bounded to a condition message', () => {
    const st = connectionStatus(meta, undefined, { ok: false, failure: { reason: 'Unauthorized', message: `x${'\n'.repeat(3)}${'y'.repeat(5000)}`, terminal: false } }, NOW);
    const c = st.conditions?.[0];
    expect(c).to.deep.include({ status: 'False', reason: 'Unauthorized' });
    expect(c?.message.length).to.be.at.most(1024);
    expect(c?.message).to.not.contain('\n');
  });

  it('a probe saying the same thing writes nothing; a change of status, reason, message or generation does', () => {
    const ok = { ok: true as const, organizations: [], more: false };
    const first = connectionStatus(meta, undefined, ok, NOW);
    expect(statusDiffers(first, connectionStatus(meta, first, ok, new Date(NOW.getTime() + 60_000)))).to.equal(false);
    expect(statusDiffers(first, connectionStatus({ ...meta, generation: 4 }, first, ok, NOW))).to.equal(true);
    expect(statusDiffers(first, connectionStatus(meta, first, { ok: false, failure: { reason: 'Unauthorized', message: 'no', terminal: false } }, NOW))).to.equal(true);
    expect(statusDiffers(undefined, first)).to.equal(true);
  });
});
