import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiextensionsV1Api, AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import { ControlPlane } from '../../../tools/envtest/control-plane.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { TestEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { runLogDir } from '../../envtest/run-logs.ts';
import { repoRoot } from '../../deploy/compiled.ts';
import { chartDir, helm } from '../../deploy/helm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from '../../deploy/tool-bins.ts';
import { OciRegistry } from './oci-registry.ts';

/** The last commit whose chart shipped the CRDs in crds/ (Helm installs those once, never upgrades them). */
const previousLayout = 'c209fef416b06c0ddfc474002b88bbb70842112e';
const keyCrd = 'opsmanagerapikeys.omkeys.io';
/** The CRDs chart 0.1.0 shipped; the current chart ships every CRD of crds/ (the connection kinds too). */
const previousCrdNames = [keyCrd, 'projectkeybindings.omkeys.io'];
const crdNames = readdirSync(path.join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml')).map((f) => `${f.slice('omkeys.io_'.length, -'.yaml'.length)}.omkeys.io`);
const chartVersion = (parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string }).version;
const digest = `sha256:${'5e'.repeat(32)}`;

/**
 * The chart of `previousLayout`, from git. Its OpsManagerApiKey CRD loses the printer column
 * "Public Key", so that the upgrade has something to change even while crds/ still equals the CRDs
 * of that commit: the column stands for whatever a later release adds.
 */
function previousChart(dir: string): string {
  execFileSync('bash', ['-c', `git archive ${previousLayout} charts/omkeys | tar -x -C "${dir}"`], { cwd: repoRoot });
  const chart = path.join(dir, 'charts', 'omkeys');
  const files = previousCrdNames.map((n) => `omkeys.io_${n.split('.')[0]}.yaml`);
  expect(readdirSync(path.join(chart, 'crds')).sort()).to.deep.equal(files);
  const file = path.join(chart, 'crds', 'omkeys.io_opsmanagerapikeys.yaml');
  const crd = parse(readFileSync(file, 'utf8')) as V1CustomResourceDefinition;
  const version = crd.spec.versions[0]!;
  const before = version.additionalPrinterColumns?.length ?? 0;
  version.additionalPrinterColumns = version.additionalPrinterColumns?.filter((c) => c.name !== 'Public Key');
  expect(version.additionalPrinterColumns).to.have.length(before - 1);
  writeFileSync(file, stringify(crd));
  return chart;
}

/** What Helm writes on an object of the release, and the keep policy of crds.keep. */
function owned(namespace: string): Record<string, string> {
  const release = { 'meta.helm.sh/release-name': 'omkeys', 'meta.helm.sh/release-namespace': namespace };
  return { ...release, 'helm.sh/resource-policy': 'keep' };
}

function columns(crd: V1CustomResourceDefinition): string[] {
  return (crd.spec.versions[0]?.additionalPrinterColumns ?? []).map((c) => c.name);
}

describe('deploy: the chart from an OCI registry, its CRDs through helm upgrade (own control plane)', () => {
  let plane: ControlPlane | undefined;
  let env: TestEnv;
  let registry: OciRegistry | undefined;
  let work = '';
  let crdApi: ApiextensionsV1Api;
  const helmKube = (args: string[]): ReturnType<typeof helm> =>
    helm(args, { kubeconfig: env.kubeconfigPath, timeoutMs: 150_000 });
  const crd = (name: string): Promise<V1CustomResourceDefinition> => crdApi.readCustomResourceDefinition({ name });

  const gone = (name: string): Promise<boolean> => crd(name).then(() => false, (err: unknown) => statusOf(err) === 404);
  // A CRD deleted seconds after it was made can wait a minute in kube-apiserver's CRD finalizer
  // (seen under load: its first list of the resources met "storage is (re)initializing").
  const allGone = async (): Promise<void> => {
    for (const name of crdNames) await waitFor(`CRD ${name} deleted`, () => gone(name), 150_000);
  };

  /**
   * Waits until every installed CRD is served from the API server's watch cache (a list at
   * resourceVersion 0 answers). A CRD deleted while its cache is still initializing has its
   * finalizer fail with "storage is (re)initializing" and retried with a growing backoff: minutes.
   */
  async function crdsServed(): Promise<void> {
    const objects = env.kc.makeApiClient(CustomObjectsApi);
    for (const name of crdNames) {
      if (await gone(name)) continue;
      const plural = name.slice(0, -'.omkeys.io'.length);
      const listed = (): Promise<boolean> => objects.listClusterCustomObject({ group: 'omkeys.io', version: 'v1alpha1', plural, resourceVersion: '0' }).then(() => true, () => false);
      await waitFor(`CRD ${name} served from the cache`, listed, 60_000);
    }
  }

  /** Each test starts without the CRDs: they are cluster-wide, and so are their releases' claims on them. */
  async function deleteCrds(): Promise<void> {
    await crdsServed();
    for (const name of crdNames) {
      await crdApi.deleteCustomResourceDefinition({ name }).catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
    }
    await allGone();
  }

  before(async function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    toolBin('oci-registry');
    const binDir = process.env.OMKEYS_CP_BIN;
    if (!binDir) throw new Error('OMKEYS_CP_BIN is not set');
    // Not the shared control plane: its CRDs are installed by the harness, outside any release.
    plane = new ControlPlane({ binDir, logDir: path.join(runLogDir(), 'chart-oci-control-plane') });
    await plane.start();
    env = new TestEnv(plane);
    crdApi = env.kc.makeApiClient(ApiextensionsV1Api);
    registry = await OciRegistry.start();
    work = mkdtempSync(path.join(os.tmpdir(), 'omkeys-chart-oci-'));
    const pkg = await helm(['package', chartDir, '-d', work]);
    expect(pkg.code, pkg.out).to.equal(0);
    const tgz = path.join(work, `omkeys-${chartVersion}.tgz`);
    const push = await helm(['push', tgz, `oci://${registry.host}/charts`, '--plain-http']);
    expect(push.code, push.out).to.equal(0);
    expect(push.out).to.include(`Pushed: ${registry.host}/charts/omkeys:${chartVersion}`);
    expect(push.out).to.match(/Digest: sha256:[0-9a-f]{64}/);
  });

  after(async function () {
    this.timeout(60_000);
    await registry?.stop();
    await plane?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs from oci://: the release owns the CRDs, kept on uninstall; image by digest', async function () {
    this.timeout(300_000);
    await deleteCrds();
    const ns = await env.newNamespace('chart-oci');
    const ref = `oci://${registry!.host}/charts/omkeys`;
    const show = await helm(['show', 'chart', ref, '--version', chartVersion, '--plain-http']);
    expect(show.code, show.out).to.equal(0);
    expect(parse(show.stdout)).to.deep.include({ name: 'omkeys', version: chartVersion });
    // Each test names its cluster-scoped RBAC apart: one that failed leaves its release behind.
    const set = ['fullnameOverride=omkeys-oci', `image.digest=${digest}`].flatMap((v) => ['--set', v]);
    const from = [ref, '--version', chartVersion, '--plain-http'];
    const install = await helmKube(['install', 'omkeys', ...from, '-n', ns, ...set]);
    expect(install.code, install.out).to.equal(0);
    expect(install.out).to.match(/STATUS: deployed/);
    const list = await helmKube(['list', '-n', ns, '-o', 'json']);
    const charts = (JSON.parse(list.stdout) as Array<{ chart: string }>).map((r) => r.chart);
    expect(charts).to.deep.equal([`omkeys-${chartVersion}`]);
    const d = await env.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: ns, name: 'omkeys-oci' });
    expect(d.spec?.template.spec?.containers[0]?.image).to.equal(`ghcr.io/omkeys/omkeys@${digest}`);
    // Helm 4 installs by server-side apply (Helm 3 created objects: operation Update).
    expect(d.metadata?.managedFields?.map((f) => `${f.manager}/${f.operation}`)).to.include('helm/Apply');
    for (const name of crdNames) {
      const got = await crd(name);
      expect(got.metadata?.annotations, name).to.deep.include(owned(ns));
      expect(got.metadata?.labels, name).to.deep.include({ 'app.kubernetes.io/managed-by': 'Helm' });
    }
    const uninstall = await helmKube(['uninstall', 'omkeys', '-n', ns, '--wait', '--timeout', '60s']);
    expect(uninstall.code, uninstall.out).to.equal(0);
    for (const name of crdNames) expect((await crd(name)).metadata?.deletionTimestamp, name).to.equal(undefined);
  });

  it('upgrades a release of the crds/ layout: CRDs taken over and upgraded, no resource lost', async function () {
    this.timeout(300_000);
    await deleteCrds();
    const ns = await env.newNamespace('chart-upgrade');
    const team = await env.newNamespace('chart-upgrade-team');
    const set = ['fullnameOverride=omkeys-upgrade', 'logLevel=debug'].flatMap((v) => ['--set', v]);
    const install = await helmKube(['install', 'omkeys', previousChart(work), '-n', ns, ...set]);
    expect(install.code, install.out).to.equal(0);
    const before = await crd(keyCrd);
    expect(columns(before)).not.to.include('Public Key');
    expect(before.metadata?.annotations?.['meta.helm.sh/release-name']).to.equal(undefined);

    const objects = env.kc.makeApiClient(CustomObjectsApi);
    const at = (plural: string): { group: string; version: string; namespace: string; plural: string } =>
      ({ group: 'omkeys.io', version: 'v1alpha1', namespace: team, plural });
    type Made = { metadata: { uid: string } };
    const create = async (plural: string, kind: string, spec: Record<string, unknown>): Promise<Made> =>
      (await objects.createNamespacedCustomObject({
        ...at(plural), body: { apiVersion: 'omkeys.io/v1alpha1', kind, metadata: { name: 'kept' }, spec },
      })) as Made;
    const read = async (plural: string): Promise<Made> =>
      (await objects.getNamespacedCustomObject({ ...at(plural), name: 'kept' })) as Made;
    const key = await create('opsmanagerapikeys', 'OpsManagerApiKey',
      { projectId: '5f0000000000000000000001', description: 'survives the upgrade', roles: ['GROUP_READ_ONLY'] });
    const binding = await create('projectkeybindings', 'ProjectKeyBinding',
      { apiKeyRef: { name: 'kept' }, projectId: '5f0000000000000000000002', roles: ['GROUP_READ_ONLY'] });

    // Helm refuses to adopt objects it did not label as the release's; CRDs from crds/ never were.
    const from = [`oci://${registry!.host}/charts/omkeys`, '--version', chartVersion, '--plain-http'];
    const upgradeArgs = ['upgrade', 'omkeys', ...from, '-n', ns, '--reset-then-reuse-values'];
    const refused = await helmKube(upgradeArgs);
    expect(refused.code).to.not.equal(0);
    expect(refused.out).to.match(/CustomResourceDefinition "\w+\.omkeys\.io" in namespace "" exists and cannot be/);
    const upgrade = await helmKube([...upgradeArgs, '--take-ownership']);
    expect(upgrade.code, upgrade.out).to.equal(0);
    const d = await env.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: ns, name: 'omkeys-upgrade' });
    const logLevel = d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'OMKEYS_LOG_LEVEL');
    expect(logLevel?.value).to.equal('debug');

    const file = path.join(repoRoot, 'crds', 'omkeys.io_opsmanagerapikeys.yaml');
    const wanted = parse(readFileSync(file, 'utf8')) as V1CustomResourceDefinition;
    expect(columns(await crd(keyCrd))).to.deep.equal(columns(wanted)).and.to.include('Public Key');
    for (const name of crdNames) expect((await crd(name)).metadata?.annotations, name).to.deep.include(owned(ns));
    const manifest = await helmKube(['get', 'manifest', 'omkeys', '-n', ns]);
    for (const name of crdNames) expect(manifest.out).to.include(`name: ${name}`);
    expect((await read('opsmanagerapikeys')).metadata.uid).to.equal(key.metadata.uid);
    expect((await read('projectkeybindings')).metadata.uid).to.equal(binding.metadata.uid);

    // Kept on uninstall, and so are the resources.
    const uninstall = await helmKube(['uninstall', 'omkeys', '-n', ns, '--wait', '--timeout', '60s']);
    expect(uninstall.code, uninstall.out).to.equal(0);
    expect((await crd(keyCrd)).metadata?.deletionTimestamp).to.equal(undefined);
    expect((await read('opsmanagerapikeys')).metadata.uid).to.equal(key.metadata.uid);
  });

  it('with crds.keep=false, helm uninstall deletes the CRDs', async function () {
    this.timeout(420_000);
    await deleteCrds();
    const ns = await env.newNamespace('chart-unkept');
    const set = ['fullnameOverride=omkeys-unkept', 'crds.keep=false'].flatMap((v) => ['--set', v]);
    const install = await helmKube(['install', 'omkeys', chartDir, '-n', ns, ...set]);
    expect(install.code, install.out).to.equal(0);
    expect((await crd(keyCrd)).metadata?.annotations?.['helm.sh/resource-policy']).to.equal(undefined);
    await crdsServed();
    const uninstall = await helmKube(['uninstall', 'omkeys', '-n', ns, '--wait', '--timeout', '60s']);
    expect(uninstall.code, uninstall.out).to.equal(0);
    await allGone();
  });
});
