import { splitPath } from './router.ts';

export const FAULT_KINDS = ['latency', 'status', 'reset', 'timeout', 'drop-after-apply', 'delay-after-apply'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
const FAULT_STATUSES = [500, 502, 503, 429];

export interface FaultRule {
  method?: string;
  /** Pattern on the path after `/api/public/v1.0`; `*` (or a `{name}`) matches one segment. */
  path?: string;
  fault: FaultKind;
  /** Chance (0–1, default 1) that a matching request is hit. */
  rate?: number;
  /** At most this many requests are hit; unlimited when absent. */
  count?: number;
  ms?: number;
  jitterMs?: number;
  status?: number;
  /** Seconds, sent as `Retry-After` (429). */
  retryAfter?: number;
}

export class FaultRuleError extends Error {
  readonly code = 'INVALID_FAULT_RULE';
}

export interface FaultDecision {
  latencyMs: number;
  /** The first non-latency rule that hit, if any. */
  terminal?: FaultRule;
}

interface Armed { rule: FaultRule; hits: number }

/** Fault rules: latency rules add up; the first other rule that hits decides the outcome. */
export class Faults {
  private armed: Armed[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  set(rules: FaultRule[]): void {
    rules.forEach(validateRule);
    this.armed = rules.map((rule) => ({ rule: { ...rule }, hits: 0 }));
  }

  clear(): void {
    this.armed = [];
  }

  list(): FaultRule[] {
    return this.armed.map((a) => ({ ...a.rule }));
  }

  decide(method: string, apiPath: string): FaultDecision {
    const out: FaultDecision = { latencyMs: 0 };
    if (this.armed.length === 0) return out;
    const segs = splitPath(apiPath);
    for (const a of this.armed) {
      const r = a.rule;
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (r.path && !matchPattern(r.path, segs)) continue;
      if (r.count !== undefined && a.hits >= r.count) continue;
      if (this.random() >= (r.rate ?? 1)) continue;
      if (r.fault === 'latency') {
        a.hits++;
        out.latencyMs += (r.ms ?? 0) + (r.jitterMs ? Math.floor(this.random() * r.jitterMs) : 0);
      } else if (!out.terminal) {
        a.hits++;
        out.terminal = r;
      }
    }
    return out;
  }
}

function matchPattern(pattern: string, segs: string[]): boolean {
  const psegs = splitPath(pattern.startsWith('/') ? pattern : `/${pattern}`);
  if (psegs.length !== segs.length) return false;
  return psegs.every((p, i) => p === '*' || (p.startsWith('{') && p.endsWith('}')) || p === segs[i]);
}

function validateRule(r: FaultRule): void {
  const bad = (why: string): never => {
    throw new FaultRuleError(`invalid fault rule ${JSON.stringify(r)}: ${why}`);
  };
  if (r === null || typeof r !== 'object') bad('not an object');
  const allowed = ['method', 'path', 'fault', 'rate', 'count', 'ms', 'jitterMs', 'status', 'retryAfter'];
  for (const k of Object.keys(r)) if (!allowed.includes(k)) bad(`unknown field ${k}`);
  if (!FAULT_KINDS.includes(r.fault)) bad(`fault must be one of ${FAULT_KINDS.join(', ')}`);
  if (r.method !== undefined && typeof r.method !== 'string') bad('method must be a string');
  if (r.path !== undefined && typeof r.path !== 'string') bad('path must be a string');
  if (r.rate !== undefined && (typeof r.rate !== 'number' || r.rate < 0 || r.rate > 1)) bad('rate must be within 0..1');
  for (const k of ['count', 'ms', 'jitterMs', 'retryAfter'] as const) {
    const v = r[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) bad(`${k} must be a non-negative integer`);
  }
  if (r.fault === 'status' && !FAULT_STATUSES.includes(r.status ?? -1)) bad('status must be 500, 502, 503 or 429');
}
