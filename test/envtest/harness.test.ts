import { expect } from 'chai';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testEnv } from '../../tools/envtest/env.ts';
import { statusOf } from '../../tools/envtest/crds.ts';
import { waitFor } from '../../tools/envtest/process.ts';

describe('envtest harness (real kube-apiserver, etcd, kube-controller-manager)', () => {
  it('garbage-collects an object whose owner is deleted', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('gc');
    const core = env.kc.makeApiClient(CoreV1Api);
    const owner = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, controller: true }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns });
    const gone = await waitFor('owned ConfigMap to be collected', async () => {
      try {
        await core.readNamespacedConfigMap({ name: 'owned', namespace: ns });
        return false;
      } catch (err) {
        return statusOf(err) === 404;
      }
    }, 60_000);
    expect(gone).to.equal(true);
  });

  it('finishes deleting a namespace (namespace controller runs)', async () => {
    const env = testEnv();
    const core = env.kc.makeApiClient(CoreV1Api);
    const ns = await env.newNamespace('nsdel');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
    await core.deleteNamespace({ name: ns });
    await waitFor(`namespace ${ns} to disappear`, async () => {
      try {
        await core.readNamespace({ name: ns });
        return false;
      } catch (err) {
        return statusOf(err) === 404;
      }
    }, 90_000);
  });

  it('mints ServiceAccount credentials that carry exactly the RBAC granted', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('sa');
    const kc = await env.serviceAccountKubeConfig(ns, 'reader');
    const asSa = kc.makeApiClient(CoreV1Api);
    let denied: number | undefined;
    try {
      await asSa.listNamespacedConfigMap({ namespace: ns });
    } catch (err) {
      denied = statusOf(err);
    }
    expect(denied).to.equal(403);
    const rbac = env.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: 'cm-read' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'cm-read' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-read' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    const list = await waitFor('RBAC to allow the list', async () => asSa.listNamespacedConfigMap({ namespace: ns }), 10_000);
    expect(list.items).to.be.an('array');
  });

  it('serves again after the API server is stopped and started on the same port', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('restart');
    const core = env.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'kept' }, data: { a: '1' } } });
    await env.stopApiServer();
    let refused = false;
    try {
      await core.readNamespacedConfigMap({ name: 'kept', namespace: ns });
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
    await env.startApiServer();
    const cm = await core.readNamespacedConfigMap({ name: 'kept', namespace: ns });
    expect(cm.data).to.deep.equal({ a: '1' });
  });

  it('ships a kubectl of the pinned version', () => {
    const env = testEnv();
    const out = execFileSync(path.join(env.binDir, 'kubectl'), ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    const version = (JSON.parse(out) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
    const pinned = /KUBERNETES_VERSION=(\S+)/.exec(readFileSync(fileURLToPath(new URL('../../hack/versions.env', import.meta.url)), 'utf8'));
    expect(version).to.equal(pinned?.[1]);
  });
});
