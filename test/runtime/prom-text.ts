/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4, what prom-client
 * serves), for tests that scrape /metrics: a malformed line, a duplicate series, a family
 * split in two or a TYPE after its samples is an error, not something skipped, so a test
 * that passes has read exactly what a Prometheus server would.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<MetricType, string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export class PromTextError extends Error {
  constructor(lineNo: number, message: string, line: string) {
    super(`line ${lineNo}: ${message}: ${JSON.stringify(line.slice(0, 200))}`);
    this.name = 'PromTextError';
  }
}

/** Families by name, in the order they appear. */
export function parsePromText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new PromTextError(0, 'the exposition does not end with a newline', text.slice(-40));
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const typed = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const n = i + 1;
    const fail = (msg: string): never => {
      throw new PromTextError(n, msg, line);
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // Any other comment.
      const [, what, name = '', rest = ''] = m;
      if (METRIC_NAME.exec(name)?.[0] !== name) fail('bad metric name');
      const fam = families.get(name) ?? { name, type: 'untyped' as MetricType, samples: [] };
      if (families.has(name) && fam !== current) fail('metadata for a family that already ended');
      if (fam.samples.length > 0) fail(`${what} after the family's samples`);
      if (what === 'TYPE') {
        if (!TYPES.has(rest.trim())) fail('unknown type');
        if (typed.has(name)) fail('second TYPE line');
        fam.type = rest.trim() as MetricType;
        typed.add(name);
      } else {
        if (fam.help !== undefined) fail('second HELP line');
        fam.help = unescape(rest, false, fail);
      }
      families.set(name, fam);
      current = fam;
      return;
    }
    const sample = parseSample(line, fail);
    const fam = current && SUFFIXES[current.type].some((suffix) => current?.name + suffix === sample.name) ? current : undefined;
    if (!fam) {
      if (families.has(sample.name)) fail('sample of a family that already ended');
      const untyped: Family = { name: sample.name, type: 'untyped', samples: [] };
      families.set(sample.name, untyped);
      current = untyped;
      untyped.samples.push(sample);
    } else {
      fam.samples.push(sample);
    }
    if (fam?.type === 'histogram' && sample.name.endsWith('_bucket') && sample.labels.le === undefined) fail('histogram bucket without le');
    const id = `${sample.name}{${Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seen.has(id)) fail('duplicate series');
    seen.add(id);
  });
  return families;
}

function parseSample(line: string, fail: (msg: string) => never): Sample {
  const name = METRIC_NAME.exec(line)?.[0];
  if (!name) fail('bad metric name');
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.replace(/^ */, '');
      if (rest.startsWith('}')) break;
      const label = LABEL_NAME.exec(rest)?.[0];
      if (!label) fail('bad label name');
      rest = rest.slice(label.length).replace(/^ */, '');
      if (!rest.startsWith('="')) fail('expected ="');
      rest = rest.slice(2);
      const end = closingQuote(rest);
      if (end < 0) fail('unterminated label value');
      if (label in labels) fail(`label ${label} twice`);
      labels[label] = unescape(rest.slice(0, end), true, fail);
      rest = rest.slice(end + 1).replace(/^ */, '');
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) fail('expected , or }');
    }
    rest = rest.slice(1);
  }
  const m = /^[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$/.exec(rest);
  if (!m) fail('expected a value (and an optional timestamp)');
  const value = parseValue(m[1] ?? '', fail);
  return { name, labels, value, ...(m[2] !== undefined ? { timestampMs: Number(m[2]) } : {}) };
}

function closingQuote(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

function unescape(s: string, quoteAllowed: boolean, fail: (msg: string) => never): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    if (e === '\\') out += '\\';
    else if (e === 'n') out += '\n';
    else if (e === '"' && quoteAllowed) out += '"';
    else fail('bad escape');
  }
  return out;
}

/** As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case, so prom-client's `Nan` too. */
function parseValue(s: string, fail: (msg: string) => never): number {
  if (/^[-+]?nan$/i.test(s)) return NaN;
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) fail('bad value');
  return Number(s);
}

/** The samples named `name` whose labels include `labels`. */
export function samples(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  const out: Sample[] = [];
  for (const f of families.values()) {
    for (const s of f.samples) if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) out.push(s);
  }
  return out;
}

/** The value of the series named `name` with exactly `labels` (there is one at most: duplicates are refused), or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(families, name, labels).find((s) => Object.keys(s.labels).length === Object.keys(labels).length)?.value;
}
