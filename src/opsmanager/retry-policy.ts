/** When and how long to wait before trying a request again. */

export interface RetryOptions {
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Total time a call may spend, waits included, before the last error is surfaced. */
  budgetMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  budgetMs: 30_000,
};

export function resolveRetry(o: RetryOptions | undefined): ResolvedRetryOptions {
  const r = { ...DEFAULT_RETRY, ...stripUndefined(o ?? {}) };
  if (!(r.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be >= 1');
  return r;
}

function stripUndefined(o: RetryOptions): RetryOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * Parses Retry-After (delta-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Delay before attempt `attempt + 1` (attempt is 1-based): full jitter over an exponential
 * ceiling, but never sooner than the server's Retry-After.
 */
export function backoffDelay(
  attempt: number,
  opts: ResolvedRetryOptions,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Whether another attempt fits: attempts left and the wait ends inside the budget. */
export function shouldRetry(
  attempt: number,
  delayMs: number,
  elapsedMs: number,
  opts: ResolvedRetryOptions,
): boolean {
  return attempt < opts.maxAttempts && elapsedMs + delayMs <= opts.budgetMs;
}
