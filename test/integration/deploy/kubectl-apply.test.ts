import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { testEnv } from '../../../tools/envtest/env.ts';
import { repoRoot } from '../../deploy/compiled.ts';
import { Chart } from '../../deploy/helm-template.ts';
import { applyFile } from '../support/manifests.ts';

interface Result { code: number; out: string }

/** The pinned kubectl against the test API server; strict validation rejects unknown fields. */
async function kubectl(args: string[], stdin?: string): Promise<Result> {
  const env = testEnv();
  const run = promisify(execFile)(path.join(env.binDir, 'kubectl'), ['--kubeconfig', env.kubeconfigPath, ...args], { cwd: repoRoot, encoding: 'utf8' });
  if (stdin !== undefined) {
    run.child.stdin?.end(stdin);
  }
  try {
    const { stdout, stderr } = await run;
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

describe('deploy: manifests and chart accepted by the API server (kubectl apply --dry-run=server)', () => {
  before(async function () {
    this.timeout(60_000);
    // Objects in omkeys-system are only dry-run-created if their namespace exists.
    await applyFile(testEnv().kc, path.join(repoRoot, 'deploy', 'rbac.yaml'));
  });

  it('kubectl apply -k deploy/ (CRDs, RBAC, Deployment, Service)', async function () {
    this.timeout(60_000);
    const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-k', 'deploy/']);
    expect(r.code, r.out).to.equal(0);
    for (const obj of ['customresourcedefinition.apiextensions.k8s.io/opsmanagerapikeys.omkeys.io', 'clusterrole.rbac.authorization.k8s.io/omkeys', 'deployment.apps/omkeys', 'service/omkeys-metrics']) {
      expect(r.out).to.match(new RegExp(`^${obj.replace(/\./g, '\\.')} \\S+ \\(server dry run\\)$`, 'm'));
    }
  });

  it('the Helm chart rendered with default and with every optional value', async function () {
    this.timeout(60_000);
    const chart = new Chart(path.join(repoRoot, 'charts', 'omkeys'));
    const variants = [
      {},
      {
        connection: { baseUrl: 'https://om.example:8443', caBundle: { secretName: 'om-ca' }, insecureSkipTlsVerify: true },
        policy: { allowedRoles: ['ORG_MEMBER'], allowOrgOwner: true },
        watchNamespaces: ['a', 'b'],
        imagePullSecrets: [{ name: 'regcred' }],
        podAnnotations: { 'example.com/enabled': 'yes', 'example.com/x': 'y' },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ops', effect: 'NoSchedule' }],
      },
    ];
    for (const values of variants) {
      // The rendered text itself, as Helm would send it: kubectl parses it as YAML 1.1.
      const text = [...chart.render({ name: 'omkeys', namespace: 'omkeys-system' }, values).values()].join('\n---\n');
      const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], text);
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.match(/^deployment\.apps\/omkeys \S+ \(server dry run\)$/m);
    }
  });

  it('the same check rejects a Deployment with an unknown field (it can fail)', async function () {
    this.timeout(60_000);
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad', namespace: 'omkeys-system' }, spec: { replicas: 1, replica: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], stringify(bad));
    expect(r.code).to.not.equal(0);
    expect(r.out).to.match(/unknown field "spec\.replica"/);
  });
});
