import { Reason } from '../../api/conditions.ts';
import {
  AmbiguousCreateError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  LimitExceededError,
  NotFoundError,
  OpsManagerError,
  RateLimitedError,
  TlsError,
  UnauthorizedError,
} from '../../opsmanager/errors.ts';
import { DurationError } from './duration.ts';
import { ConnectionError } from './connections.ts';
import { TemplateError } from '../opsmanagerapikey/secret-builder.ts';

export interface Classified {
  reason: string;
  /** For people: what went wrong and what to do; never a secret. */
  message: string;
  /** Retrying cannot help until the object (or the operator's configuration) changes. */
  terminal: boolean;
  retryAfterMs?: number;
}

/** Maps a failure during a reconcile to the condition reason a user sees. Pure. */
export function classifyError(err: unknown, scope: { projectId?: string; orgId?: string }): Classified {
  if (err instanceof ConnectionError) return { reason: Reason.ConnectionInvalid, message: err.message, terminal: false };
  if (err instanceof TemplateError || err instanceof DurationError) return { reason: Reason.InvalidSpec, message: err.message, terminal: true };
  if (!(err instanceof OpsManagerError)) {
    const msg = err instanceof Error ? err.message : String(err);
    return { reason: Reason.Progressing, message: `retrying after an error: ${msg}`, terminal: false };
  }
  const detail = err.detail ? `: ${err.detail}` : '';
  if (err instanceof NotFoundError) {
    if (err.errorCode === 'ORG_NOT_FOUND') return { reason: Reason.OrgNotFound, message: `organization ${scope.orgId ?? ''} not found in Ops Manager${detail}`, terminal: false };
    if (err.errorCode === 'GROUP_NOT_FOUND' || err.errorCode === 'INVALID_GROUP_ID') {
      return { reason: Reason.ProjectNotFound, message: `project ${scope.projectId ?? ''} not found in Ops Manager${detail}`, terminal: false };
    }
    return { reason: Reason.KeyNotFound, message: `Ops Manager answered not found${detail}`, terminal: false };
  }
  if (err instanceof UnauthorizedError) {
    return { reason: Reason.Unauthorized, message: `Ops Manager rejected the connection's credentials (401)${detail}`, terminal: false };
  }
  if (err instanceof ForbiddenError) {
    if (err.notOnAccessList) {
      return {
        reason: Reason.NotOnAccessList,
        message: `the connection's key may not be used from ${err.parameters?.[0] ?? 'this address'}: add it to that key's access list in Ops Manager`,
        terminal: false,
      };
    }
    return { reason: Reason.Forbidden, message: `the connection's key lacks the role for this call (403)${detail}`, terminal: false };
  }
  if (err instanceof RateLimitedError) {
    return { reason: Reason.RateLimited, message: 'Ops Manager is rate limiting requests; retrying later', terminal: false, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  }
  if (err instanceof ConflictError) return { reason: Reason.Conflict, message: `Ops Manager reported a conflict${detail}`, terminal: false };
  if (err instanceof InvalidRequestError) {
    const accessList = /ACCESS_LIST|ADDRESS/.test(err.errorCode ?? '');
    return { reason: accessList ? Reason.AccessListRejected : Reason.InvalidSpec, message: `Ops Manager refused the request (${err.errorCode ?? err.status ?? '4xx'})${detail}`, terminal: true };
  }
  // Messages name the failure, not the call that met it, so retries do not rewrite the status.
  if (err instanceof TlsError) return { reason: Reason.OpsManagerUnreachable, message: `TLS verification of Ops Manager failed (${causeCode(err) ?? 'certificate not trusted'}); check the CA bundle`, terminal: false };
  if (err instanceof AmbiguousCreateError) {
    return { reason: Reason.OpsManagerUnreachable, message: 'the answer to a key creation was lost; the key is looked for and cleaned up before retrying', terminal: false };
  }
  if (err instanceof LimitExceededError) {
    return { reason: Reason.OpsManagerUnreachable, message: `a call to Ops Manager was stopped at the operator's bound: ${err.summary}; retrying with backoff`, terminal: false };
  }
  const what = err.status !== undefined ? `HTTP ${err.status}` : (causeCode(err) ?? 'no answer');
  return { reason: Reason.OpsManagerUnreachable, message: `Ops Manager is unreachable or failing (${what}); retrying with backoff`, terminal: false };
}

function causeCode(err: OpsManagerError): string | undefined {
  const cause = err.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}
