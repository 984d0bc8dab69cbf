import {
  ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, OpsManagerError,
  RateLimitedError, TlsError, UnavailableError, TransportFailure, UnauthorizedError,
} from './errors.ts';
import type { OpsManagerErrorFields } from './errors.ts';
import { parseRetryAfter } from './retry-policy.ts';

/** Turns HTTP responses and transport failures into the client's error classes. */

export interface Classified {
  error: OpsManagerError;
  /** False only when the request certainly never reached the server (refused, DNS, TLS). */
  sent: boolean;
}

interface ErrorBody {
  errorCode?: string;
  detail?: string;
  parameters?: string[];
}

function readBody(text: string): ErrorBody {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return {};
    const o = v as Record<string, unknown>;
    return {
      ...(typeof o.errorCode === 'string' ? { errorCode: o.errorCode } : {}),
      ...(typeof o.detail === 'string' ? { detail: o.detail } : {}),
      ...(Array.isArray(o.parameters) ? { parameters: o.parameters.map((p) => String(p)) } : {}),
    };
  } catch {
    return {};
  }
}

export function errorFromResponse(
  what: string,
  status: number,
  bodyText: string,
  retryAfter: string | string[] | undefined,
  nowMs: number,
): OpsManagerError {
  const body = readBody(bodyText);
  const fields: OpsManagerErrorFields = { status, ...body };
  const msg = `${what}: ${status}${body.errorCode ? ` ${body.errorCode}` : ''}${body.detail ? `: ${body.detail}` : ''}`;
  // Ops Manager documents API_KEY_NOT_FOUND as 400 while Atlas uses 404: both mean "gone".
  if (status === 404 || (status === 400 && body.errorCode?.endsWith('_NOT_FOUND'))) return new NotFoundError(msg, fields);
  if (status === 401) return new UnauthorizedError(msg, fields);
  if (status === 403) return new ForbiddenError(msg, fields);
  if (status === 409) return new ConflictError(msg, fields);
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return new RateLimitedError(msg, { ...fields, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status === 408 || (status >= 500 && status !== 501 && status !== 505)) return new UnavailableError(msg, fields);
  return new InvalidRequestError(msg, fields);
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const PRE_SEND_TIMEOUTS = new Set(['lookup', 'connect', 'secureConnect']);
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'HOSTNAME_MISMATCH',
]);

function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_');
}

/** got wraps the socket error; the original code is on the error or its cause. */
function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_GOT_REQUEST_ERROR') return code;
  }
  return undefined;
}

export function errorFromTransport(what: string, err: unknown): Classified {
  if (err instanceof OpsManagerError) return { error: err, sent: true };
  const e = err instanceof Error ? err : new Error(String(err));
  const code = codeOf(e);
  const cause = new TransportFailure(e.name, e.message, code);
  const msg = `${what}: ${code ?? e.name}: ${e.message}`;
  if (code !== undefined && isTlsCode(code)) return { error: new TlsError(msg, { cause }), sent: false };
  if (code !== undefined && (code.startsWith('ERR_INVALID') || code === 'ERR_UNSUPPORTED_PROTOCOL')) {
    return { error: new OpsManagerError(msg, { cause }), sent: false };
  }
  const event = (e as { event?: unknown }).event;
  const sent = !(code !== undefined && NOT_SENT.has(code)) && !(typeof event === 'string' && PRE_SEND_TIMEOUTS.has(event));
  return { error: new UnavailableError(msg, { cause }), sent };
}
