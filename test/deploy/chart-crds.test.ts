import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot } from './compiled.ts';
import { chartDir, helm, release, renderObjects, withValuesFile } from './helm.ts';
import { find, podOf, yamlDocs, type Obj } from './manifest-checks.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

type Crd = Obj & {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
};

const crdSources = path.join(repoRoot, 'crds');
const chartCopies = path.join(chartDir, 'files', 'crds');
const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;

/** The CRDs kubectl users apply (crds/), parsed as the API server reads them. */
function sourceCrds(): Crd[] {
  return readdirSync(crdSources)
    .sort()
    .flatMap((f) => yamlDocs(path.join(crdSources, f))) as Crd[];
}

function renderedCrds(objs: Obj[]): Crd[] {
  return objs.filter((o) => o.kind === 'CustomResourceDefinition') as Crd[];
}

describe('deploy: chart CRDs (crds.enabled, crds.keep) and image.digest', () => {
  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
  });

  it('ships files/crds/ byte-identical to the repository crds/, and nothing in the crds/ Helm never upgrades', () => {
    const src = readdirSync(crdSources).sort();
    expect(src.length).to.be.greaterThan(0);
    expect(readdirSync(chartCopies).sort()).to.deep.equal(src);
    for (const f of src) {
      const same = readFileSync(path.join(chartCopies, f)).equals(readFileSync(path.join(crdSources, f)));
      expect(
        same,
        `charts/omkeys/files/crds/${f} differs from crds/${f}: cp crds/*.yaml charts/omkeys/files/crds/`,
      ).to.equal(true);
    }
    expect(readdirSync(chartDir)).not.to.include('crds');
  });

  it('renders every CRD of crds/ unchanged but for the release labels and resource-policy keep', async () => {
    const objs = await renderObjects();
    const rendered = renderedCrds(objs);
    const sources = sourceCrds();
    expect(rendered.map((c) => c.metadata.name).sort()).to.deep.equal(sources.map((c) => c.metadata.name).sort());
    const deployment = find(objs, 'Deployment');
    for (const src of sources) {
      const got = rendered.find((c) => c.metadata.name === src.metadata.name)!;
      expect(got.spec, src.metadata.name).to.deep.equal(src.spec);
      expect(got.metadata.annotations).to.deep.equal({ 'helm.sh/resource-policy': 'keep' });
      expect(got.metadata.labels).to.deep.include(src.metadata.labels ?? {});
      expect(got.metadata.labels).to.deep.include({
        'app.kubernetes.io/instance': release.name,
        'app.kubernetes.io/managed-by': 'Helm',
      });
      expect(got.metadata.labels!['app.kubernetes.io/version']).to.equal(
        deployment.metadata!.labels!['app.kubernetes.io/version'],
      );
      expect(Object.keys(got.metadata).sort()).to.deep.equal(['annotations', 'labels', 'name']);
    }
  });

  it('crds.keep=false lets helm uninstall delete the CRDs; crds.enabled=false leaves them out', async () => {
    const unkept = renderedCrds(await renderObjects({ crds: { keep: false } }));
    expect(unkept).to.have.length(sourceCrds().length);
    for (const c of unkept) expect(c.metadata.annotations, c.metadata.name).to.equal(undefined);
    const off = await renderObjects({ crds: { enabled: false } });
    expect(renderedCrds(off)).to.deep.equal([]);
    expect(off.map((o) => o.kind)).to.include('Deployment');
  });

  it('image.digest pulls repository@digest, whatever the tag; without it repository:tag', async () => {
    const image = async (v: Record<string, unknown>): Promise<string | undefined> =>
      podOf(find(await renderObjects({ image: v }), 'Deployment')).container.image;
    expect(await image({ repository: 'registry.example/omkeys', digest })).to.equal(
      `registry.example/omkeys@${digest}`,
    );
    expect(await image({ repository: 'registry.example/omkeys', tag: '1.2.3', digest })).to.equal(
      `registry.example/omkeys@${digest}`,
    );
    expect(await image({ repository: 'registry.example/omkeys', tag: '1.2.3', digest: '' })).to.equal(
      'registry.example/omkeys:1.2.3',
    );
  });

  it('the schema refuses a digest but sha256:<64 lowercase hex>, and crds values of a wrong type', async function () {
    this.timeout(60_000);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ image: { digest: 'sha256:abc' } }, /at '\/image\/digest': 'sha256:abc' does not match pattern/],
      [{ image: { digest: digest.slice('sha256:'.length) } }, /at '\/image\/digest'/],
      [{ image: { digest: digest.toUpperCase() } }, /at '\/image\/digest'/],
      [{ image: { digest: `${digest}0` } }, /at '\/image\/digest'/],
      [{ crds: { enabled: 'yes' } }, /at '\/crds\/enabled': got string, want boolean/],
      [{ crds: { keep: 1 } }, /at '\/crds\/keep': got number, want boolean/],
      [{ crds: { install: true } }, /additional properties 'install' not allowed/],
    ];
    for (const [v, message] of cases) {
      const r = await withValuesFile(v, (f) =>
        helm(['template', release.name, chartDir, '--namespace', release.namespace, '-f', f]),
      );
      expect(r.code, JSON.stringify(v)).to.not.equal(0);
      expect(r.out, JSON.stringify(v))
        .to.match(/values don't meet the specifications of the schema/)
        .and.to.match(message);
    }
  });

  it('the install commands of the docs name the chart version of Chart.yaml', () => {
    const { version } = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string };
    const docs = ['README.md', 'deploy/README.md', 'charts/omkeys/README.md'];
    const named = docs.flatMap((d) => {
      const text = readFileSync(path.join(repoRoot, d), 'utf8');
      return [...text.matchAll(/--version ([^\s`]+)|omkeys-(\d+\.\d+\.\d+)\.tgz/g)].map((m) => `${d}: ${m[1] ?? m[2]}`);
    });
    expect(named.length).to.be.greaterThan(3);
    expect(named.filter((n) => !n.endsWith(`: ${version}`))).to.deep.equal([]);
  });
});
