/**
 * A request the API server answered with an error status. `code` is the HTTP status (as
 * client-node's ApiException had it: statusOf, isNotFound and isConflict read it); `reason`
 * and the message come from the Status object the API server returns.
 */
export class KubeApiError extends Error {
  readonly code: number;
  readonly statusCode: number;
  /** The Status's reason, e.g. NotFound, AlreadyExists, Conflict, Expired. */
  readonly reason: string | undefined;

  constructor(method: string, path: string, status: number, body: string) {
    const s = statusObject(body);
    // Only a Status's message is quoted: any other body (a proxy's page) could be anything.
    super(`${method} ${path}: HTTP ${status}${s?.reason ? ` ${s.reason}` : ''}${s?.message ? `: ${s.message}` : ''}`);
    this.name = 'KubeApiError';
    this.code = status;
    this.statusCode = status;
    this.reason = s?.reason;
  }
}

function statusObject(body: string): { reason?: string; message?: string } | undefined {
  try {
    const s = JSON.parse(body) as { kind?: unknown; reason?: unknown; message?: unknown };
    if (s?.kind !== 'Status') return undefined;
    return {
      ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
      ...(typeof s.message === 'string' ? { message: s.message } : {}),
    };
  } catch {
    return undefined;
  }
}

/** HTTP status of a KubeApiError (or undefined for network errors). */
function httpStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => httpStatus(err) === 404;
export const isConflict = (err: unknown): boolean => httpStatus(err) === 409;
export const isGone = (err: unknown): boolean => httpStatus(err) === 410;
