import { expect } from 'chai';
import { Reason } from '../../../src/api/conditions.ts';
import { classifyError } from '../../../src/controllers/shared/classify.ts';
import {
  DeadlineExceededError, PaginationLimitError, ResponseTooLargeError, SlotWaitTimeoutError,
} from '../../../src/opsmanager/errors.ts';

describe('classifyError: the Ops Manager client\'s bounds', () => {
  const table = [
    { err: new ResponseTooLargeError('GET /orgs/o1/apiKeys/k1', 262144, { status: 200 }), says: 'an answer larger than 262144 bytes' },
    { err: new PaginationLimitError('GET /orgs/{orgId}/apiKeys', 'a list of more than 50 pages'), says: 'a list of more than 50 pages' },
    { err: new DeadlineExceededError('GET /groups/g1', 60000), says: 'a call longer than 60000 ms' },
    { err: new SlotWaitTimeoutError('PATCH /orgs/o1/apiKeys/k1', 10000), says: 'no request slot free on this connection within 10000 ms' },
  ];
  for (const t of table) {
    it(`${t.err.code}: retried with backoff, the message names the bound and not the call`, () => {
      const c = classifyError(t.err, {});
      expect(c).to.deep.equal({
        reason: Reason.OpsManagerUnreachable,
        message: `a call to Ops Manager was stopped at the operator's bound: ${t.says}; retrying with backoff`,
        terminal: false,
      });
      expect(c.message).to.not.contain('/orgs/').and.not.contain('/groups/');
    });
  }
});
