import { expect } from 'chai';
import { canonicalCidr, diffAccessList } from '../../../src/controllers/opsmanagerapikey/access-list.ts';
import { parseDuration } from '../../../src/controllers/shared/duration.ts';
import { classifyError } from '../../../src/controllers/shared/classify.ts';
import { ConnectionError } from '../../../src/controllers/shared/connections.ts';
import { ForbiddenError, InvalidRequestError, NotFoundError, RateLimitedError, UnavailableError, UnauthorizedError, AmbiguousCreateError } from '../../../src/opsmanager/errors.ts';

describe('omkey access list canonical form', () => {
  const cases: Array<[string, string]> = [
    ['192.0.2.1', '192.0.2.1/32'],
    ['192.0.2.1/32', '192.0.2.1/32'],
    [' 10.0.0.0/8 ', '10.0.0.0/8'],
    ['2001:DB8::1', '2001:db8::1/128'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001/128', '2001:db8::1/128'],
    ['2001:db8::/32', '2001:db8::/32'],
  ];
  for (const [input, want] of cases) it(`${input} -> ${want}`, () => expect(canonicalCidr(input)).to.equal(want));

  it('adds what is missing, removes what is extra, keeps equal entries', () => {
    const d = diffAccessList([{ ipAddress: '192.0.2.1' }, { cidrBlock: '10.0.0.0/8' }], ['192.0.2.1/32', '172.16.0.0/12']);
    expect(d).to.deep.equal({ add: [{ cidrBlock: '10.0.0.0/8' }], remove: ['172.16.0.0/12'] });
  });

  it('sends an address as ipAddress and a block as cidrBlock', () => {
    expect(diffAccessList([{ ipAddress: '192.0.2.1' }, { cidrBlock: '2001:db8::/32' }], []).add).to.deep.equal([{ ipAddress: '192.0.2.1' }, { cidrBlock: '2001:db8::/32' }]);
  });
});

describe('omkey durations (Go syntax)', () => {
  const ok: Array<[string, number]> = [['720h', 720 * 3_600_000], ['1h30m', 5_400_000], ['90s', 90_000], ['1.5h', 5_400_000], ['250ms', 250]];
  for (const [s, ms] of ok) it(`${s} = ${ms} ms`, () => expect(parseDuration(s)).to.equal(ms));
  for (const bad of ['', '10', 'h', '1d', '1h 30m', '-1h']) it(`rejects "${bad}"`, () => expect(() => parseDuration(bad)).to.throw(/not a duration/));
});

describe('omkey error classification', () => {
  const rows: Array<[string, unknown, string, boolean]> = [
    ['bad credentials', new UnauthorizedError('x', { status: 401 }), 'Unauthorized', false],
    ['org missing', new NotFoundError('x', { errorCode: 'ORG_NOT_FOUND' }), 'OrgNotFound', false],
    ['project missing', new NotFoundError('x', { errorCode: 'GROUP_NOT_FOUND' }), 'ProjectNotFound', false],
    ['not on access list', new ForbiddenError('x', { errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST', parameters: ['10.1.1.1'] }), 'NotOnAccessList', false],
    ['role missing', new ForbiddenError('x', { errorCode: 'NOT_ORG_ADMIN' }), 'Forbidden', false],
    ['rate limited', new RateLimitedError('x', { retryAfterMs: 3000 }), 'RateLimited', false],
    ['5xx', new UnavailableError('x', { status: 503 }), 'OpsManagerUnreachable', false],
    ['lost create answer', new AmbiguousCreateError('x'), 'OpsManagerUnreachable', false],
    ['access list refused', new InvalidRequestError('x', { errorCode: 'DUPLICATE_ADDRESSES_IN_INPUT' }), 'AccessListRejected', true],
    ['other invalid request', new InvalidRequestError('x', { errorCode: 'INVALID_ATTRIBUTE' }), 'InvalidSpec', true],
    ['connection Secret missing', new ConnectionError('Secret x not found'), 'ConnectionInvalid', false],
  ];
  for (const [name, err, reason, terminal] of rows) {
    it(`${name} -> ${reason}${terminal ? ' (terminal)' : ''}`, () => {
      const c = classifyError(err, { orgId: 'o', projectId: 'p' });
      expect(c.reason).to.equal(reason);
      expect(c.terminal).to.equal(terminal);
      expect(c.message).to.be.a('string').and.not.be.empty;
    });
  }
  it('carries Retry-After through', () => {
    expect(classifyError(new RateLimitedError('x', { retryAfterMs: 3000 }), {}).retryAfterMs).to.equal(3000);
  });
});
