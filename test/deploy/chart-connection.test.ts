import { expect } from 'chai';
import { chartDir, helm, parseDocs, release, renderObjects, withValuesFile } from './helm.ts';
import type { Obj } from './manifest-checks.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

type Connection = Obj & {
  apiVersion: string;
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
};

/** The same kind as a CRD the cluster already serves (what `helm upgrade` sees after the first install). */
const known = ['--api-versions', 'omkeys.io/v1alpha1/ClusterOpsManagerConnection'];

async function connectionOf(values: Record<string, unknown>, extra: string[] = []): Promise<Connection | undefined> {
  const args = ['template', release.name, chartDir, '--namespace', release.namespace, ...extra];
  const r = await withValuesFile(values, (f) => helm([...args, '-f', f]));
  if (r.code !== 0) throw new Error(r.out);
  return parseDocs(r.stdout).find((o) => o.kind === 'ClusterOpsManagerConnection') as Connection | undefined;
}

const labels = {
  'app.kubernetes.io/name': 'omkeys',
  'app.kubernetes.io/instance': release.name,
  'app.kubernetes.io/managed-by': 'Helm',
};

describe('deploy: the chart creates a ClusterOpsManagerConnection from its values (connection.*)', () => {
  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
  });

  it('renders none unless connection.create', async function () {
    this.timeout(30_000);
    expect(await connectionOf({})).to.equal(undefined);
    expect(await connectionOf({ connection: { baseUrl: 'https://om.example' } }, known)).to.equal(undefined);
  });

  it('renders every value into the spec; Secrets default to the release namespace', async function () {
    this.timeout(30_000);
    const grants = [
      { namespaces: { names: ['a'] }, projects: ['5f0000000000000000000001'], roles: ['GROUP_READ_ONLY'], maxKeys: 20 },
      {
        namespaces: { selector: { matchLabels: { 'omkeys.io/org': 'shared' } } },
        organizations: ['5f0000000000000000000002'],
        roles: ['ORG_OWNER'],
        adoption: 'Rotate',
      },
    ];
    const c = await connectionOf({
      connection: {
        create: true,
        name: 'om-prod',
        baseUrl: 'https://om.example:8443',
        caSecret: { name: 'om-ca', key: 'bundle.pem' },
        default: false,
        policy: { grants },
      },
    }, known);
    expect(c).to.deep.equal({
      apiVersion: 'omkeys.io/v1alpha1',
      kind: 'ClusterOpsManagerConnection',
      metadata: {
        name: 'om-prod',
        labels: { ...labels, 'app.kubernetes.io/version': c!.metadata.labels['app.kubernetes.io/version'] },
        annotations: { 'helm.sh/resource-policy': 'keep' },
      },
      spec: {
        baseUrl: 'https://om.example:8443',
        credentialsSecretRef: { namespace: release.namespace, name: 'om-credentials' },
        caSecretRef: { namespace: release.namespace, name: 'om-ca', key: 'bundle.pem' },
        default: false,
        policy: { grants },
      },
    });
  });

  it('defaults: default true, no CA, not insecure, no grant (deny); the Secret namespace as given', async function () {
    this.timeout(30_000);
    const credentialsSecret = { name: 'om-admin', namespace: 'mongodb' };
    const values = { create: true, baseUrl: 'http://om.local:8080', credentialsSecret, insecureSkipTlsVerify: false };
    const c = await connectionOf({ connection: values }, known);
    expect(c!.spec).to.deep.equal({
      baseUrl: 'http://om.local:8080',
      credentialsSecretRef: { namespace: 'mongodb', name: 'om-admin' },
      default: true,
      policy: { grants: [] },
    });
    const insecureValues = { create: true, baseUrl: 'https://om.local', insecureSkipTlsVerify: true };
    const insecure = await connectionOf({ connection: insecureValues }, known);
    expect(insecure!.spec.insecureSkipTlsVerify).to.equal(true);
  });

  it('ids that YAML could read as numbers stay strings', async function () {
    this.timeout(30_000);
    const ids = ['500000000000000000000001', '5e0000000000000000000001', '0000000000000000000000e1'];
    const grants = [{ namespaces: { names: ['a'] }, projects: ids, organizations: ids }];
    const connection = { create: true, baseUrl: 'https://om.example', policy: { grants } };
    const c = await connectionOf({ connection }, known);
    const grant = (c!.spec.policy as { grants: Array<{ projects: unknown[]; organizations: unknown[] }> }).grants[0]!;
    expect(grant.projects).to.deep.equal(ids);
    expect(grant.organizations).to.deep.equal(ids);
  });

  it('first install (CRD not served yet): a post-install hook the next upgrade adopts', async function () {
    this.timeout(30_000);
    const c = await connectionOf({ connection: { create: true, baseUrl: 'https://om.example' } });
    expect(c!.metadata.annotations).to.deep.equal({
      'helm.sh/hook': 'post-install',
      'meta.helm.sh/release-name': release.name,
      'meta.helm.sh/release-namespace': release.namespace,
      'helm.sh/resource-policy': 'keep',
    });
    // checkOwnership of `helm upgrade` adopts an object with these annotations and this label.
    expect(c!.metadata.labels).to.deep.include(labels);
    const objs = await renderObjects({ connection: { create: true, baseUrl: 'https://om.example' } });
    expect(objs.filter((o) => o.kind === 'ClusterOpsManagerConnection')).to.have.length(1);
  });

  it('crds.keep=false: helm uninstall deletes the connection too', async function () {
    this.timeout(30_000);
    const values = { crds: { keep: false }, connection: { create: true, baseUrl: 'https://om.example' } };
    const c = await connectionOf(values, known);
    expect(c!.metadata.annotations).to.equal(undefined);
  });
});
