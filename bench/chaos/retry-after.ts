// "No retry before a 429's Retry-After", judged on the simulator's own timestamps: after a 429
// that said Retry-After: N, the same request (method, path with query, body) must not arrive
// again until N seconds after that answer was sent.
import type { LoggedRequest } from '../../tools/opsmanager-sim/server.ts';

/** Timers may fire a millisecond early and both clocks are Date.now(); more slack than that would hide a bug. */
const SLACK_MS = 25;

export interface EarlyRetry { method: string; target: string; retryAfter: number; waitedMs: number }

export interface RetryAfterResult {
  /** 429s with a Retry-After. */
  rateLimited: number;
  /** Of those, how many were followed by the same request (a retry) at all. */
  retried: number;
  /** The shortest wait before a write's retry, over the Retry-After asked (1 = exactly as asked). */
  minWaitRatio: number | undefined;
  /** Retries of a request that only one reconcile makes (writes: the body or the key id tells them apart): violations. */
  early: EarlyRetry[];
  /**
   * Identical GETs before the Retry-After ran out: another resource's reconcile reading the same
   * list or key (a binding reads its key too) looks exactly the same, so these are not counted.
   */
  earlyIdenticalReads: number;
  /** The first few of them, to read. */
  earlyIdenticalReadSamples: EarlyRetry[];
}

export function checkRetryAfter(log: readonly LoggedRequest[]): RetryAfterResult {
  const bySignature = new Map<string, LoggedRequest[]>();
  for (const e of log) {
    const sig = `${e.method} ${e.target} ${e.bodyHash}`;
    const list = bySignature.get(sig) ?? [];
    list.push(e);
    bySignature.set(sig, list);
  }
  const out: RetryAfterResult = { rateLimited: 0, retried: 0, minWaitRatio: undefined, early: [], earlyIdenticalReads: 0, earlyIdenticalReadSamples: [] };
  for (const list of bySignature.values()) {
    list.sort((a, b) => a.arrivedAt - b.arrivedAt);
    list.forEach((e, i) => {
      if (e.status !== 429 || e.retryAfter === undefined || e.answeredAt === undefined) return;
      out.rateLimited++;
      const next = list.slice(i + 1).find((f) => f.arrivedAt >= e.arrivedAt && f !== e);
      if (!next) return;
      out.retried++;
      const waitedMs = next.arrivedAt - e.answeredAt;
      const ratio = e.retryAfter > 0 ? waitedMs / (e.retryAfter * 1000) : Infinity;
      if (e.method !== 'GET') out.minWaitRatio = Math.min(out.minWaitRatio ?? Infinity, ratio);
      if (waitedMs >= e.retryAfter * 1000 - SLACK_MS) return;
      if (e.method === 'GET') {
        out.earlyIdenticalReads++;
        if (out.earlyIdenticalReadSamples.length < 5) out.earlyIdenticalReadSamples.push({ method: e.method, target: e.target, retryAfter: e.retryAfter, waitedMs });
      } else out.early.push({ method: e.method, target: e.target, retryAfter: e.retryAfter, waitedMs });
    });
  }
  if (out.minWaitRatio !== undefined) out.minWaitRatio = Math.round(out.minWaitRatio * 100) / 100;
  return out;
}
