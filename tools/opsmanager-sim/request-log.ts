import { createHash } from 'node:crypto';

/** One request as the simulator saw it; never a header, a body or anything secret. */
export interface LoggedRequest {
  /** Epoch ms when the request reached the simulator. */
  arrivedAt: number;
  /** Epoch ms when the answer was sent (or the socket destroyed); absent for a held `timeout`. */
  answeredAt?: number;
  method: string;
  /** The raw path after `/api/public/v1.0`, with its query. */
  target: string;
  /** Templated route, as in the stats. */
  route: string;
  /** As in the stats: 0 when no answer was even decided (`reset`, `timeout`); the dropped answer's for `drop-after-apply`. */
  status: number;
  /** Seconds sent as `Retry-After`, when one was. */
  retryAfter?: number;
  /** The fault rule that decided the outcome, if one did. */
  fault?: string;
  /** First 16 hex of the body's SHA-256: tells a request's repetition from another one to the same path. */
  bodyHash: string;
}

/**
 * A bounded, timestamped log of the requests, off until enabled: the chaos run reads it to
 * check that nothing is retried before a 429's Retry-After has passed.
 */
export class RequestLog {
  private entries: LoggedRequest[] = [];
  private on = false;

  constructor(private readonly max = 500_000) {}

  enable(on = true): void {
    this.on = on;
  }

  get enabled(): boolean {
    return this.on;
  }

  record(entry: LoggedRequest): void {
    if (!this.on) return;
    if (this.entries.length >= this.max) this.entries.splice(0, Math.ceil(this.max / 10));
    this.entries.push(entry);
  }

  list(sinceMs = 0): LoggedRequest[] {
    return this.entries.filter((e) => e.arrivedAt >= sinceMs).map((e) => ({ ...e }));
  }

  reset(): void {
    this.entries = [];
  }
}

export function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}
