import { expect } from 'chai';
import { DEFAULT_RETRY, backoffDelay, parseRetryAfter, resolveRetry, shouldRetry } from '../../src/opsmanager/retry-policy.ts';

describe('opsmanager/retry-policy', () => {
  const opts = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, budgetMs: 5000 };

  it('parses Retry-After as seconds or as an HTTP-date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).to.equal(3000);
    expect(parseRetryAfter(['0'], now)).to.equal(0);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).to.equal(10_000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now)).to.equal(0);
    expect(parseRetryAfter(undefined, now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
  });

  it('grows the ceiling exponentially up to maxDelayMs (full jitter)', () => {
    const top = (attempt: number) => backoffDelay(attempt, opts, () => 0.999999, undefined);
    expect([1, 2, 3, 4, 5, 6].map(top)).to.deep.equal([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(4, opts, () => 0, undefined)).to.equal(0);
    expect(backoffDelay(2, opts, () => 0.5, undefined)).to.equal(100);
  });

  it('never waits less than Retry-After, even above maxDelayMs', () => {
    expect(backoffDelay(1, opts, () => 0.5, 2500)).to.equal(2500);
    expect(backoffDelay(4, opts, () => 0.99, 10)).to.equal(792);
  });

  it('stops at maxAttempts or when the wait would overrun the budget', () => {
    expect(shouldRetry(1, 100, 0, opts)).to.equal(true);
    expect(shouldRetry(5, 100, 0, opts)).to.equal(false);
    expect(shouldRetry(2, 3000, 2001, opts)).to.equal(false);
    expect(shouldRetry(2, 3000, 2000, opts)).to.equal(true);
  });

  it('fills in defaults and rejects nonsense', () => {
    expect(resolveRetry(undefined)).to.deep.equal(DEFAULT_RETRY);
    expect(resolveRetry({ maxAttempts: 2, budgetMs: undefined })).to.deep.equal({ ...DEFAULT_RETRY, maxAttempts: 2 });
    expect(() => resolveRetry({ maxAttempts: 0 })).to.throw(RangeError);
  });
});
