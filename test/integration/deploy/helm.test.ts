import path from 'node:path';
import { AppsV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parse } from 'yaml';
import { installCrds, statusOf } from '../../../tools/envtest/crds.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { repoRoot } from '../../deploy/compiled.ts';
import { chartDir, everyOptionalValue, helm, renderText, withValuesFile } from '../../deploy/helm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from '../../deploy/tool-bins.ts';
import { kubectl } from '../support/kubectl.ts';

const fixtures = path.join(repoRoot, 'test', 'integration', 'deploy', 'fixtures');

/** helm against the test API server as its admin. */
function helmKube(args: string[], timeoutMs?: number): ReturnType<typeof helm> {
  return helm(args, { kubeconfig: testEnv().kubeconfigPath, ...(timeoutMs ? { timeoutMs } : {}) });
}

async function envOf(namespace: string, name: string): Promise<Record<string, string>> {
  const d = await testEnv().kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace, name });
  return Object.fromEntries((d.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? '']));
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if (statusOf(err) === 404) return true;
    throw err;
  }
}

describe('deploy: the chart on the real API server (helm template | kubectl --dry-run=server, helm install/upgrade/uninstall)', () => {
  before(async function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    // The test cluster has no Prometheus Operator: minimal CRDs of its group let the API server
    // accept the ServiceMonitor and PrometheusRule documents too, instead of skipping them.
    await installCrds(testEnv().kc, path.join(fixtures, 'monitoring-crds'));
  });

  it('every rendering (default values, every optional value) is accepted by kubectl apply --dry-run=server --validate=strict', async function () {
    this.timeout(120_000);
    const ns = await testEnv().newNamespace('helm-dry-run');
    const rel = { name: 'omkeys', namespace: ns };
    // The namespaced install of everyOptionalValue puts Roles in these: a dry run needs them to exist.
    for (const n of [...(everyOptionalValue.watchNamespaces as string[]), ...(everyOptionalValue.connectionSecretNamespaces as string[])]) {
      await testEnv().newNamespace(n, n);
    }
    const expected: Array<[Record<string, unknown>, string[]]> = [
      [{}, ['deployment.apps/omkeys', 'poddisruptionbudget.policy/omkeys', 'service/omkeys-metrics', 'clusterrole.rbac.authorization.k8s.io/omkeys', 'customresourcedefinition.apiextensions.k8s.io/opsmanagerapikeys.omkeys.io', 'customresourcedefinition.apiextensions.k8s.io/projectkeybindings.omkeys.io']],
      [everyOptionalValue, [
        'deployment.apps/omkeys', 'poddisruptionbudget.policy/omkeys', 'servicemonitor.monitoring.coreos.com/omkeys', 'prometheusrule.monitoring.coreos.com/omkeys',
        'clusteropsmanagerconnection.omkeys.io/opsmanager', 'role.rbac.authorization.k8s.io/omkeys', 'role.rbac.authorization.k8s.io/omkeys-connection-secrets',
      ]],
    ];
    for (const [values, objects] of expected) {
      // Helm's output as it would be sent: kubectl reads it as YAML 1.1, like the API server.
      const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], await renderText(values, rel));
      expect(r.code, r.out).to.equal(0);
      for (const o of objects) expect(r.out, o).to.match(new RegExp(`^${o.replace(/\./g, '\\.')} \\S+ \\(server dry run\\)$`, 'm'));
    }
  });

  it('helm install refuses a wrong value with the schema message, and installs nothing', async function () {
    this.timeout(60_000);
    const ns = await testEnv().newNamespace('helm-refused');
    const r = await withValuesFile({ replicas: 'two', logLevel: 'verbose' }, (f) => helmKube(['install', 'refused', chartDir, '-n', ns, '-f', f]));
    expect(r.code).to.not.equal(0);
    expect(r.out).to.match(/values don't meet the specifications of the schema/);
    expect(r.out).to.match(/at '\/replicas': got string, want integer/);
    expect(r.out).to.match(/at '\/logLevel': value must be one of/);
    // Helm 4 lists releases in every state (failed, pending too) by default; Helm 3 needed -a.
    const list = await helmKube(['list', '-n', ns, '-q']);
    expect(list.code, list.out).to.equal(0);
    expect(list.out.trim()).to.equal('');
  });

  it('helm install, helm upgrade (a changed value reaches the Deployment and the connection), helm uninstall', async function () {
    this.timeout(180_000);
    const env = testEnv();
    const ns = await env.newNamespace('helm-release');
    // Cluster-scoped names differ from deploy/rbac.yaml's (other suites apply it): Helm refuses to
    // take over objects another owner made. For the same reason the CRDs, which the harness
    // installed, stay out (crds.enabled=false); test/integration/deploy/chart-oci.test.ts installs
    // and upgrades them with a release on a control plane of its own.
    const name = 'omkeys-it';
    // The harness serves the connection CRD already: the connection is an object of the release, not a hook.
    const connection = `it-${ns}`;
    const set = [`fullnameOverride=${name}`, 'crds.enabled=false', 'connection.create=true', `connection.name=${connection}`, 'connection.baseUrl=https://om.example:8443'];
    const install = await helmKube(['install', 'it', chartDir, '-n', ns, ...set.flatMap((v) => ['--set', v])]);
    expect(install.code, install.out).to.equal(0);
    expect(install.out).to.match(/STATUS: deployed/);
    expect(install.out).to.include(`kubectl -n ${ns} create secret generic om-credentials`);
    let e = await envOf(ns, name);
    expect(e).to.include({ OMKEYS_LOG_LEVEL: 'info' });
    const spec = async (): Promise<Record<string, unknown>> => {
      const r = await kubectl(['get', 'clusteropsmanagerconnection', connection, '-o', 'json']);
      expect(r.code, r.out).to.equal(0);
      return (JSON.parse(r.out) as { spec: Record<string, unknown> }).spec;
    };
    expect(await spec()).to.deep.equal({ baseUrl: 'https://om.example:8443', credentialsSecretRef: { namespace: ns, name: 'om-credentials' }, default: true, policy: { grants: [] } });
    const rbac = env.kc.makeApiClient(RbacAuthorizationV1Api);
    const crb = await rbac.readClusterRoleBinding({ name });
    expect(crb.subjects).to.deep.equal([{ kind: 'ServiceAccount', name, namespace: ns }]);

    const changes = ['logLevel=debug', 'replicas=3', 'podDisruptionBudget.enabled=false', 'connection.baseUrl=https://om2.example:8443', 'connection.default=false'];
    const upgrade = await helmKube(['upgrade', 'it', chartDir, '-n', ns, '--reuse-values', ...changes.flatMap((v) => ['--set', v])]);
    expect(upgrade.code, upgrade.out).to.equal(0);
    expect(upgrade.out).to.match(/REVISION: 2/);
    e = await envOf(ns, name);
    expect(e).to.include({ OMKEYS_LOG_LEVEL: 'debug' });
    expect(await spec()).to.deep.include({ baseUrl: 'https://om2.example:8443', default: false });
    const d = await env.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: ns, name });
    expect(d.spec?.replicas).to.equal(3);
    expect(d.metadata?.generation).to.equal(2);
    const policy = await kubectl(['-n', ns, 'get', 'pdb', '-o', 'name']);
    expect(policy.out.trim()).to.equal('');
    const history = await helmKube(['history', 'it', '-n', ns, '-o', 'yaml']);
    expect((parse(history.out) as Array<{ revision: number; status: string }>).map((h) => [h.revision, h.status])).to.deep.equal([[1, 'superseded'], [2, 'deployed']]);

    const uninstall = await helmKube(['uninstall', 'it', '-n', ns, '--wait', '--timeout', '60s'], 90_000);
    expect(uninstall.code, uninstall.out).to.equal(0);
    expect(uninstall.out).to.match(/release "it" uninstalled/);
    const apps = env.kc.makeApiClient(AppsV1Api);
    const core = env.kc.makeApiClient(CoreV1Api);
    expect(await gone(() => apps.readNamespacedDeployment({ namespace: ns, name }))).to.equal(true);
    expect(await gone(() => core.readNamespacedServiceAccount({ namespace: ns, name }))).to.equal(true);
    expect(await gone(() => rbac.readClusterRole({ name }))).to.equal(true);
    expect(await gone(() => rbac.readClusterRoleBinding({ name }))).to.equal(true);
    expect(await gone(() => rbac.readClusterRole({ name: `${name}-edit` }))).to.equal(true);
    // Kept like the CRDs (crds.keep, default true): keys that name it outlive the release.
    expect((await spec()).baseUrl).to.equal('https://om2.example:8443');
    const del = await kubectl(['delete', 'clusteropsmanagerconnection', connection]);
    expect(del.code, del.out).to.equal(0);
    // Not the release's (crds.enabled=false): left alone.
    const crd = await kubectl(['get', 'crd', 'opsmanagerapikeys.omkeys.io', '-o', 'name']);
    expect(crd.code, crd.out).to.equal(0);
  });

  it("the chart's argocd-cm snippet merges into Argo CD's ConfigMap with the documented kubectl patch", async function () {
    this.timeout(60_000);
    const ns = await testEnv().newNamespace('argocd');
    await testEnv().kc.makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'argocd-cm' }, data: { url: 'https://argocd.example' } } });
    const r = await kubectl(['-n', ns, 'patch', 'configmap', 'argocd-cm', '--patch-file', path.join(chartDir, 'argocd', 'argocd-cm.yaml')]);
    expect(r.code, r.out).to.equal(0);
    const cm = await testEnv().kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: ns, name: 'argocd-cm' });
    expect(Object.keys(cm.data ?? {}).sort()).to.deep.equal([
      'resource.customizations.actions.omkeys.io_OpsManagerApiKey',
      'resource.customizations.health.omkeys.io_ClusterOpsManagerConnection',
      'resource.customizations.health.omkeys.io_OpsManagerApiKey',
      'resource.customizations.health.omkeys.io_OpsManagerConnection',
      'resource.customizations.health.omkeys.io_ProjectKeyBinding',
      'url',
    ]);
  });
});
