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

type Manifest = Array<{ kind?: string; metadata?: { namespace?: string }; spec?: unknown }>;
interface Container { env?: Array<{ name: string; value?: string }> }
interface Deployment { spec: { template: { spec: { containers: Container[] } } } }

/** `helm install` of a namespaced release watching `teams`; returns what the release installed. */
async function installNamespaced(teams: string[]): Promise<Manifest> {
  const kubeconfig = testEnv().kubeconfigPath;
  const values = {
    fullnameOverride: RELEASE,
    crds: { enabled: false, keep: false },
    userRoles: { enabled: false },
    watchNamespaces: teams,
  };
  const run = (f: string): ReturnType<typeof helm> =>
    helm(['install', 'nsi', chartDir, '-n', RELEASE_NAMESPACE, '-f', f], { kubeconfig });
  const install = await withValuesFile(values, run);
  expect(install.code, install.out).to.equal(0);
  const manifest = await helm(['get', 'manifest', 'nsi', '-n', RELEASE_NAMESPACE], { kubeconfig });
  expect(manifest.code, manifest.out).to.equal(0);
  return parseDocs(manifest.stdout);
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

describe("deploy: a namespaced install of two namespaces runs with the chart's Roles only", () => {
  let sim: SimHandle | undefined;
  let op: OperatorProcess | undefined;
  let installed = false;

  before(async function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    const core = testEnv().kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: RELEASE_NAMESPACE } } }).catch((err: unknown) => {
      if (statusOf(err) !== 409) throw err;
    });
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed' || !op) return;
    console.error(`\n  operator log (last 60 lines):\n${op.logText().split('\n').slice(-60).join('\n')}`);
  });

  after(async function () {
    this.timeout(120_000);
    await op?.stop();
    await sim?.close();
    const opts = { kubeconfig: testEnv().kubeconfigPath, timeoutMs: 90_000 };
    if (installed) await helm(['uninstall', 'nsi', '-n', RELEASE_NAMESPACE, '--wait', '--timeout', '60s'], opts);
    await testEnv().kc.makeApiClient(CoreV1Api).deleteNamespace({ name: RELEASE_NAMESPACE }).catch(() => undefined);
  });

  it('two namespaces served with their Secrets, a third left alone, nothing forbidden', async function () {
    this.timeout(240_000);
    const env = testEnv();
    const kube = new Kube(env);
    const teamA = await env.newNamespace('nsi-a');
    const teamB = await env.newNamespace('nsi-b');
    const other = await env.newNamespace('nsi-other');
    const teams = [teamA, teamB];
    // The release's pods never run (the test cluster has no nodes): its ServiceAccount and RBAC are
    // what the out-of-cluster operator runs with, and its Deployment says what OMKEYS_NAMESPACES is.
    const objs = await installNamespaced(teams);
    installed = true;
    // Cluster-wide, the chart grants cluster-scoped kinds only; the namespaced ones are Roles in the two namespaces.
    const roles = objs.filter((o) => o.kind === 'Role' && o.metadata?.namespace !== RELEASE_NAMESPACE);
    expect(roles.map((o) => o.metadata?.namespace).sort()).to.deep.equal([...teams].sort());
    const deployment = objs.find((o) => o.kind === 'Deployment') as Deployment | undefined;
    const env0 = deployment?.spec.template.spec.containers[0]?.env ?? [];
    const watched = env0.find((e) => e.name === 'OMKEYS_NAMESPACES')?.value;
    expect(watched).to.equal(teams.join(','));

    sim = await startSimulator({ admin: true });
    const identity = { namespace: RELEASE_NAMESPACE, serviceAccount: RELEASE, rbacFile: null };
    op = await OperatorProcess.start(env, sim, { identity, env: { OMKEYS_NAMESPACES: watched ?? '' } });
    const spec = { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] };
    for (const ns of [...teams, other]) await kube.createKey(ns, 'k', spec);
    for (const ns of teams) {
      const ready = await kube.waitForReady(ns, 'k', 60_000);
      const data = await kube.secretData(ns, 'k');
      expect(data?.keyId, `${ns}: the Secret holds the key`).to.equal(ready.status?.keyId);
      expect(sim.state.apiKeys.get(data?.keyId ?? '')?.desc).to.equal(`${ns}/k`);
    }

    // The key in the namespace not watched: exactly as applied (the CRD's default status only),
    // no Secret, no Event, no Ops Manager key.
    const untouched = await kube.getKey(other, 'k');
    expect(untouched?.metadata.finalizers ?? []).to.deep.equal([]);
    expect(untouched?.status).to.deep.equal({ observedGeneration: 0 });
    expect(await kube.secret(other, 'k')).to.equal(undefined);
    expect(await kube.eventsFor(other, 'k')).to.deep.equal([]);
    expect([...sim.state.apiKeys.values()].map((k) => k.desc)).not.to.include(`${other}/k`);

    // Deleted through the same Roles: the keys' finalizers come off and their Ops Manager keys go.
    const keyIds = await Promise.all(teams.map(async (ns) => (await kube.getKey(ns, 'k'))?.status?.keyId ?? ''));
    for (const ns of teams) await kube.deleteKey(ns, 'k');
    const gone = async (): Promise<boolean> => 
      (await Promise.all(teams.map((ns) => kube.getKey(ns, 'k')))).every((k) => !k);
    await waitFor('both keys finalized', gone, 60_000);
    expect(keyIds.filter((id) => sim?.state.apiKeys.has(id))).to.deep.equal([]);

    const log = op.logText();
    expect(controllerNamespaces(log)).to.deep.equal([...teams].sort());
    expect(forbiddenLines(log), 'the operator was refused nothing').to.deep.equal([]);
  });
});
