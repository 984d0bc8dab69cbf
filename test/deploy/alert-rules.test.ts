import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { Reason } from '../../src/api/conditions.ts';
import { repoRoot } from './compiled.ts';
import { renderObjects } from './helm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

type Rule = { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> };
type RuleSpec = { groups: Array<{ name: string; rules: Rule[] }> };

/**
 * Per-key and sweep series of the metrics work (issue "Metrics and alerts"), allowed before they
 * land; every name the rules use must otherwise be a metric name in src/runtime/metrics.ts.
 */
const PLANNED = ['omkeys_key_ready', 'omkeys_key_next_rotation_timestamp_seconds', 'omkeys_keys_orphans_swept_total'];

async function ruleSpec(values: Record<string, unknown> = {}): Promise<RuleSpec> {
  const objs = await renderObjects({ prometheusRule: { enabled: true, ...values } });
  const rule = objs.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: RuleSpec } | undefined;
  if (!rule) throw new Error('no PrometheusRule rendered');
  return rule.spec;
}

async function promtool(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(toolBin('promtool'), args, { cwd, encoding: 'utf8' });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** promtool run in a directory holding the rendered rules as rules.yaml. */
async function withRules<T>(spec: RuleSpec, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-rules-'));
  try {
    writeFileSync(path.join(dir, 'rules.yaml'), stringify(spec));
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GitHub's anchor for a Markdown heading. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

describe('deploy: the chart PrometheusRule (promtool check rules and test rules, docs/troubleshooting.md)', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs', 'troubleshooting.md'), 'utf8');
  const anchors = new Set([...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => slug(m[1]!)));

  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    toolBin('promtool');
  });

  it('promtool check rules accepts the rules, with default values and with every value changed', async function () {
    this.timeout(60_000);
    for (const values of [{}, { keyNotReadyFor: '1h', keyStalledFor: '10m', rotationOverdueSeconds: 60, reconcileErrorRatio: 0.5, additionalLabels: { team: 'platform' } }]) {
      const r = await withRules(await ruleSpec(values), (dir) => promtool(['check', 'rules', 'rules.yaml'], dir));
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.match(/SUCCESS: 7 rules found/);
    }
  });

  it('promtool check rules refuses a broken expression (the check can fail)', async function () {
    this.timeout(60_000);
    const spec = await ruleSpec();
    spec.groups[0]!.rules[0]!.expr = 'omkeys_key_ready ==';
    const r = await withRules(spec, (dir) => promtool(['check', 'rules', 'rules.yaml'], dir));
    expect(r.code).to.not.equal(0);
    expect(r.out).to.match(/FAILED|parse error/);
  });

  it('promtool test rules: each alert fires when it should, with its summary, description and runbook', async function () {
    this.timeout(60_000);
    const r = await withRules(await ruleSpec(), (dir) => {
      copyFileSync(path.join(repoRoot, 'test', 'deploy', 'alerts', 'rules-test.yaml'), path.join(dir, 'rules-test.yaml'));
      return promtool(['test', 'rules', 'rules-test.yaml'], dir);
    });
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/SUCCESS/);
    const tested = readFileSync(path.join(repoRoot, 'test', 'deploy', 'alerts', 'rules-test.yaml'), 'utf8');
    for (const g of (await ruleSpec()).groups) for (const rule of g.rules) expect(tested, rule.alert).to.include(`alertname: ${rule.alert}`);
  });

  it('covers what the issue asks for, each alert with a severity, a summary and a runbook section that exists', async () => {
    const rules = (await ruleSpec({ runbookBaseUrl: 'https://docs.example/omkeys/troubleshooting.md/' })).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).to.have.members([
      'OmkeysKeyNotReady', 'OmkeysKeyStalled', 'OmkeysKeyRotationOverdue', 'OmkeysOrphanKeysSwept',
      'OmkeysOpsManagerUnreachable', 'OmkeysOpsManagerRefusingCredentials', 'OmkeysReconcileErrors',
    ]);
    expect(rules.find((r) => r.alert === 'OmkeysKeyNotReady')!.for).to.equal('15m');
    expect(rules.find((r) => r.alert === 'OmkeysKeyStalled')!.for).to.equal('5m');
    for (const r of rules) {
      expect(['info', 'warning', 'critical'], r.alert).to.include(r.labels.severity);
      expect(r.annotations.summary, r.alert).to.be.a('string').and.not.equal('');
      expect(r.annotations.description, r.alert).to.be.a('string').and.not.equal('');
      const url = r.annotations.runbook_url ?? '';
      expect(url, r.alert).to.equal(`https://docs.example/omkeys/troubleshooting.md#${r.alert.toLowerCase()}`);
      expect(anchors.has(r.alert.toLowerCase()), `docs/troubleshooting.md has no section ${r.alert}`).to.equal(true);
    }
  });

  it('uses only metric names src/runtime/metrics.ts defines, or the planned per-key series', async () => {
    const defined = [...readFileSync(path.join(repoRoot, 'src', 'runtime', 'metrics.ts'), 'utf8').matchAll(/'(omkeys_[a-z_]+)'/g)].map((m) => m[1]!);
    expect(defined).to.include.members(['omkeys_reconcile_total', 'omkeys_reconcile_errors_total', 'omkeys_opsmanager_requests_total', 'omkeys_leader']);
    const used = new Set((await ruleSpec()).groups.flatMap((g) => g.rules.flatMap((r) => [...r.expr.matchAll(/\bomkeys_[a-z_]+/g)].map((m) => m[0]))));
    expect([...used].filter((n) => !defined.includes(n) && !PLANNED.includes(n))).to.deep.equal([]);
  });

  it('docs/troubleshooting.md has a section for every condition reason of src/api/conditions.ts', () => {
    const missing = Object.values(Reason).filter((r) => !anchors.has(slug(r)));
    expect(missing).to.deep.equal([]);
    // Each says what it means and what to check, with the kubectl command that shows it.
    for (const r of Object.values(Reason)) {
      const section = doc.split(`\n### ${r}\n`)[1]?.split('\n#')[0] ?? '';
      expect(section.trim().length, r).to.be.greaterThan(80);
      expect(section, r).to.include('kubectl ');
    }
  });
});
