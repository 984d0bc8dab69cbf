import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { V1Secret } from '@kubernetes/client-node';
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
    const { config, unread } = configFromContainer(container, { name: 'omkeys-7d9f-abcde', namespace: 'omkeys-system' });
    expect(unread).to.deep.equal([]);
    expect(config.connection.baseUrl).to.match(/^https:\/\//);
    expect(config.connection.credentialsSecret).to.deep.equal({ namespace: 'omkeys-system', name: 'om-credentials' });
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
    expect(k.resources).to.include.members(['rbac.yaml', 'operator.yaml']);
    const crds = readdirSync(path.join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml'));
    expect(k.resources).to.include.members(crds.map((f) => `crds/${f}`));
    for (const r of k.resources) expect(yamlDocs(deploy(r)).length, r).to.be.greaterThan(0);
    expect(k.resources).not.to.include('credentials-secret.example.yaml');
  });

  it('deploy/crds/ is a byte-identical copy of crds/ (kustomize loads nothing outside deploy/)', () => {
    const src = readdirSync(path.join(repoRoot, 'crds')).sort();
    expect(readdirSync(deploy('crds')).sort()).to.deep.equal(src);
    for (const f of src) {
      const same = readFileSync(deploy(`crds/${f}`)).equals(readFileSync(path.join(repoRoot, 'crds', f)));
      expect(same, `deploy/crds/${f} differs from crds/${f}: cp crds/*.yaml deploy/crds/`).to.equal(true);
    }
  });

  it('the example credentials Secret is entirely commented out, and names what the Deployment reads', () => {
    const text = readFileSync(deploy('credentials-secret.example.yaml'), 'utf8');
    expect(parse(text)).to.equal(null);
    const example = parse(text.slice(text.indexOf('# apiVersion')).split('\n').map((l) => l.replace(/^# ?/, '')).join('\n')) as V1Secret;
    expect(example.kind).to.equal('Secret');
    expect(`${example.metadata!.namespace}/${example.metadata!.name}`).to.equal('omkeys-system/om-credentials');
    expect(example.stringData).to.include.keys('publicKey', 'privateKey');
  });
});
