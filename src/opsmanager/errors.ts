/**
 * Errors the Ops Manager client throws. Controllers act on the class (or the stable `code`);
 * nothing here may carry request options, headers or bodies, because those hold the Digest
 * Authorization header and, for creates, a private key.
 */
export interface OpsManagerErrorFields {
  status?: number;
  errorCode?: string;
  detail?: string;
  parameters?: string[];
  cause?: unknown;
}

export class OpsManagerError extends Error {
  readonly code: string;
  readonly status?: number;
  readonly errorCode?: string;
  readonly detail?: string;
  readonly parameters?: string[];
  override readonly cause?: unknown;

  constructor(message: string, fields: OpsManagerErrorFields = {}, code = 'OM_ERROR') {
    super(message);
    this.name = new.target.name;
    this.code = code;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.errorCode !== undefined) this.errorCode = fields.errorCode;
    if (fields.detail !== undefined) this.detail = fields.detail;
    if (fields.parameters !== undefined) this.parameters = fields.parameters;
    if (fields.cause !== undefined) this.cause = fields.cause;
  }
}

/** The key, organization, project or access-list entry does not exist (Ops Manager uses 400 or 404). */
export class NotFoundError extends OpsManagerError {
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_NOT_FOUND');
  }
}

export class UnauthorizedError extends OpsManagerError {
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_UNAUTHORIZED');
  }
}

export class ForbiddenError extends OpsManagerError {
  /** The caller's address is not on its key's access list: a configuration problem, not a role problem. */
  readonly notOnAccessList: boolean;
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_FORBIDDEN');
    this.notOnAccessList = fields.errorCode === 'IP_ADDRESS_NOT_ON_ACCESS_LIST';
  }
}

export class ConflictError extends OpsManagerError {
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_CONFLICT');
  }
}

/** Any other 4xx: retrying the same request cannot help. */
export class InvalidRequestError extends OpsManagerError {
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_INVALID_REQUEST');
  }
}

export class RateLimitedError extends OpsManagerError {
  readonly retryAfterMs?: number;
  constructor(message: string, fields: OpsManagerErrorFields & { retryAfterMs?: number } = {}) {
    super(message, fields, 'OM_RATE_LIMITED');
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
  }
}

/** 5xx, connection reset or refused, timeout: worth retrying later. */
export class UnavailableError extends OpsManagerError {
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_UNAVAILABLE');
  }
}

/**
 * A key creation whose outcome is unknown: the request went out, and a timeout, reset or 5xx
 * came back. A key may exist now; the caller must look before creating another.
 */
export class AmbiguousCreateError extends OpsManagerError {
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_AMBIGUOUS_CREATE');
  }
}

/** The server certificate could not be verified; retrying will not change that. */
export class TlsError extends OpsManagerError {
  constructor(message: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, 'OM_TLS');
  }
}

/**
 * An answer, a listing or a wait passed one of the client's bounds: the endpoint misbehaves (or
 * is hostile) or is too slow. Not retried inside the call (the same endpoint would do it again);
 * the reconcile is queued again with backoff. `summary` names the bound, not the call, so that
 * a status message stays the same from one attempt to the next.
 */
export class LimitExceededError extends OpsManagerError {
  readonly summary: string;
  constructor(message: string, summary: string, code: string, fields: OpsManagerErrorFields = {}) {
    super(message, fields, code);
    this.summary = summary;
  }
}

/** A body longer than the call allows; reading stopped and the connection was closed there. */
export class ResponseTooLargeError extends LimitExceededError {
  readonly limitBytes: number;
  constructor(what: string, limitBytes: number, fields: OpsManagerErrorFields = {}) {
    const summary = `an answer larger than ${limitBytes} bytes`;
    super(`${what}: ${summary}; reading stopped there`, summary, 'OM_RESPONSE_TOO_LARGE', fields);
    this.limitBytes = limitBytes;
  }
}

/** A listing with more pages, items or bytes than allowed, or a page served again. */
export class PaginationLimitError extends LimitExceededError {
  constructor(what: string, summary: string) {
    super(`${what}: ${summary}`, summary, 'OM_PAGINATION_LIMIT');
  }
}

/**
 * The call ran out of its total time (retries, Digest rounds and waits included), or of what was
 * left of the reconcile that made it (`of: 'reconcile'`, `deadlineMs` then the reconcile's budget).
 */
export class DeadlineExceededError extends LimitExceededError {
  constructor(what: string, deadlineMs: number, cause?: unknown, of: 'call' | 'reconcile' = 'call') {
    const summary = `a ${of} longer than ${deadlineMs} ms`;
    super(`${what}: ${summary}; given up`, summary, 'OM_DEADLINE_EXCEEDED', cause === undefined ? {} : { cause });
  }
}

/**
 * Waited too long for one of the connection's request slots: the connection is slow or
 * saturated. Nothing was sent; retrying later is safe.
 */
export class SlotWaitTimeoutError extends LimitExceededError {
  constructor(what: string, waitedMs: number) {
    const summary = `no request slot free on this connection within ${waitedMs} ms`;
    super(`${what}: not sent: ${summary}`, summary, 'OM_SLOT_WAIT_TIMEOUT');
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof UnavailableError || err instanceof RateLimitedError;
}

/**
 * A copy of a transport error with only its name, code and message, so that a `cause` never
 * drags got's request options (headers, body) into logs or serialized errors.
 */
export class TransportFailure extends Error {
  readonly code?: string;
  constructor(name: string, message: string, code?: string) {
    super(message);
    this.name = name;
    if (code !== undefined) this.code = code;
  }
}
