import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { GROUP_ROLES, ORG_ROLES } from '../../src/api/types.ts';
import { chartDir, everyOptionalValue, helm, release, renderObjects, withValuesFile } from './helm.ts';
import { find, type Obj } from './manifest-checks.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from './tool-bins.ts';

type Schema = { properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; additionalProperties?: unknown };
const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as Schema;
const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;

/** `helm template` with these values; what helm printed and its exit code. */
async function template(v: Record<string, unknown>): Promise<{ code: number; out: string }> {
  return withValuesFile(v, (f) => helm(['template', release.name, chartDir, '--namespace', release.namespace, '-f', f]));
}

function kinds(objs: Obj[]): string[] {
  return objs.map((o) => o.kind ?? '').sort();
}

describe('deploy: chart values (values.schema.json) and the optional objects', () => {
  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('helm');
  });

  it('the schema describes every key of values.yaml, and refuses keys it does not know', () => {
    const walk = (v: unknown, s: Schema | undefined, at: string): string[] => {
      if (!s) return [at];
      if (v === null || typeof v !== 'object' || Array.isArray(v) || s.properties === undefined) return [];
      return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => walk(x, s.properties![k], `${at}.${k}`));
    };
    expect(walk(values, schema, 'values')).to.deep.equal([]);
    expect(schema.additionalProperties).to.equal(false);
  });

  it("allows exactly the roles the API defines in a connection policy's grants", () => {
    const grant = (schema as { definitions: Record<string, Schema> }).definitions.grant!;
    expect(grant.properties!.roles!.items!.enum).to.have.members([...ORG_ROLES, ...GROUP_ROLES]);
  });

  it('refuses a wrong value with a message that names it, in helm template (helm install: test/integration/deploy/helm.test.ts)', async function () {
    this.timeout(60_000);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ replicas: 0 }, /at '\/replicas': minimum: got 0, want 1/],
      [{ replica: 2 }, /additional properties 'replica' not allowed/],
      [{ logLevel: 'loud' }, /at '\/logLevel': value must be one of 'fatal', 'error', 'warn', 'info'/],
      [{ resyncPeriod: '10 minutes' }, /at '\/resyncPeriod': '10 minutes' does not match pattern/],
      [{ connection: { baseUrl: 'opsmanager:8443' } }, /at '\/connection\/baseUrl'/],
      [{ connection: { create: true } }, /at '\/connection\/baseUrl': minLength: got 0, want 1/],
      [{ connection: { credentialsSecret: 'om-credentials' } }, /at '\/connection\/credentialsSecret': got string, want object/],
      [{ connection: { caBundle: { secretName: 'a' } } }, /additional properties 'caBundle' not allowed/],
      [{ policy: { allowedRoles: ['ORG_MEMBER'] } }, /additional properties 'policy' not allowed/],
      [{ connection: { policy: { grants: [{ roles: ['ORG_MEMBER'] }] } } }, /at '\/connection\/policy\/grants\/0': missing property 'namespaces'/],
      [{ connection: { policy: { grants: [{ namespaces: {} }] } } }, /at '\/connection\/policy\/grants\/0\/namespaces': minProperties: got 0, want 1/],
      [{ connection: { policy: { grants: [{ namespaces: { names: ['a'] }, roles: ['ORG_ADMIN'] }] } } }, /grants\/0\/roles\/0': value must be one of/],
      [{ connection: { policy: { grants: [{ namespaces: { names: ['a'] }, projects: ['5f00'] }] } } }, /grants\/0\/projects\/0': '5f00' does not match pattern/],
      [{ connection: { policy: { grants: [{ namespaces: { names: ['a'] }, adoption: 'Always' }] } } }, /grants\/0\/adoption': value must be one of/],
      [{ watchNamespaces: ['Team_A'] }, /at '\/watchNamespaces\/0'/],
      [{ namespacedConnectionHosts: ['https://om.example'] }, /at '\/namespacedConnectionHosts\/0'/],
      [{ userRoles: { enabled: 'yes' } }, /at '\/userRoles\/enabled': got string, want boolean/],
      [{ serviceMonitor: { enabled: true }, metricsService: { enabled: false } }, /at '\/metricsService\/enabled': value must be true/],
      [{ prometheusRule: { reconcileErrorRatio: 2 } }, /at '\/prometheusRule\/reconcileErrorRatio': maximum: got 2, want 1/],
      [{ podDisruptionBudget: { maxUnavailable: '150%' } }, /at '\/podDisruptionBudget\/maxUnavailable'/],
    ];
    for (const [v, message] of cases) {
      const r = await template(v);
      expect(r.code, JSON.stringify(v)).to.not.equal(0);
      expect(r.out, JSON.stringify(v)).to.match(/values don't meet the specifications of the schema/).and.to.match(message);
    }
  });

  it('renders the CRDs and the operator by default: no ServiceMonitor or PrometheusRule unless asked', async function () {
    this.timeout(30_000);
    const operator = ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'];
    const userRoles = ['ClusterRole', 'ClusterRole'];
    const crds = Array<string>(4).fill('CustomResourceDefinition');
    expect(kinds(await renderObjects())).to.deep.equal([...operator, ...userRoles, ...crds].sort());
    const all = await renderObjects(everyOptionalValue);
    expect(kinds(all)).to.include.members(['PodDisruptionBudget', 'ServiceMonitor', 'PrometheusRule', 'ClusterOpsManagerConnection']);
  });

  it('a PodDisruptionBudget keeps one of the two replicas through a drain; opt-out removes it', async function () {
    this.timeout(30_000);
    const objs = await renderObjects();
    const pdb = find(objs, 'PodDisruptionBudget');
    const d = find(objs, 'Deployment');
    expect(pdb.metadata!.namespace).to.equal(release.namespace);
    expect(pdb.spec!.maxUnavailable).to.equal(1);
    expect(pdb.spec!.selector!.matchLabels).to.deep.equal(d.spec!.selector.matchLabels);
    expect(d.spec!.replicas).to.equal(2);
    expect(kinds(await renderObjects({ podDisruptionBudget: { enabled: false } }))).not.to.include('PodDisruptionBudget');
  });

  it('the ServiceMonitor scrapes the metrics Service by its port name and keeps the per-key namespace label', async function () {
    this.timeout(30_000);
    const objs = await renderObjects({ serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prom' } } });
    type Monitor = { metadata: { labels: Record<string, string>; namespace: string }; spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: Array<Record<string, unknown>> } };
    const sm = objs.find((o) => o.kind === 'ServiceMonitor') as unknown as Monitor;
    const svc = find(objs, 'Service');
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svc.metadata!.labels![k], k).to.equal(v);
    expect(sm.spec.namespaceSelector.matchNames).to.deep.equal([release.namespace]);
    expect(sm.spec.endpoints).to.deep.equal([{ port: svc.spec!.ports![0]!.name, path: '/metrics', interval: '15s', scrapeTimeout: '10s', honorLabels: true }]);
    expect(sm.metadata.labels.release).to.equal('prom');
  });
});
