import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { chartDir, helm, withValuesFile } from '../../deploy/helm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from '../../deploy/tool-bins.ts';
import { Kube } from '../support/kube.ts';
import { kubectl } from '../support/kubectl.ts';
import { OperatorProcess } from '../support/operator-process.ts';

/** The chart's connection, named by the key: whatever default connection other suites' setups make. */
const CONNECTION = 'chart-op';
const TEAM = 'chart-op-team';

describe("deploy: the operator as the chart's ServiceAccount, with the chart's RBAC and connection (helm install)", () => {
  const name = 'omkeys-chart';
  let ns = '';
  let sim: SimHandle | undefined;
  let op: OperatorProcess | undefined;

  before(async function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    const env = testEnv();
    // Not a newNamespace(): those go after each test, and this one must outlive the first.
    ns = 'omkeys-chart-it';
    await env.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } }).catch((err: unknown) => {
      if (statusOf(err) !== 409) throw err;
    });
    // The release's pods never run (the test cluster has no nodes); its ServiceAccount, RBAC,
    // namespace and ClusterOpsManagerConnection are what the out-of-cluster operator runs with.
    // The CRDs are the harness's, outside any release: Helm would refuse to adopt them.
    sim = await startSimulator({ admin: true });
    const values = {
      fullnameOverride: name,
      crds: { enabled: false, keep: false },
      connection: {
        create: true,
        name: CONNECTION,
        baseUrl: sim.url,
        // The Secret OperatorProcess.start writes in the release namespace (the simulator's admin pair).
        credentialsSecret: { name: 'om-default-connection' },
        default: false,
        policy: { grants: [{ namespaces: { selector: { matchLabels: { 'kubernetes.io/metadata.name': TEAM } } }, organizations: [sim.orgId], roles: ['ORG_READ_ONLY'] }] },
      },
    };
    const r = await withValuesFile(values, (f) => helm(['install', 'chart-op', chartDir, '-n', ns, '-f', f], { kubeconfig: env.kubeconfigPath }));
    expect(r.code, r.out).to.equal(0);
    op = await OperatorProcess.start(env, sim, { identity: { namespace: ns, serviceAccount: name, rbacFile: null } });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && op) console.error(`\n  operator log (last 60 lines):\n${op.logText().split('\n').slice(-60).join('\n')}`);
  });

  after(async function () {
    this.timeout(90_000);
    await op?.stop();
    await sim?.close();
    await helm(['uninstall', 'chart-op', '-n', ns, '--wait', '--timeout', '60s'], { kubeconfig: testEnv().kubeconfigPath, timeoutMs: 90_000 });
    await testEnv().kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('has exactly the rights the chart grants its ServiceAccount (it can fail: deletes are refused)', async () => {
    const as = `system:serviceaccount:${ns}:${name}`;
    // The answer is the first line; kubectl may add a warning (a cluster-scoped kind asked in a namespace).
    const can = async (...args: string[]): Promise<string> => (await kubectl(['auth', 'can-i', '--as', as, ...args])).out.trim().split('\n')[0]!;
    expect(await can('create', 'secrets', '-n', 'default')).to.equal('yes');
    // `<resource>/<x>` would name an object x: a subresource is --subresource.
    expect(await can('update', 'opsmanagerapikeys.omkeys.io', '--subresource=status', '-n', 'default')).to.equal('yes');
    expect(await can('update', 'clusteropsmanagerconnections.omkeys.io', '--subresource=status')).to.equal('yes');
    expect(await can('update', 'clusteropsmanagerconnections.omkeys.io')).to.equal('no');
    expect(await can('patch', 'opsmanagerconnections.omkeys.io', '-n', 'default')).to.equal('no');
    expect(await can('update', 'leases.coordination.k8s.io', '-n', ns)).to.equal('yes');
    expect(await can('update', 'leases.coordination.k8s.io', '-n', 'default')).to.equal('no');
    expect(await can('delete', 'secrets', '-n', 'default')).to.equal('no');
  });

  it("leads through the Lease in the release namespace and makes an OpsManagerApiKey Ready through the chart's connection", async () => {
    const env = testEnv();
    const lease = await kubectl(['-n', ns, 'get', 'lease', 'omkeys-leader', '-o', 'jsonpath={.spec.holderIdentity}']);
    expect(lease.code, lease.out).to.equal(0);
    expect(lease.out).to.not.equal('');
    const kube = new Kube(env);
    const team = await env.newNamespace(TEAM, TEAM);
    const connectionRef = { kind: 'ClusterOpsManagerConnection' as const, name: CONNECTION };
    await kube.createKey(team, 'via-chart-rbac', { orgId: sim!.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    const ready = await kube.waitForReady(team, 'via-chart-rbac', 60_000);
    const data = await kube.secretData(team, 'via-chart-rbac');
    expect(data?.keyId).to.equal(ready.status?.keyId);
    expect(sim!.state.apiKeys.get(data!.keyId!)?.desc).to.equal(`${team}/via-chart-rbac`);
    expect(ready.status?.connection).to.equal(`ClusterOpsManagerConnection/${CONNECTION}`);
    const status = await kubectl(['get', 'clusteropsmanagerconnection', CONNECTION, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    expect(status.out).to.equal('True');
    await kube.deleteKey(team, 'via-chart-rbac');
  });
});
