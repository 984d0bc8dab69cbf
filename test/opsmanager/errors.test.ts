import { expect } from 'chai';
import { errorFromResponse, errorFromTransport } from '../../src/opsmanager/classify.ts';
import {
  AmbiguousCreateError, ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, OpsManagerError,
  RateLimitedError, TlsError, UnavailableError, TransportFailure, UnauthorizedError, isRetryable,
} from '../../src/opsmanager/errors.ts';

function body(status: number, errorCode: string, parameters: string[] = []): string {
  return JSON.stringify({ detail: `detail for ${errorCode}`, error: status, errorCode, parameters, reason: 'x' });
}

describe('opsmanager/errors and classification', () => {
  const table: [number, string, new (...a: never[]) => OpsManagerError, string][] = [
    [400, 'API_KEY_NOT_FOUND', NotFoundError, 'OM_NOT_FOUND'],
    [404, 'API_KEY_NOT_FOUND', NotFoundError, 'OM_NOT_FOUND'],
    [404, 'ORG_NOT_FOUND', NotFoundError, 'OM_NOT_FOUND'],
    [404, 'GROUP_NOT_FOUND', NotFoundError, 'OM_NOT_FOUND'],
    [404, 'API_KEY_ACCESS_LIST_NOT_FOUND', NotFoundError, 'OM_NOT_FOUND'],
    [401, 'USER_UNAUTHORIZED', UnauthorizedError, 'OM_UNAUTHORIZED'],
    [403, 'NOT_ORG_ADMIN', ForbiddenError, 'OM_FORBIDDEN'],
    [409, 'ADDRESS_ALREADY_IN_ACCESS_LIST', ConflictError, 'OM_CONFLICT'],
    [400, 'INVALID_ATTRIBUTE', InvalidRequestError, 'OM_INVALID_REQUEST'],
    [400, 'DUPLICATE_ADDRESSES_IN_INPUT', InvalidRequestError, 'OM_INVALID_REQUEST'],
    [429, 'RATE_LIMITED', RateLimitedError, 'OM_RATE_LIMITED'],
    [500, 'UNEXPECTED_ERROR', UnavailableError, 'OM_UNAVAILABLE'],
    [503, '', UnavailableError, 'OM_UNAVAILABLE'],
  ];
  for (const [status, errorCode, cls, code] of table) {
    it(`maps ${status} ${errorCode || '(no body)'} to ${cls.name}`, () => {
      const e = errorFromResponse('GET /x', status, errorCode ? body(status, errorCode, ['p1']) : 'oops', undefined, 0);
      expect(e).to.be.instanceOf(cls).and.instanceOf(OpsManagerError);
      expect(e.code).to.equal(code);
      expect(e.status).to.equal(status);
      if (errorCode) {
        expect(e.errorCode).to.equal(errorCode);
        expect(e.detail).to.equal(`detail for ${errorCode}`);
        expect(e.parameters).to.deep.equal(['p1']);
        expect(e.message).to.contain(errorCode);
      }
      expect(isRetryable(e)).to.equal(code === 'OM_UNAVAILABLE' || code === 'OM_RATE_LIMITED');
    });
  }

  it('flags IP_ADDRESS_NOT_ON_ACCESS_LIST on ForbiddenError', () => {
    const e = errorFromResponse('GET /x', 403, body(403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', ['10.0.0.1']), undefined, 0);
    expect(e).to.be.instanceOf(ForbiddenError);
    expect((e as ForbiddenError).notOnAccessList).to.equal(true);
    expect((errorFromResponse('GET /x', 403, body(403, 'NOT_ORG_ADMIN'), undefined, 0) as ForbiddenError).notOnAccessList).to.equal(false);
  });

  it('parses Retry-After onto RateLimitedError', () => {
    const e = errorFromResponse('GET /x', 429, body(429, 'RATE_LIMITED'), '7', 0);
    expect((e as RateLimitedError).retryAfterMs).to.equal(7000);
  });

  describe('Retry-After is capped by the caller\'s bound', () => {
    const cap = 300_000;
    const table: [string, string | undefined, number | undefined][] = [
      ['seconds within the cap', '7', 7000],
      ['exactly the cap', '300', cap],
      ['ten hours', '36000', cap],
      ['a number past any clock', '99999999999999999999', cap],
      ['a date a year ahead', new Date(365 * 24 * 3600_000).toUTCString(), cap],
      ['a date in the past', new Date(0).toUTCString(), 0],
      ['unreadable', 'soon', undefined],
      ['absent', undefined, undefined],
    ];
    for (const [name, header, want] of table) {
      it(`${name}: ${String(want)}`, () => {
        const e = errorFromResponse('GET /x', 429, body(429, 'RATE_LIMITED'), header, 1000, cap) as RateLimitedError;
        expect(e.retryAfterMs).to.equal(want);
      });
    }
  });

  it('a transport error\'s message, name and code reach the error only bounded', () => {
    const hostile = Object.assign(new Error(`Parse Error: ${'\u001b[2J'.repeat(10)}${'z'.repeat(100_000)}`), { code: `HPE_${'X'.repeat(500)}` });
    const { error } = errorFromTransport('GET /x', hostile);
    expect(error.message.length).to.be.below(700);
    expect(error.message).to.not.contain('\u001b');
    expect(((error.cause as TransportFailure).code ?? '').length).to.equal(100);
    expect(Array.from((error.cause as TransportFailure).message)).to.have.length(512);
  });

  it('classifies transport failures and whether the request went out', () => {
    const sock = (code: string, extra: object = {}) => Object.assign(new Error(`boom ${code}`), { code }, extra);
    const reset = errorFromTransport('POST /x', sock('ECONNRESET'));
    expect(reset.error).to.be.instanceOf(UnavailableError);
    expect(reset.sent).to.equal(true);
    expect(errorFromTransport('POST /x', sock('ECONNREFUSED')).sent).to.equal(false);
    const timeout = errorFromTransport('POST /x', sock('ETIMEDOUT', { event: 'request' }));
    expect([timeout.error.code, timeout.sent]).to.deep.equal(['OM_UNAVAILABLE', true]);
    expect(errorFromTransport('POST /x', sock('ETIMEDOUT', { event: 'connect' })).sent).to.equal(false);
    const wrapped = Object.assign(new Error('got wrapper'), { code: 'ERR_GOT_REQUEST_ERROR', cause: sock('SELF_SIGNED_CERT_IN_CHAIN') });
    const tlsErr = errorFromTransport('GET /x', wrapped);
    expect(tlsErr.error).to.be.instanceOf(TlsError);
    expect([tlsErr.error.code, isRetryable(tlsErr.error)]).to.deep.equal(['OM_TLS', false]);
    expect(errorFromTransport('GET /x', sock('ERR_TLS_CERT_ALTNAME_INVALID')).error).to.be.instanceOf(TlsError);
  });

  it('keeps only name, code and message of the transport error as cause', () => {
    const original = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET', options: { headers: { authorization: 'Digest secret' } }, response: { body: 'privateKey' },
    });
    const { error } = errorFromTransport('GET /x', original);
    expect(error.cause).to.be.instanceOf(TransportFailure);
    expect(Object.keys(error.cause as object).sort()).to.deep.equal(['code', 'name']);
    expect((error.cause as TransportFailure).message).to.equal('socket hang up');
  });

  it('gives every class its stable code and only retries transient and rate-limited', () => {
    const all: [OpsManagerError, string][] = [
      [new NotFoundError('m'), 'OM_NOT_FOUND'], [new UnauthorizedError('m'), 'OM_UNAUTHORIZED'],
      [new ForbiddenError('m'), 'OM_FORBIDDEN'], [new ConflictError('m'), 'OM_CONFLICT'],
      [new InvalidRequestError('m'), 'OM_INVALID_REQUEST'], [new RateLimitedError('m'), 'OM_RATE_LIMITED'],
      [new UnavailableError('m'), 'OM_UNAVAILABLE'], [new AmbiguousCreateError('m'), 'OM_AMBIGUOUS_CREATE'],
      [new TlsError('m'), 'OM_TLS'],
    ];
    for (const [e, code] of all) {
      expect(e.code).to.equal(code);
      expect(e.name).to.equal(e.constructor.name);
    }
    expect(all.filter(([e]) => isRetryable(e)).map(([, c]) => c)).to.deep.equal(['OM_RATE_LIMITED', 'OM_UNAVAILABLE']);
    expect(isRetryable(new Error('x'))).to.equal(false);
  });
});
