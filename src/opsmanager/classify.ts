import {
  ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, OpsManagerError,
  RateLimitedError, TlsError, UnavailableError, TransportFailure, UnauthorizedError,
} from './errors.ts';
import type { OpsManagerErrorFields } from './errors.ts';
import { parseRetryAfter } from './retry-policy.ts';
import { boundText } from '../api/bounded-text.ts';

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

const MAX_CODE = 100;
const MAX_PARAMETERS = 8;
const MAX_PARAMETER = 200;

function parameterText(p: unknown): string {
  return typeof p === 'string' ? p : (JSON.stringify(p) ?? '');
}

function readBody(text: string): ErrorBody {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return {};
    const o = v as Record<string, unknown>;
    // Everything kept is bounded here, once: these fields reach messages, conditions and Events.
    return {
      ...(typeof o.errorCode === 'string' ? { errorCode: boundText(o.errorCode, { chars: MAX_CODE }) } : {}),
      ...(typeof o.detail === 'string' ? { detail: boundText(o.detail) } : {}),
      ...(Array.isArray(o.parameters)
        ? { parameters: o.parameters.slice(0, MAX_PARAMETERS).map((p) => boundText(parameterText(p), { chars: MAX_PARAMETER })) }
        : {}),
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
  /** A longer Retry-After (hours, a date far ahead) counts as this long. */
  maxRetryAfterMs = Number.POSITIVE_INFINITY,
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
    const parsed = parseRetryAfter(retryAfter, nowMs);
    const retryAfterMs = parsed === undefined ? undefined : Math.min(parsed, maxRetryAfterMs);
    return new RateLimitedError(msg, { ...fields, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  if (status === 408 || (status >= 500 && status !== 501 && status !== 505)) return new UnavailableError(msg, fields);
  return new InvalidRequestError(msg, fields);
}

// OM_FORBIDDEN_ADDRESS: the address guard of a namespaced connection refused the address before connecting (address-guard.ts).
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'OM_FORBIDDEN_ADDRESS']);
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
  // A parse error can quote what the server sent: bounded like any text from an answer.
  const text = boundText(e.message);
  const safeCode = code === undefined ? undefined : boundText(code, { chars: MAX_CODE });
  const cause = new TransportFailure(boundText(e.name, { chars: MAX_CODE }), text, safeCode);
  const msg = `${what}: ${cause.code ?? cause.name}: ${text}`;
  if (code !== undefined && isTlsCode(code)) return { error: new TlsError(msg, { cause }), sent: false };
  if (code !== undefined && (code.startsWith('ERR_INVALID') || code === 'ERR_UNSUPPORTED_PROTOCOL')) {
    return { error: new OpsManagerError(msg, { cause }), sent: false };
  }
  const event = (e as { event?: unknown }).event;
  const sent = !(code !== undefined && NOT_SENT.has(code)) && !(typeof event === 'string' && PRE_SEND_TIMEOUTS.has(event));
  return { error: new UnavailableError(msg, { cause }), sent };
}
