import { expect } from 'chai';
import { checkRetryAfter } from '../../bench/chaos/retry-after.ts';
import { Rng } from '../../bench/chaos/rng.ts';
import { stormRules } from '../../bench/chaos/storms.ts';
import type { LoggedRequest } from '../../tools/opsmanager-sim/server.ts';

const req = (over: Partial<LoggedRequest>): LoggedRequest => ({ arrivedAt: 0, answeredAt: 1, method: 'PATCH', target: '/orgs/o/apiKeys/k', route: '/orgs/{orgId}/apiKeys/{keyId}', status: 200, bodyHash: 'b1', ...over });

describe('bench/chaos: the checks the chaos run relies on', () => {
  it('stormRules: 30 % of calls fail, each kind at its share although the first rule that hits decides', () => {
    const rules = stormRules();
    let left = 1;
    const shares = rules.map((r) => {
      const share = left * (r.rate ?? 1);
      left -= share;
      return share;
    });
    expect(1 - left).to.be.closeTo(0.3, 0.001);
    expect(shares[0]).to.be.closeTo(0.06, 0.001);
    expect(rules.filter((r) => r.status === 429).every((r) => (r.retryAfter ?? 0) >= 1)).to.equal(true);
    expect(rules.map((r) => r.fault)).to.include.members(['status', 'reset', 'timeout', 'drop-after-apply']);
  });

  it('checkRetryAfter: a write repeated before its Retry-After is a violation; after it, none', () => {
    const limited = req({ arrivedAt: 1000, answeredAt: 1005, status: 429, retryAfter: 2 });
    const early = checkRetryAfter([limited, req({ arrivedAt: 2500 })]);
    expect(early.early).to.deep.equal([{ method: 'PATCH', target: '/orgs/o/apiKeys/k', retryAfter: 2, waitedMs: 1495 }]);
    const onTime = checkRetryAfter([limited, req({ arrivedAt: 3006 })]);
    expect(onTime).to.include({ rateLimited: 1, retried: 1, earlyIdenticalReads: 0 });
    expect(onTime.early).to.deep.equal([]);
    expect(onTime.minWaitRatio).to.equal(1);
  });

  it('checkRetryAfter: another body to the same path is not a retry; an identical GET is only counted', () => {
    const limited = req({ arrivedAt: 1000, answeredAt: 1005, status: 429, retryAfter: 2, method: 'POST', target: '/orgs/o/apiKeys' });
    expect(checkRetryAfter([limited, req({ arrivedAt: 1100, method: 'POST', target: '/orgs/o/apiKeys', bodyHash: 'other' })]).retried).to.equal(0);
    const read = req({ method: 'GET', arrivedAt: 1000, answeredAt: 1005, status: 429, retryAfter: 1 });
    const r = checkRetryAfter([read, req({ method: 'GET', arrivedAt: 1200 })]);
    expect(r.early).to.deep.equal([]);
    expect(r.earlyIdenticalReads).to.equal(1);
  });

  it('Rng: the same seed gives the same run', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const draw = (r: Rng) => [r.next(), r.int(0, 10), r.pick(['x', 'y', 'z']), r.subset([1, 2, 3, 4], 3).join(','), r.weighted([['p', 1], ['q', 3]] as const)];
    expect(draw(a)).to.deep.equal(draw(b));
    expect(new Rng(43).next()).to.not.equal(new Rng(42).next());
  });
});
