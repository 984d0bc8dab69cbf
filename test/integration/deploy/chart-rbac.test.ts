import { AuthorizationV1Api, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { chartDir, helm, withValuesFile } from '../../deploy/helm.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from '../../deploy/tool-bins.ts';

const KINDS = ['opsmanagerapikeys', 'projectkeybindings', 'opsmanagerconnections'];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const READ = ['get', 'list', 'watch'];
/** Named in the release's values before it is installed, so not newNamespace()s (those go after each test). */
const FIXED_NAMESPACES = ['rbac-team-a', 'rbac-team-b', 'rbac-vault'];

/** Every (verb resource) the matrix asks about, in the group omkeys.io. */
function matrix(): string[] {
  const subresources = [...KINDS.map((k) => `${k}/status`), 'opsmanagerapikeys/finalizers'];
  const resources = [...KINDS, ...subresources, 'clusteropsmanagerconnections'];
  return resources.flatMap((r) => VERBS.map((v) => `${v} ${r}`));
}

describe("deploy: the chart's RBAC on the real API server (aggregated user roles, a namespaced install)", () => {
  const release = 'omkeys-rbac';
  let ns = '';
  let authz: AuthorizationV1Api;

  /** The API server's answer for `user` doing `verb resource` in `namespace` ('': cluster-wide). */
  async function allowed(user: string, verb: string, resource: string, namespace: string, group = 'omkeys.io'):
  Promise<boolean> {
    const [plural, subresource] = resource.split('/');
    const attrs = { group, resource: plural, verb, namespace, ...(subresource ? { subresource } : {}) };
    const r = await authz.createSubjectAccessReview({ body: { spec: { user, resourceAttributes: attrs } } });
    return r.status?.allowed === true;
  }

  async function rights(user: string, namespace: string): Promise<string[]> {
    const out: string[] = [];
    for (const vr of matrix()) {
      const [verb, resource] = vr.split(' ') as [string, string];
      if (await allowed(user, verb, resource, resource.startsWith('cluster') ? '' : namespace)) out.push(vr);
    }
    return out;
  }

  async function bind(namespace: string, user: string, clusterRole: string): Promise<void> {
    await testEnv().kc.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: `${user}-${clusterRole}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
    // The authorizer sees a new RoleBinding a moment later: judge the rights once it does.
    await waitFor(`${user}'s RoleBinding to reach the authorizer`, () => allowed(user, 'get', 'opsmanagerapikeys', namespace), 10_000, 50);
  }


  before(async function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
    const env = testEnv();
    authz = env.kc.makeApiClient(AuthorizationV1Api);
    ns = await env.newNamespace('chart-rbac');
    // The same roles from deploy/ (tenant tests apply them) would hide a chart that ships none: take them out first.
    const rbac = env.kc.makeApiClient(RbacAuthorizationV1Api);
    for (const name of ['omkeys-edit', 'omkeys-view']) {
      await rbac.deleteClusterRole({ name }).catch((err: unknown) => {
        if (statusOf(err) !== 404) throw err;
      });
    }
    await waitFor('edit, admin and view without omkeys rules', async () => {
      const roles = await Promise.all(['edit', 'admin', 'view'].map((name) => rbac.readClusterRole({ name })));
      return roles.every((role) => !role.rules?.some((rule) => rule.apiGroups?.includes('omkeys.io')));
    }, 60_000);
    const values = {
      fullnameOverride: release,
      crds: { enabled: false },
      watchNamespaces: FIXED_NAMESPACES.slice(0, 2),
      connectionSecretNamespaces: FIXED_NAMESPACES.slice(2),
    };
    const core = env.kc.makeApiClient(CoreV1Api);
    for (const n of FIXED_NAMESPACES) {
      await core.createNamespace({ body: { metadata: { name: n } } }).catch((err: unknown) => {
        if (statusOf(err) !== 409) throw err;
      });
    }
    const install = (f: string): ReturnType<typeof helm> =>
      helm(['install', 'rbac', chartDir, '-n', ns, '-f', f], { kubeconfig: env.kubeconfigPath });
    const r = await withValuesFile(values, install);
    expect(r.code, r.out).to.equal(0);
    // Aggregation (the harness's controller manager) is asynchronous: wait until the roles carry the chart's rules.
    await waitFor('edit, admin and view to aggregate the omkeys roles', async () => {
      const roles = await Promise.all(['edit', 'admin', 'view'].map((name) => rbac.readClusterRole({ name })));
      return roles.every((role) => role.rules?.some((rule) => rule.apiGroups?.includes('omkeys.io')));
    }, 60_000);
  });

  after(async function () {
    this.timeout(90_000);
    const opts = { kubeconfig: testEnv().kubeconfigPath, timeoutMs: 90_000 };
    await helm(['uninstall', 'rbac', '-n', ns, '--wait', '--timeout', '60s'], opts);
    const core = testEnv().kc.makeApiClient(CoreV1Api);
    for (const name of FIXED_NAMESPACES) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  it('edit, admin: every verb on keys, bindings, OpsManagerConnections; no status, no cluster kind', async function () {
    this.timeout(120_000);
    const team = await testEnv().newNamespace('rbac-editors');
    const other = await testEnv().newNamespace('rbac-other');
    await bind(team, 'alice', 'edit');
    await bind(team, 'amir', 'admin');
    const expected = KINDS.flatMap((k) => VERBS.map((v) => `${v} ${k}`));
    for (const user of ['alice', 'amir']) {
      expect(await rights(user, team), user).to.deep.equal(expected);
      expect(await rights(user, other), `${user} elsewhere`).to.deep.equal([]);
    }
  });

  it('view in a namespace: get, list and watch only, and no status', async function () {
    this.timeout(120_000);
    const team = await testEnv().newNamespace('rbac-viewers');
    await bind(team, 'victor', 'view');
    expect(await rights('victor', team)).to.deep.equal(KINDS.flatMap((k) => READ.map((v) => `${v} ${k}`)));
  });

  it('namespaced install: Secrets only in its namespaces, read-only where connections keep theirs', async function () {
    this.timeout(120_000);
    const sa = `system:serviceaccount:${ns}:${release}`;
    const can = (verb: string, resource: string, namespace: string): Promise<boolean> =>
      allowed(sa, verb, resource, namespace, resource === 'secrets' || resource === 'namespaces' ? '' : 'omkeys.io');
    const table: Array<[string, string, string, boolean]> = [
      ['create', 'secrets', 'rbac-team-a', true],
      ['watch', 'secrets', 'rbac-team-b', true],
      ['list', 'secrets', '', false],
      ['get', 'secrets', 'default', false],
      ['get', 'secrets', 'rbac-vault', true],
      ['create', 'secrets', 'rbac-vault', false],
      ['watch', 'secrets', ns, true],
      ['update', 'secrets', ns, false],
      ['delete', 'secrets', 'rbac-team-a', false],
      ['update', 'opsmanagerapikeys/status', 'rbac-team-a', true],
      ['update', 'opsmanagerapikeys/status', 'default', false],
      ['list', 'opsmanagerapikeys', '', false],
      ['watch', 'opsmanagerconnections', 'rbac-team-b', true],
      ['update', 'opsmanagerconnections', 'rbac-team-b', false],
      ['watch', 'clusteropsmanagerconnections', '', true],
      ['update', 'clusteropsmanagerconnections/status', '', true],
      ['update', 'clusteropsmanagerconnections', '', false],
      ['watch', 'namespaces', '', true],
    ];
    const got: Array<[string, string, string, boolean]> = [];
    for (const [verb, resource, namespace] of table) {
      got.push([verb, resource, namespace, await can(verb, resource, namespace)]);
    }
    expect(got).to.deep.equal(table);
  });
});
