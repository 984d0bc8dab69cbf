import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { testEnv } from '../../../tools/envtest/env.ts';
import { repoRoot } from '../../deploy/compiled.ts';
import { kubectl } from '../support/kubectl.ts';
import { applyFile } from '../support/manifests.ts';

describe('deploy: manifests accepted by the API server (kubectl apply --dry-run=server; the chart: helm.test.ts)', () => {
  before(async function () {
    this.timeout(60_000);
    // Objects in omkeys-system are only dry-run-created if their namespace exists.
    await applyFile(testEnv().kc, path.join(repoRoot, 'deploy', 'rbac.yaml'));
  });

  it('kubectl apply -k deploy/ (CRDs, RBAC, Deployment, Service)', async function () {
    this.timeout(60_000);
    const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-k', 'deploy/']);
    expect(r.code, r.out).to.equal(0);
    const objs = [
      'customresourcedefinition.apiextensions.k8s.io/opsmanagerapikeys.omkeys.io',
      'customresourcedefinition.apiextensions.k8s.io/clusteropsmanagerconnections.omkeys.io',
      'clusterrole.rbac.authorization.k8s.io/omkeys',
      'clusterrole.rbac.authorization.k8s.io/omkeys-edit',
      'clusterrole.rbac.authorization.k8s.io/omkeys-view',
      'deployment.apps/omkeys',
      'service/omkeys-metrics',
    ];
    for (const obj of objs) {
      expect(r.out).to.match(new RegExp(`^${obj.replace(/\./g, '\\.')} \\S+ \\(server dry run\\)$`, 'm'));
    }
  });

  it('the same check rejects a Deployment with an unknown field (it can fail)', async function () {
    this.timeout(60_000);
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad', namespace: 'omkeys-system' }, spec: { replicas: 1, replica: 2, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], stringify(bad));
    expect(r.code).to.not.equal(0);
    expect(r.out).to.match(/unknown field "spec\.replica"/);
  });

  it('the example connection and every complete manifest of docs/multi-tenancy.md pass the CRDs (kubectl apply --dry-run=server)', async function () {
    this.timeout(60_000);
    const example = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', 'deploy/connection.example.yaml']);
    expect(example.code, example.out).to.equal(0);
    expect(example.out).to.match(/^clusteropsmanagerconnection\.omkeys\.io\/opsmanager created \(server dry run\)$/m);
    const doc = readFileSync(path.join(repoRoot, 'docs', 'multi-tenancy.md'), 'utf8');
    // Only blocks that are whole objects; the grant fragments are shown inside one of them.
    // A block inside a list item is indented like its fence.
    const blocks = [...doc.matchAll(/^( *)```yaml\n([\s\S]*?)^\1```/gm)]
      .map((m) => m[2]!.split('\n').map((l) => l.slice(m[1]!.length)).join('\n'))
      .filter((b) => b.startsWith('apiVersion:'));
    expect(blocks).to.have.length(3);
    for (const block of blocks) {
      const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], block);
      expect(r.code, `${r.out}\n${block}`).to.equal(0);
    }
  });
});

