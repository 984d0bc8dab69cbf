/** Error for a duration string that is not a Go duration. */
export class DurationError extends Error {
  readonly code = 'INVALID_DURATION';
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration (`720h`, `1h30m`, `90s`) into milliseconds; the CRD admits only this form. */
export function parseDuration(value: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  if (value.length === 0 || matched !== value.length) throw new DurationError(`"${value}" is not a duration such as 720h or 1h30m`);
  return total;
}
