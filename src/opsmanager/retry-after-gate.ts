/**
 * A connection's "not before" instant: a 429 with Retry-After holds back every request the
 * client sends, not only the retries of the call that got it. The work queue may run the same
 * reconcile again at once (an event arrived meanwhile), and what Retry-After asks of is the
 * client, so the wait belongs to the connection, whoever calls.
 */
export class RetryAfterGate {
  private until = 0;

  constructor(private readonly now: () => number) {}

  /** A 429 answered now asked for `retryAfterMs`; a later instant already held is kept. */
  hold(retryAfterMs: number): void {
    this.until = Math.max(this.until, this.now() + Math.max(0, retryAfterMs));
  }

  /** How long from now nothing may be sent (0: free). */
  remainingMs(): number {
    return Math.max(0, this.until - this.now());
  }
}

export type GateDecision =
  | { kind: 'send' }
  /** Wait this long, then look again (a later 429 may have moved the instant). */
  | { kind: 'wait'; ms: number }
  /** Fail the call without sending it: the wait is longer than a call may block. */
  | { kind: 'refuse'; retryAfterMs: number };

export interface GateLimits {
  /** The call's whole budget (retry-policy budgetMs): a wait must end inside it. */
  budgetMs: number;
  /**
   * Longest wait a call sits through. Longer ones fail fast with the time left, so the reconcile
   * is re-queued for then and a worker is not held (other connections' keys share the workers).
   */
  maxWaitMs: number;
}

/** Whether a call that has run `elapsedMs` may send now, given `remainingMs` of the connection's hold. Pure. */
export function gateDecision(remainingMs: number, elapsedMs: number, limits: GateLimits): GateDecision {
  if (remainingMs <= 0) return { kind: 'send' };
  if (remainingMs <= limits.maxWaitMs && elapsedMs + remainingMs <= limits.budgetMs) return { kind: 'wait', ms: remainingMs };
  return { kind: 'refuse', retryAfterMs: remainingMs };
}
