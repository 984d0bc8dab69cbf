// A small subset of Helm's Go-template rendering, enough for charts/omkeys (there is no helm
// binary here). It fails loudly on anything it does not know, so the chart cannot silently
// use a construct that these tests would render differently from Helm.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

type Scope = { dot: unknown; root: unknown };
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'expr'; expr: string }
  | { kind: 'if'; branches: Array<{ cond: string | undefined; body: Node[] }> }
  | { kind: 'with'; expr: string; body: Node[]; otherwise: Node[] }
  | { kind: 'range'; expr: string; body: Node[] };

export class TemplateError extends Error {
  readonly code = 'TEMPLATE_ERROR';
}

/** Splits into text and actions, applying `{{-` / `-}}` whitespace trimming. */
function lex(src: string): Array<{ text: string } | { action: string }> {
  const out: Array<{ text: string } | { action: string }> = [];
  const re = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1] === '-') text = text.replace(/\s+$/, '');
    out.push({ text });
    if (!(m[2] ?? '').startsWith('/*')) out.push({ action: m[2] ?? '' });
    trimNext = m[3] === '-';
    last = re.lastIndex;
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  out.push({ text: tail });
  return out;
}

function parseNodes(tokens: Array<{ text: string } | { action: string }>, defines: Map<string, Node[]>): Node[] {
  let i = 0;
  const block = (): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if ('text' in t) {
        if (t.text) nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      const a = t.action;
      const [word, ...rest] = a.split(/\s+/);
      const arg = rest.join(' ');
      if (word === 'end' || word === 'else') return { nodes, stop: a };
      if (word === 'if') {
        const branches: Array<{ cond: string | undefined; body: Node[] }> = [];
        let cond: string | undefined = arg;
        for (;;) {
          const b = block();
          branches.push({ cond, body: b.nodes });
          if (b.stop === 'end') break;
          if (b.stop === 'else') cond = undefined;
          else if (b.stop.startsWith('else if ')) cond = b.stop.slice(8);
          else throw new TemplateError(`unexpected {{${b.stop}}} in if`);
        }
        nodes.push({ kind: 'if', branches });
      } else if (word === 'with') {
        const b = block();
        let otherwise: Node[] = [];
        if (b.stop === 'else') {
          const e = block();
          if (e.stop !== 'end') throw new TemplateError('with/else without end');
          otherwise = e.nodes;
        } else if (b.stop !== 'end') throw new TemplateError(`unexpected {{${b.stop}}} in with`);
        nodes.push({ kind: 'with', expr: arg, body: b.nodes, otherwise });
      } else if (word === 'range') {
        const b = block();
        if (b.stop !== 'end') throw new TemplateError('range without end');
        nodes.push({ kind: 'range', expr: arg, body: b.nodes });
      } else if (word === 'define') {
        const b = block();
        if (b.stop !== 'end') throw new TemplateError('define without end');
        defines.set(JSON.parse(arg) as string, b.nodes);
      } else {
        nodes.push({ kind: 'expr', expr: a });
      }
    }
    return { nodes, stop: '' };
  };
  const { nodes, stop } = block();
  if (stop) throw new TemplateError(`unbalanced {{${stop}}}`);
  return nodes;
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export class Chart {
  private readonly defines = new Map<string, Node[]>();
  private readonly templates = new Map<string, Node[]>();
  readonly values: Record<string, unknown>;
  readonly meta: Record<string, unknown>;

  constructor(readonly dir: string) {
    this.meta = parse(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    this.values = parse(readFileSync(path.join(dir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const tdir = path.join(dir, 'templates');
    for (const f of readdirSync(tdir).sort()) {
      const nodes = parseNodes(lex(readFileSync(path.join(tdir, f), 'utf8')), this.defines);
      if (f.endsWith('.yaml')) this.templates.set(f, nodes);
    }
  }

  /** Renders every template with the chart's values deep-merged with `overrides`; returns file -> text. */
  render(release: { name: string; namespace: string }, overrides: Record<string, unknown> = {}): Map<string, string> {
    const root = {
      Values: merge(this.values, overrides),
      Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm' },
      Chart: { Name: this.meta.name, Version: this.meta.version, AppVersion: this.meta.appVersion },
    };
    const out = new Map<string, string>();
    for (const [f, nodes] of this.templates) out.set(f, this.exec(nodes, { dot: root, root }));
    return out;
  }

  /** Rendered objects of every template (empty documents dropped). */
  objects(release: { name: string; namespace: string }, overrides: Record<string, unknown> = {}): Array<Record<string, unknown>> {
    const docs: Array<Record<string, unknown>> = [];
    for (const text of this.render(release, overrides).values()) {
      for (const part of text.split(/^---\s*$/m)) {
        const doc = parse(part) as Record<string, unknown> | null;
        if (doc) docs.push(doc);
      }
    }
    return docs;
  }

  private exec(nodes: Node[], scope: Scope): string {
    let out = '';
    for (const n of nodes) {
      if (n.kind === 'text') out += n.text;
      else if (n.kind === 'expr') out += str(this.pipeline(n.expr, scope));
      else if (n.kind === 'if') {
        const b = n.branches.find((x) => x.cond === undefined || truthy(this.pipeline(x.cond, scope)));
        if (b) out += this.exec(b.body, scope);
      } else if (n.kind === 'with') {
        const v = this.pipeline(n.expr, scope);
        out += truthy(v) ? this.exec(n.body, { dot: v, root: scope.root }) : this.exec(n.otherwise, scope);
      } else {
        const v = this.pipeline(n.expr, scope);
        const items = Array.isArray(v) ? v : truthy(v) ? Object.values(v as object) : [];
        for (const item of items) out += this.exec(n.body, { dot: item, root: scope.root });
      }
    }
    return out;
  }

  private pipeline(expr: string, scope: Scope): unknown {
    let piped: unknown[] = [];
    for (const cmd of expr.split('|').map((s) => s.trim())) {
      const words = cmd.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
      const [head, ...args] = words;
      if (head === undefined) throw new TemplateError(`empty command in {{${expr}}}`);
      const argv = [...args.map((a) => this.operand(a, scope)), ...piped];
      piped = [this.call(head, argv, scope, expr)];
    }
    return piped[0];
  }

  private operand(word: string, scope: Scope): unknown {
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (/^-?\d+$/.test(word)) return Number(word);
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === '.') return scope.dot;
    if (word === '$') return scope.root;
    const base = word.startsWith('$.') ? scope.root : word.startsWith('.') ? scope.dot : undefined;
    if (base === undefined) throw new TemplateError(`unsupported operand ${word}`);
    let v: unknown = base;
    for (const key of word.replace(/^\$?\./, '').split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    return v;
  }

  private call(head: string, argv: unknown[], scope: Scope, expr: string): unknown {
    const a = (i: number): unknown => argv[i];
    switch (head) {
      case 'quote': return JSON.stringify(str(a(0)));
      case 'default': return truthy(a(1)) ? a(1) : a(0);
      // Kubernetes reads YAML 1.1 (y, no, on are booleans); Helm's toYaml quotes such strings.
      case 'toYaml': return stringify(a(0), { version: '1.1' }).trimEnd();
      case 'nindent': return '\n' + indent(str(a(1)), Number(a(0)));
      case 'indent': return indent(str(a(1)), Number(a(0)));
      case 'join': return ((a(1) as unknown[] | undefined) ?? []).map(str).join(str(a(0)));
      case 'printf': { let i = 1; return str(a(0)).replace(/%[sdv]/g, () => str(a(i++))); }
      case 'include': {
        const body = this.defines.get(str(a(0)));
        if (!body) throw new TemplateError(`no template ${str(a(0))}`);
        return this.exec(body, { dot: a(1), root: scope.root });
      }
      default:
        if (argv.length === 0 && (head.startsWith('.') || head.startsWith('$') || head.startsWith('"') || /^[-\d]/.test(head) || head === 'true' || head === 'false')) return this.operand(head, scope);
        throw new TemplateError(`unsupported function ${head} in {{${expr}}}`);
    }
  }
}

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s.split('\n').map((l) => pad + l).join('\n');
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
      ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}
