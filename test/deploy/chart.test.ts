import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot } from './compiled.ts';
import { chartDir, helm, release, renderObjects } from './helm.ts';
import { configFromContainer, expectedContainerSecurity, find, podOf, yamlDocs, type Obj } from './manifest-checks.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

const chartMeta = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };

function containerOf(objs: Obj[]): V1Container {
  return podOf(find(objs, 'Deployment')).container;
}

describe('deploy: Helm chart charts/omkeys (rendered by helm)', () => {
  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
  });

  it('passes helm lint --strict, with default values and with every optional value', async function () {
    this.timeout(60_000);
    const optional = 'serviceMonitor.enabled=true,prometheusRule.enabled=true,watchNamespaces={a,b}';
    const connection = 'connection.create=true,connection.baseUrl=https://om.example,connection.caSecret.name=ca';
    for (const set of [[], ['--set', optional], ['--set', connection]]) {
      const r = await helm(['lint', '--strict', chartDir, ...set]);
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(r.out).not.to.match(/\[(WARNING|ERROR)\]/);
    }
  });

  it('has the same RBAC rules as deploy/rbac.yaml, bound to its ServiceAccount in the release namespace', async () => {
    const objs = await renderObjects();
    const rbac = yamlDocs(path.join(repoRoot, 'deploy', 'rbac.yaml'));
    expect(find(objs, 'ClusterRole', 'omkeys').rules).to.deep.equal(find(rbac, 'ClusterRole', 'omkeys').rules);
    expect(find(objs, 'Role').rules).to.deep.equal(find(rbac, 'Role').rules);
    const sa = find(objs, 'ServiceAccount');
    expect(sa.metadata!.namespace).to.equal(release.namespace);
    for (const binding of [find(objs, 'ClusterRoleBinding'), find(objs, 'RoleBinding')]) {
      expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: sa.metadata!.name, namespace: release.namespace }]);
    }
    expect(find(objs, 'RoleBinding').roleRef.name).to.equal(find(objs, 'Role').metadata!.name);
    expect(find(objs, 'Role').metadata!.namespace).to.equal(release.namespace);
    expect(find(objs, 'ClusterRoleBinding').roleRef.name).to.equal('omkeys');
    expect(podOf(find(objs, 'Deployment')).pod.serviceAccountName).to.equal(sa.metadata!.name);
  });

  it('with default values: real settings only, the same probes and lockdown as deploy/operator.yaml', async () => {
    const objs = await renderObjects();
    const c = containerOf(objs);
    const { config, unread } = configFromContainer(c, { name: 'omkeys-abc', namespace: release.namespace });
    expect(unread).to.deep.equal([]);
    expect(c.env!.map((e) => e.name).filter((n) => /^OMKEYS_(OM_BASE_URL|OM_CREDENTIALS|OM_CA|DEFAULT_CONN|ALLOW)/.test(n))).to.deep.equal([]);
    expect(config.namespaces).to.deep.equal([]);
    expect(config.leaderElection).to.deep.include({ namespace: release.namespace, name: 'omkeys-leader', identity: 'omkeys-abc', leaseDurationMs: 15_000 });
    expect(config.resyncPeriodMs).to.equal(600_000);
    const plain = podOf(find(yamlDocs(path.join(repoRoot, 'deploy', 'operator.yaml')), 'Deployment')).container;
    for (const k of ['livenessProbe', 'readinessProbe', 'securityContext', 'resources', 'ports'] as const) expect(c[k], k).to.deep.equal(plain[k]);
    expect(c.securityContext).to.deep.equal(expectedContainerSecurity());
    const d = find(objs, 'Deployment');
    expect(d.spec!.replicas).to.equal(2);
    expect(podOf(d).pod.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.image).to.equal(`ghcr.io/omkeys/omkeys:${chartMeta.appVersion}`);
    const selector = d.spec!.selector.matchLabels!;
    expect(Object.keys(selector)).to.have.length.greaterThan(0);
    for (const [k, v] of Object.entries(selector)) expect(d.spec!.template.metadata!.labels![k], k).to.equal(v);
    expect(c.volumeMounts).to.equal(undefined);
    expect(find(objs, 'Service').spec!.selector).to.deep.equal(selector);
  });

  it('maps every value to its setting: namespaces, namespaced connection hosts, tuning', async () => {
    const objs = await renderObjects({
      image: { repository: 'registry.example/omkeys', tag: '1.2.3' },
      replicas: 3,
      watchNamespaces: ['team-a', 'team-b', 'team-c'],
      namespacedConnectionHosts: ['om.example.com', 'om2.example.com:8443'],
      resyncPeriod: '5m',
      concurrency: 4,
      opsManager: { maxConcurrency: 8, maxRequestsPerSecond: 20, timeout: '10s' },
      logLevel: 'debug',
      leaderElection: { enabled: true, leaseName: 'omkeys-a' },
    });
    const c = containerOf(objs);
    const d = find(objs, 'Deployment');
    const { config, env, unread } = configFromContainer(c, { name: 'p', namespace: release.namespace });
    expect(unread).to.deep.equal([]);
    expect(c.image).to.equal('registry.example/omkeys:1.2.3');
    expect(d.spec!.replicas).to.equal(3);
    expect(config.namespaces).to.deep.equal(['team-a', 'team-b', 'team-c']);
    expect(env.OMKEYS_NAMESPACED_CONNECTION_HOSTS).to.equal('om.example.com,om2.example.com:8443');
    expect(config.resyncPeriodMs).to.equal(300_000);
    expect(config.concurrency).to.equal(4);
    expect(config.opsManager).to.deep.equal({ maxConcurrency: 8, maxRequestsPerSecond: 20, timeoutMs: 10_000 });
    expect(config.logLevel).to.equal('debug');
    expect(config.leaderElection).to.deep.include({ name: 'omkeys-a' });
  });

  it('can run without leader election or metrics Service; mounts nothing (connections are API objects)', async () => {
    const objs = await renderObjects({ leaderElection: { enabled: false }, replicas: 1, metricsService: { enabled: false } });
    const c = containerOf(objs);
    const { config, unread } = configFromContainer(c, { name: 'p', namespace: release.namespace });
    expect(unread).to.deep.equal([]);
    expect(config.leaderElection).to.equal(false);
    expect(c.volumeMounts).to.equal(undefined);
    expect(podOf(find(objs, 'Deployment')).pod.volumes).to.equal(undefined);
    expect(objs.some((o) => o.kind === 'Service')).to.equal(false);
  });

  it('its values.yaml names every OMKEYS_* variable the Deployment template can set', () => {
    const values = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
    const template = readFileSync(path.join(chartDir, 'templates', 'deployment.yaml'), 'utf8');
    const names = [...new Set([...template.matchAll(/name: (OMKEYS_[A-Z_]+)/g)].map((m) => m[1]!))];
    expect(names.length).to.be.greaterThan(10);
    expect(names.filter((n) => !values.includes(n))).to.deep.equal([]);
  });
});
