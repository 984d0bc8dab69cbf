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
    for (const obj of ['customresourcedefinition.apiextensions.k8s.io/opsmanagerapikeys.omkeys.io', 'clusterrole.rbac.authorization.k8s.io/omkeys', 'deployment.apps/omkeys', 'service/omkeys-metrics']) {
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
});
