/**
 * What the client accepts from one Ops Manager connection. A connection may be a server a tenant
 * runs, so every answer, listing and wait is bounded: a hostile or broken endpoint costs a failed
 * call, never the operator's memory or the workers every namespace shares. The defaults are far
 * above what a real Ops Manager sends (an organization holds at most 500 keys; a page at most
 * 500 items of about 1 KiB).
 */
export interface ClientLimits {
  /** Most bytes of a list page, and of an access-list POST's answer (the whole list). */
  maxListBodyBytes: number;
  /** Most bytes of a single object's answer (a key, a project). */
  maxObjectBodyBytes: number;
  /** Most bytes read of an error answer; the rest is dropped and the status still classifies it. */
  maxErrorBodyBytes: number;
  /** Most pages one listing follows. */
  maxPages: number;
  /** Most items one listing yields. */
  maxItems: number;
  /** Most bytes of all the pages of one listing together. */
  maxListBytes: number;
  /** Longest wait for one of the connection's request slots before the call fails, unsent. */
  maxSlotWaitMs: number;
  /** Longest Retry-After honoured; a longer one (or a date far ahead) counts as this long. */
  maxRetryAfterMs: number;
  /**
   * Total time of one call: every attempt, Digest round trip, backoff and wait. Unset: the retry
   * budget plus one request timeout (a last attempt started inside the budget may run its course).
   */
  deadlineMs?: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<ClientLimits> = {
  maxListBodyBytes: 4 * MiB,
  maxObjectBodyBytes: 256 * 1024,
  maxErrorBodyBytes: 64 * 1024,
  maxPages: 50,
  maxItems: 10_000,
  maxListBytes: 16 * MiB,
  maxSlotWaitMs: 10_000,
  maxRetryAfterMs: 5 * 60_000,
};

export function resolveLimits(o: Partial<ClientLimits> | undefined): ClientLimits {
  const set = Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<ClientLimits>;
  const r: ClientLimits = { ...DEFAULT_LIMITS, ...set };
  for (const [name, v] of Object.entries(r)) {
    if (typeof v === 'number' && !(v > 0)) throw new RangeError(`limits.${name} must be > 0`);
  }
  return r;
}
