import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { OpsManagerApiKeySpec } from '../../../src/api/types.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, waitForEvent } from './helpers.ts';

const data = (cm: { data?: Record<string, string> } | undefined): Record<string, string> | undefined => cm?.data;

describe('omkey: the ConfigMap the MongoDB Enterprise Kubernetes Operator reads (spec.opsManagerConfigMap)', () => {
  const s = useOperator();

  async function configMap(ns: string, name: string): Promise<{ data?: Record<string, string>; metadata?: { ownerReferences?: Array<{ kind: string; controller?: boolean }> } } | undefined> {
    try {
      return await s().kube.core.readNamespacedConfigMap({ namespace: ns, name });
    } catch {
      return undefined;
    }
  }

  it('an org key: baseUrl, orgId and the given projectName, owned by the resource and put back when edited', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('meko-org');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], opsManagerConfigMap: { name: 'om-project', projectName: 'my-replica-set' } });
    await expectOneLiveKey(s(), ns, 'k');
    const cm = await waitFor('ConfigMap', async () => configMap(ns, 'om-project'), 30_000);
    expect(data(cm)).to.deep.equal({ baseUrl: sim.url, orgId: sim.orgId, projectName: 'my-replica-set' });
    expect(cm.metadata?.ownerReferences?.[0]).to.include({ kind: 'OpsManagerApiKey', controller: true });
    await kube.core.replaceNamespacedConfigMap({ namespace: ns, name: 'om-project', body: { ...cm, data: { baseUrl: 'http://elsewhere', orgId: sim.orgId, projectName: 'x' } } as never });
    // Tests resync hourly: only the watch on the ConfigMap can put it back within the deadline.
    await waitFor('ConfigMap put back', async () => data(await configMap(ns, 'om-project'))?.baseUrl === sim.url, 20_000);
    await kube.updateKeySpec(ns, 'k', (spec) => (spec.opsManagerConfigMap = { name: 'om-project', projectName: 'renamed' }));
    await waitFor('projectName followed', async () => data(await configMap(ns, 'om-project'))?.projectName === 'renamed', 20_000);
  });

  it('a project key: projectName read from Ops Manager (GET /groups/{id})', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('meko-project');
    const projectId = sim.projectIds[0] ?? '';
    await kube.createKey(ns, 'pk', { projectId, roles: ['GROUP_OWNER'], opsManagerConfigMap: { name: 'om-project' } });
    await expectOneLiveKey(s(), ns, 'pk');
    const cm = await waitFor('ConfigMap', async () => configMap(ns, 'om-project'), 30_000);
    expect(data(cm)).to.deep.equal({ baseUrl: sim.url, orgId: sim.orgId, projectName: sim.state.projects.get(projectId)?.name ?? '?' });
  });

  it('a ConfigMap of that name that is not ours: ConfigMapConflict, left untouched', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('meko-conflict');
    await kube.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'taken' }, data: { mine: 'yes' } } });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], opsManagerConfigMap: { name: 'taken', projectName: 'p' } });
    await kube.waitForKeyCondition(ns, 'k', 'Ready', 'False', 'ConfigMapConflict', 30_000);
    await waitForEvent(kube, ns, 'k', 'ConfigMapConflict');
    expect(data(await configMap(ns, 'taken'))).to.deep.equal({ mine: 'yes' });
  });

  it('examples/mongodb-operator: the MongoDB resource finds its credentials and project ConfigMap as the key delivers them', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('meko-example');
    const text = readFileSync(new URL('../../../examples/mongodb-operator/replica-set.yaml', import.meta.url), 'utf8').replaceAll('${OMKEYS_SIM_PROJECT_ID_0}', sim.projectIds[0] ?? '');
    const [keyDoc, mongoDoc] = parseAllDocuments(text).map((d) => d.toJS() as { metadata: { name: string }; spec: Record<string, unknown> });
    if (!keyDoc || !mongoDoc) throw new Error('the example has two documents');
    const spec = keyDoc.spec as unknown as OpsManagerApiKeySpec;
    await kube.createKey(ns, keyDoc.metadata.name, spec);
    await kube.waitForReady(ns, keyDoc.metadata.name);
    const mongo = mongoDoc.spec as { credentials: string; opsManager: { configMapRef: { name: string } } };
    const secret = await kube.secretData(ns, mongo.credentials);
    expect(secret?.publicKey, 'the credentials Secret the MongoDB resource names holds publicKey').to.be.a('string');
    expect(secret?.privateKey, 'and privateKey').to.be.a('string');
    const cm = await waitFor('ConfigMap', async () => configMap(ns, mongo.opsManager.configMapRef.name), 30_000);
    expect(Object.keys(data(cm) ?? {}).sort()).to.deep.equal(['baseUrl', 'orgId', 'projectName']);
  });
});
