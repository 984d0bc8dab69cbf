import { expect } from 'chai';
import { chartDir, everyOptionalValue, helm, parseDocs, release, withValuesFile } from './helm.ts';
import type { Obj } from './manifest-checks.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

type Helm = 'helm' | 'helm3';

async function render(tool: Helm, values: Record<string, unknown>): Promise<Obj[]> {
  const r = await withValuesFile(values, (f) =>
    helm(['template', release.name, chartDir, '--namespace', release.namespace, '-f', f], { tool }),
  );
  if (r.code !== 0) throw new Error(`${tool} template failed (${r.code}):\n${r.out}`);
  return parseDocs(r.stdout);
}

const byKindAndName = (objs: Obj[]): Record<string, Obj> =>
  Object.fromEntries(objs.map((o) => [`${o.kind}/${o.metadata?.name}`, o]));

describe('deploy: the chart under Helm 3 (the tests use Helm 4; hack/build-helm3.sh)', () => {
  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    toolBin('helm3');
  });

  it('is Helm 3 and Helm 4 that render (not the same binary twice)', async () => {
    const v4 = await helm(['version', '--template', '{{.Version}}']);
    const v3 = await helm(['version', '--template', '{{.Version}}'], { tool: 'helm3' });
    expect(v4.stdout).to.match(/^v4\.\d+\.\d+$/);
    expect(v3.stdout).to.match(/^v3\.\d+\.\d+$/);
  });

  it('passes Helm 3 helm lint --strict', async function () {
    this.timeout(60_000);
    const r = await helm(
      ['lint', '--strict', chartDir, '--set', 'serviceMonitor.enabled=true,prometheusRule.enabled=true'],
      { tool: 'helm3' },
    );
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.out).not.to.match(/\[(WARNING|ERROR)\]/);
  });

  it('renders the objects Helm 4 renders: defaults, every optional value, no CRDs, a digest', async function () {
    this.timeout(120_000);
    const digest = `sha256:${'ab'.repeat(32)}`;
    for (const values of [
      {},
      everyOptionalValue,
      { crds: { enabled: false } },
      { crds: { keep: false }, image: { digest } },
    ]) {
      const [v4, v3] = [await render('helm', values), await render('helm3', values)];
      expect(v4.length, JSON.stringify(values)).to.be.greaterThan(5);
      expect(byKindAndName(v3), JSON.stringify(values)).to.deep.equal(byKindAndName(v4));
    }
  });

  it('Helm 3 refuses what the schema refuses, as Helm 4 does', async function () {
    this.timeout(60_000);
    for (const values of [{ image: { digest: 'sha256:abc' } }, { crds: { enabled: 'yes' } }]) {
      const r = await withValuesFile(values, (f) =>
        helm(['template', release.name, chartDir, '-f', f], { tool: 'helm3' }),
      );
      expect(r.code, JSON.stringify(values)).to.not.equal(0);
      expect(r.out, JSON.stringify(values)).to.match(/values don't meet the specifications of the schema/);
    }
  });
});
