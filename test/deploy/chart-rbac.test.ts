import path from 'node:path';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { expect } from 'chai';
import { repoRoot } from './compiled.ts';
import { release, renderObjects } from './helm.ts';
import { find, yamlDocs, type Obj } from './manifest-checks.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

type Rbac = Obj & {
  rules?: V1PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: unknown[];
  metadata: { labels?: Record<string, string> };
};

const rule = (resources: string[], verbs: string[], apiGroups = ['omkeys.io']): V1PolicyRule =>
  ({ apiGroups, resources, verbs });

/** What the operator needs in a watched namespace, written out by hand (deploy/rbac.yaml says why). */
const watchedNamespaceRules: V1PolicyRule[] = [
  rule(['opsmanagerapikeys', 'projectkeybindings'], ['get', 'list', 'watch', 'update']),
  rule(['opsmanagerapikeys/status', 'projectkeybindings/status'], ['get', 'update']),
  rule(['opsmanagerapikeys/finalizers'], ['update']),
  rule(['opsmanagerconnections'], ['get', 'list', 'watch']),
  rule(['opsmanagerconnections/status'], ['get', 'update']),
  rule(['secrets'], ['get', 'list', 'watch', 'create', 'update', 'patch'], ['']),
  rule(['configmaps'], ['get', 'list', 'watch', 'create', 'update'], ['']),
  rule(['events'], ['create', 'patch'], ['events.k8s.io']),
];

/** Cluster-wide in a namespaced install: the cluster-scoped kinds only. */
const clusterRules: V1PolicyRule[] = [
  rule(['clusteropsmanagerconnections'], ['get', 'list', 'watch']),
  rule(['clusteropsmanagerconnections/status'], ['get', 'update']),
  { apiGroups: [''], resources: ['namespaces'], resourceNames: ['kube-system'], verbs: ['get'] },
  rule(['namespaces'], ['get', 'list', 'watch'], ['']),
];

const sa = { kind: 'ServiceAccount', name: 'omkeys', namespace: release.namespace };

function rbacObjects(objs: Obj[]): Rbac[] {
  const kinds = ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'];
  return objs.filter((o) => kinds.includes(o.kind ?? '')) as Rbac[];
}

function ids(objs: Obj[]): string[] {
  return objs.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`).sort();
}

describe('deploy: chart RBAC for users (aggregated roles) and the namespaced install', () => {
  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
  });

  it('renders the aggregated roles of deploy/user-roles.yaml, named after the release', async function () {
    this.timeout(30_000);
    const objs = await renderObjects({ fullnameOverride: 'keys' });
    const plain = yamlDocs(path.join(repoRoot, 'deploy', 'user-roles.yaml')) as Rbac[];
    for (const [name, plainName] of [['keys-edit', 'omkeys-edit'], ['keys-view', 'omkeys-view']] as const) {
      const chart = find(objs, 'ClusterRole', name) as Rbac;
      const expected = find(plain, 'ClusterRole', plainName) as Rbac;
      expect(chart.rules, name).to.deep.equal(expected.rules);
      expect(chart.metadata.labels, name).to.deep.include(expected.metadata.labels);
      expect(chart.metadata.labels, name).to.deep.include({ 'app.kubernetes.io/instance': release.name });
    }
    const none = await renderObjects({ userRoles: { enabled: false } });
    expect(ids(none).filter((i) => /ClusterRole\/\/omkeys-(edit|view)$/.test(i))).to.deep.equal([]);
    expect(ids(none)).to.include('ClusterRole//omkeys');
  });

  it('namespaced: a Role per watched namespace; no Secret, ConfigMap or Event right cluster-wide', async function () {
    this.timeout(30_000);
    const values = { watchNamespaces: ['team-a', 'team-b'], userRoles: { enabled: false } };
    const objs = rbacObjects(await renderObjects(values));
    expect(ids(objs)).to.deep.equal([
      'ClusterRole//omkeys',
      'ClusterRoleBinding//omkeys',
      `Role/${release.namespace}/omkeys-connection-secrets`,
      `Role/${release.namespace}/omkeys-leader-election`,
      'Role/team-a/omkeys',
      'Role/team-b/omkeys',
      `RoleBinding/${release.namespace}/omkeys-connection-secrets`,
      `RoleBinding/${release.namespace}/omkeys-leader-election`,
      'RoleBinding/team-a/omkeys',
      'RoleBinding/team-b/omkeys',
    ]);
    expect(find(objs, 'ClusterRole', 'omkeys').rules).to.deep.equal(clusterRules);
    for (const ns of ['team-a', 'team-b']) {
      const role = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === ns)!;
      expect(role.rules, ns).to.deep.equal(watchedNamespaceRules);
      const binding = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns)!;
      expect(binding.roleRef, ns).to.deep.include({ kind: 'Role', name: 'omkeys' });
      expect(binding.subjects, ns).to.deep.equal([sa]);
    }
    const secrets = objs.find((o) => o.kind === 'Role' && o.metadata.name === 'omkeys-connection-secrets')!;
    expect(secrets.rules).to.deep.equal([
      rule(['secrets'], ['get', 'list', 'watch'], ['']),
      rule(['events'], ['create', 'patch'], ['events.k8s.io']),
    ]);
  });

  it('namespaced: Secrets readable where connection.* and connectionSecretNamespaces say', async function () {
    this.timeout(30_000);
    const objs = rbacObjects(await renderObjects({
      watchNamespaces: ['team-a'],
      connectionSecretNamespaces: ['vault', 'team-a', release.namespace],
      connection: {
        create: true,
        baseUrl: 'https://om.example',
        credentialsSecret: { namespace: 'om-secrets' },
        caSecret: { name: 'ca', namespace: 'pki' },
      },
    }));
    const where = objs
      .filter((o) => o.kind === 'Role' && o.metadata.name === 'omkeys-connection-secrets')
      .map((o) => o.metadata.namespace)
      .sort();
    // team-a is watched: its Role already reads Secrets.
    expect(where).to.deep.equal([release.namespace, 'om-secrets', 'pki', 'vault'].sort());
    const bound = objs.filter((o) => o.kind === 'RoleBinding' && o.metadata.name === 'omkeys-connection-secrets');
    expect(bound.map((b) => b.metadata.namespace).sort()).to.deep.equal(where);
    for (const b of bound) expect(b.subjects).to.deep.equal([sa]);
  });

  it('cluster-wide (no watchNamespaces): one ClusterRole, no per-namespace Roles but the Lease one', async function () {
    this.timeout(30_000);
    const objs = rbacObjects(await renderObjects({ connection: { create: true, baseUrl: 'https://om.example' } }));
    expect(ids(objs).filter((i) => i.startsWith('Role'))).to.deep.equal([
      `Role/${release.namespace}/omkeys-leader-election`,
      `RoleBinding/${release.namespace}/omkeys-leader-election`,
    ]);
    const rules = find(objs, 'ClusterRole', 'omkeys').rules!;
    expect(rules.filter((r) => r.resources?.includes('secrets'))).to.have.length(1);
    const same = (a: V1PolicyRule, b: V1PolicyRule): boolean => JSON.stringify(a) === JSON.stringify(b);
    const missing = [...clusterRules, ...watchedNamespaceRules].filter((r) => !rules.some((x) => same(x, r)));
    expect(missing).to.deep.equal([
      // Split in the namespaced install, merged with clusteropsmanagerconnections cluster-wide.
      rule(['clusteropsmanagerconnections'], ['get', 'list', 'watch']),
      rule(['clusteropsmanagerconnections/status'], ['get', 'update']),
      rule(['opsmanagerconnections'], ['get', 'list', 'watch']),
      rule(['opsmanagerconnections/status'], ['get', 'update']),
    ]);
  });
});
