import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { chartDir, helm, parseDocs, withValuesFile } from '../../deploy/helm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from '../../deploy/tool-bins.ts';
import { Kube } from '../support/kube.ts';
import { OperatorProcess } from '../support/operator-process.ts';

/** The release's namespace: its ServiceAccount must outlive the test's namespaces (their keys' finalizers need it). */
const RELEASE_NAMESPACE = 'omkeys-nsi-it';
const RELEASE = 'omkeys-nsi';

/** Log lines that say the API server refused the operator something (403 Forbidden). */
function forbiddenLines(log: string): string[] {
  return log.split('\n').filter((l) => /forbidden/i.test(l) || /"(statusCode|status|code)":403\b/.test(l));
}

/** The namespaces the operator's controllers logged about. */
function controllerNamespaces(log: string): string[] {
  const seen = new Set<string>();
  for (const raw of log.split('\n')) {
    if (!raw.startsWith('{')) continue;
    const l = JSON.parse(raw) as { controller?: string; namespace?: string };
    if (l.controller && l.namespace) seen.add(l.namespace);
  }
  return [...seen].sort();
}

describe("deploy: a namespaced install of two namespaces runs with the chart's Roles only (no cluster-wide Secret right)", () => {
  let sim: SimHandle | undefined;
  let op: OperatorProcess | undefined;
  let installed = false;

  before(async function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    await testEnv().kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: RELEASE_NAMESPACE } } }).catch((err: unknown) => {
      if (statusOf(err) !== 409) throw err;
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && op) console.error(`\n  operator log (last 60 lines):\n${op.logText().split('\n').slice(-60).join('\n')}`);
  });

  after(async function () {
    this.timeout(120_000);
    await op?.stop();
    await sim?.close();
    const opts = { kubeconfig: testEnv().kubeconfigPath, timeoutMs: 90_000 };
    if (installed) await helm(['uninstall', 'nsi', '-n', RELEASE_NAMESPACE, '--wait', '--timeout', '60s'], opts);
    await testEnv().kc.makeApiClient(CoreV1Api).deleteNamespace({ name: RELEASE_NAMESPACE }).catch(() => undefined);
  });

  it('a key in each watched namespace becomes Ready with its Secret, one elsewhere is left alone, and nothing is forbidden', async function () {
    this.timeout(240_000);
    const env = testEnv();
    const kube = new Kube(env);
    const [teamA, teamB, other] = [await env.newNamespace('nsi-a'), await env.newNamespace('nsi-b'), await env.newNamespace('nsi-other')];
    // The release's pods never run (the test cluster has no nodes): its ServiceAccount and RBAC are
    // what the out-of-cluster operator runs with, and its Deployment says what OMKEYS_NAMESPACES is.
    const values = { fullnameOverride: RELEASE, crds: { enabled: false, keep: false }, userRoles: { enabled: false }, watchNamespaces: [teamA, teamB] };
    const install = await withValuesFile(values, (f) => helm(['install', 'nsi', chartDir, '-n', RELEASE_NAMESPACE, '-f', f], { kubeconfig: env.kubeconfigPath }));
    expect(install.code, install.out).to.equal(0);
    installed = true;
    const manifest = await helm(['get', 'manifest', 'nsi', '-n', RELEASE_NAMESPACE], { kubeconfig: env.kubeconfigPath });
    expect(manifest.code, manifest.out).to.equal(0);
    const objs = parseDocs(manifest.stdout) as Array<{ kind?: string; metadata?: { namespace?: string }; spec?: unknown }>;
    // Cluster-wide, the chart grants cluster-scoped kinds only; the namespaced ones are Roles in the two namespaces.
    expect(objs.filter((o) => o.kind === 'Role' && o.metadata?.namespace !== RELEASE_NAMESPACE).map((o) => o.metadata?.namespace).sort()).to.deep.equal([teamA, teamB].sort());
    const deployment = objs.find((o) => o.kind === 'Deployment') as { spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } } } | undefined;
    const watched = deployment?.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'OMKEYS_NAMESPACES')?.value;
    expect(watched).to.equal(`${teamA},${teamB}`);

    sim = await startSimulator({ admin: true });
    op = await OperatorProcess.start(env, sim, { identity: { namespace: RELEASE_NAMESPACE, serviceAccount: RELEASE, rbacFile: null }, env: { OMKEYS_NAMESPACES: watched ?? '' } });
    const spec = { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] };
    for (const ns of [teamA, teamB, other]) await kube.createKey(ns, 'k', spec);
    for (const ns of [teamA, teamB]) {
      const ready = await kube.waitForReady(ns, 'k', 60_000);
      const data = await kube.secretData(ns, 'k');
      expect(data?.keyId, `${ns}: the Secret holds the key`).to.equal(ready.status?.keyId);
      expect(sim.state.apiKeys.get(data?.keyId ?? '')?.desc).to.equal(`${ns}/k`);
    }

    // The key in the namespace not watched: exactly as applied (the CRD's default status only), no Secret, no Event, no Ops Manager key.
    const untouched = await kube.getKey(other, 'k');
    expect(untouched?.metadata.finalizers ?? []).to.deep.equal([]);
    expect(untouched?.status).to.deep.equal({ observedGeneration: 0 });
    expect(await kube.secret(other, 'k')).to.equal(undefined);
    expect(await kube.eventsFor(other, 'k')).to.deep.equal([]);
    expect([...sim.state.apiKeys.values()].map((k) => k.desc)).not.to.include(`${other}/k`);

    // Deleted through the same Roles: the keys' finalizers come off and their Ops Manager keys go.
    const keyIds = await Promise.all([teamA, teamB].map(async (ns) => (await kube.getKey(ns, 'k'))?.status?.keyId ?? ''));
    for (const ns of [teamA, teamB]) await kube.deleteKey(ns, 'k');
    await waitFor('both keys finalized', async () => (await Promise.all([teamA, teamB].map((ns) => kube.getKey(ns, 'k')))).every((k) => k === undefined), 60_000);
    expect(keyIds.filter((id) => sim?.state.apiKeys.has(id))).to.deep.equal([]);

    const log = op.logText();
    expect(controllerNamespaces(log)).to.deep.equal([teamA, teamB].sort());
    expect(forbiddenLines(log), 'the operator was refused nothing').to.deep.equal([]);
  });
});
