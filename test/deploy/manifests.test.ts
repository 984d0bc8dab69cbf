import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot } from './compiled.ts';
import { configFromContainer, expectedContainerSecurity, find, podOf, yamlDocs } from './manifest-checks.ts';

const deploy = (f: string): string => path.join(repoRoot, 'deploy', f);

describe('deploy: plain manifests (kubectl apply -k deploy/)', () => {
  const objs = yamlDocs(deploy('operator.yaml'));
  const rbac = yamlDocs(deploy('rbac.yaml'));
  const deployment = find(objs, 'Deployment', 'omkeys');
  const { pod, container } = podOf(deployment);
  const podLabels = deployment.spec!.template.metadata!.labels!;
  const selector = deployment.spec!.selector.matchLabels!;

  it('runs two replicas of one container as the ServiceAccount of rbac.yaml, in its namespace', () => {
    const sa = find(rbac, 'ServiceAccount');
    expect(deployment.metadata!.namespace).to.equal(sa.metadata!.namespace);
    expect(pod.serviceAccountName).to.equal(sa.metadata!.name);
    expect(deployment.spec!.replicas).to.equal(2);
    expect(pod.containers).to.have.length(1);
    expect(Object.keys(selector)).to.have.length.greaterThan(0);
    for (const [k, v] of Object.entries(selector)) expect(podLabels[k], k).to.equal(v);
  });

  it('probes /healthz and /readyz on the http port 8080, which the metrics Service exposes', () => {
    expect(container.ports?.find((p) => p.name === 'http')?.containerPort).to.equal(8080);
    expect(container.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    const svc = find(objs, 'Service', 'omkeys-metrics');
    expect(svc.spec!.ports![0]).to.include({ name: 'metrics', targetPort: 'http' });
    for (const [k, v] of Object.entries(svc.spec!.selector!)) expect(podLabels[k]).to.equal(v);
    expect(container.env?.find((e) => e.name === 'OMKEYS_HTTP_PORT')?.value).to.equal('8080');
  });

  it('is locked down: non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, bounded memory', () => {
    expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.securityContext?.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
    expect(container.securityContext).to.deep.equal(expectedContainerSecurity());
    expect(container.resources?.requests).to.include.keys('cpu', 'memory');
    expect(container.resources?.limits).to.include.keys('memory');
  });

  it('sets only real settings, which parseConfig accepts, with pod identity from the downward API', () => {
    const byName = new Map((container.env ?? []).map((e) => [e.name, e]));
    expect(byName.get('POD_NAME')?.valueFrom).to.deep.equal({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(byName.get('POD_NAMESPACE')?.valueFrom).to.deep.equal({ fieldRef: { fieldPath: 'metadata.namespace' } });
    const { config, env, unread } = configFromContainer(container, { name: 'omkeys-7d9f-abcde', namespace: 'omkeys-system' });
    expect(unread).to.deep.equal([]);
    // Connections are API objects (connection.example.yaml), never settings.
    expect(Object.keys(env).filter((n) => /^OMKEYS_(OM_BASE_URL|OM_CREDENTIALS|OM_PUBLIC|OM_PRIVATE|OM_CA|DEFAULT_CONN|ALLOW)/.test(n))).to.deep.equal([]);
    expect(config.namespaces).to.deep.equal([]);
    expect(config.leaderElection).to.deep.include({ namespace: 'omkeys-system', name: 'omkeys-leader', identity: 'omkeys-7d9f-abcde', leaseDurationMs: 15_000 });
    expect(config.http.port).to.equal(8080);
  });

  it('the leader-election Role lives where the pods do and covers the Lease verbs', () => {
    const role = find(rbac, 'Role', 'omkeys-leader-election');
    expect(role.metadata!.namespace).to.equal(deployment.metadata!.namespace);
    expect(role.rules![0]!.verbs).to.include.members(['get', 'create', 'update']);
  });

  it('the kustomization lists the CRDs, rbac.yaml and operator.yaml, and every listed file exists', () => {
    const k = parse(readFileSync(deploy('kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(k.resources).to.include.members(['rbac.yaml', 'user-roles.yaml', 'operator.yaml']);
    const crds = readdirSync(path.join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml'));
    expect(k.resources).to.include.members(crds.map((f) => `crds/${f}`));
    for (const r of k.resources) expect(yamlDocs(deploy(r)).length, r).to.be.greaterThan(0);
    expect(k.resources).not.to.include('connection.example.yaml');
  });

  it('deploy/crds/ is a byte-identical copy of crds/ (kustomize loads nothing outside deploy/)', () => {
    const src = readdirSync(path.join(repoRoot, 'crds')).sort();
    expect(readdirSync(deploy('crds')).sort()).to.deep.equal(src);
    for (const f of src) {
      const same = readFileSync(deploy(`crds/${f}`)).equals(readFileSync(path.join(repoRoot, 'crds', f)));
      expect(same, `deploy/crds/${f} differs from crds/${f}: cp crds/*.yaml deploy/crds/`).to.equal(true);
    }
  });

  it('the example connection is a ClusterOpsManagerConnection; its credentials Secret only a comment', () => {
    const text = readFileSync(deploy('connection.example.yaml'), 'utf8');
    const docs = yamlDocs(deploy('connection.example.yaml'));
    expect(docs.map((d) => d.kind)).to.deep.equal(['ClusterOpsManagerConnection']);
    const c = docs[0] as unknown as { spec: { baseUrl: string; credentialsSecretRef: { namespace: string; name: string }; default: boolean; policy: { grants: unknown[] } } };
    expect(c.spec.baseUrl).to.match(/^https:\/\//);
    expect(c.spec.default).to.equal(true);
    expect(c.spec.policy.grants).to.have.length(1);
    const ref = c.spec.credentialsSecretRef;
    expect(text).to.include(`kubectl -n ${ref.namespace} create secret generic ${ref.name} \\\n`);
    expect(text).to.match(/--from-literal=publicKey=\S+ *\\\n#\s+--from-literal=privateKey=\S+\n/);
    expect(text).not.to.match(/^kind: Secret/m);
  });

  it('deploy/user-roles.yaml: omkeys-edit aggregated into edit and admin, omkeys-view into view, never status', () => {
    const roles = yamlDocs(deploy('user-roles.yaml'));
    expect(roles.map((r) => `${r.kind}/${r.metadata!.name}`)).to.deep.equal(['ClusterRole/omkeys-edit', 'ClusterRole/omkeys-view']);
    const kinds = ['opsmanagerapikeys', 'projectkeybindings', 'opsmanagerconnections'];
    expect(find(roles, 'ClusterRole', 'omkeys-edit')).to.deep.equal({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'omkeys-edit', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true', 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } },
      rules: [{ apiGroups: ['omkeys.io'], resources: kinds, verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] }],
    });
    expect(find(roles, 'ClusterRole', 'omkeys-view')).to.deep.equal({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'omkeys-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: ['omkeys.io'], resources: kinds, verbs: ['get', 'list', 'watch'] }],
    });
  });

  it("rbac.yaml: the operator reads both connection kinds and writes only their status, never their spec", () => {
    const rules = find(rbac, 'ClusterRole', 'omkeys').rules!;
    const verbsOn = (resource: string): string[] => rules.filter((r) => r.apiGroups?.includes('omkeys.io') && r.resources?.includes(resource)).flatMap((r) => r.verbs);
    for (const kind of ['clusteropsmanagerconnections', 'opsmanagerconnections']) {
      expect(verbsOn(kind), kind).to.deep.equal(['get', 'list', 'watch']);
      expect(verbsOn(`${kind}/status`), kind).to.deep.equal(['get', 'update']);
    }
    const namespaces = rules.filter((r) => r.resources?.includes('namespaces') && r.resourceNames === undefined);
    expect(namespaces.flatMap((r) => r.verbs)).to.deep.equal(['get', 'list', 'watch']);
  });
});
