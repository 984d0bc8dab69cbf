/**
 * The two failure kinds a reconcile can report. The controller retries a TransientError with
 * per-key backoff; a TerminalError waits until the object changes, because retrying bad input
 * only burns API calls.
 */
export class TransientError extends Error {
  readonly code = 'TRANSIENT' as const;
  /** A lower bound for the next attempt, e.g. from a Retry-After header. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, opts?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TransientError';
    this.retryAfterMs = opts?.retryAfterMs;
  }
}

export class TerminalError extends Error {
  readonly code = 'TERMINAL' as const;
  /** Optional machine-readable reason (e.g. a condition reason such as `InvalidSpec`). */
  readonly reason: string | undefined;

  constructor(message: string, opts?: { cause?: unknown; reason?: string }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TerminalError';
    this.reason = opts?.reason;
  }
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError || (err instanceof Error && (err as { code?: unknown }).code === 'TERMINAL');
}

/**
 * A log-safe summary of an error: message, code, status and the cause's message. Errors from
 * HTTP clients can carry request options and headers (credentials), so never log them whole.
 */
export function summarizeError(err: unknown): { message: string; code?: unknown; statusCode?: number; cause?: string } {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { code?: unknown; statusCode?: number; cause?: unknown };
  const out: { message: string; code?: unknown; statusCode?: number; cause?: string } = { message: e.message };
  if (e.code !== undefined) out.code = e.code;
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  if (e.cause instanceof Error) out.cause = e.cause.message;
  return out;
}

/** The HTTP status of a client-node ApiException (`code`) or a Watch error (`statusCode`). */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** An error's stable `code` as a metric label (omkeys_reconcile_errors_total), else UNKNOWN: never free text. */
export function codeOf(err: unknown): string {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'UNKNOWN';
}
