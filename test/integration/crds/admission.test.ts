// The CRDs against the real kube-apiserver: what people write is accepted and stored as written,
// what is wrong is refused with a message that says what to fix.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApiextensionsV1Api, CustomObjectsApi, loadAllYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parse } from 'yaml';
import { testEnv } from '../../../tools/envtest/env.ts';
import {
  CLUSTER_CONNECTION_KIND,
  CLUSTER_CONNECTION_PLURAL,
  GROUP,
  NAMESPACED_CONNECTION_KIND,
  NAMESPACED_CONNECTION_PLURAL,
  OPS_MANAGER_API_KEY_KIND,
  OPS_MANAGER_API_KEY_PLURAL,
  PROJECT_KEY_BINDING_PLURAL,
  VERSION,
} from '../../../src/api/types.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

/** Stand-ins for the simulator's ids, which `make demo` puts in place of the placeholders. */
const ids: Record<string, string> = {
  OMKEYS_SIM_ORG_ID: '5f0c3b7c2e9a1b0001a1b2c3',
  OMKEYS_SIM_PROJECT_ID_0: '6a1b2c3d4e5f60718293a4b5',
  OMKEYS_SIM_PROJECT_ID_1: '6a1b2c3d4e5f60718293a4b6',
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}

function load(file: string): { text: string; obj: Manifest } {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/\$\{(\w+)\}/g, (all, name: string) => ids[name] ?? all);
  return { text, obj: parse(text) as Manifest };
}

const PLURALS: Record<string, string> = {
  [OPS_MANAGER_API_KEY_KIND]: OPS_MANAGER_API_KEY_PLURAL,
  [CLUSTER_CONNECTION_KIND]: CLUSTER_CONNECTION_PLURAL,
  [NAMESPACED_CONNECTION_KIND]: NAMESPACED_CONNECTION_PLURAL,
};

function pluralOf(obj: Manifest): string {
  return PLURALS[obj.kind] ?? PROJECT_KEY_BINDING_PLURAL;
}

/** A cluster-scoped object is named after the test's namespace, so that tests never share one. */
function scoped(obj: Manifest, namespace: string): Manifest {
  return obj.kind === CLUSTER_CONNECTION_KIND ? { ...obj, metadata: { ...obj.metadata, name: `${obj.metadata.name}-${namespace}` } } : obj;
}

/**
 * Cluster-scoped objects the tests made: no namespace takes them away, and a stored connection
 * marked default would be a second default for every suite that runs after this one.
 */
const madeClusterObjects: string[] = [];

/** Creates as `kubectl apply` would (strict field validation), in `namespace`. */
async function create(api: CustomObjectsApi, namespace: string, given: Manifest): Promise<Manifest> {
  const obj = scoped(given, namespace);
  if (obj.kind === CLUSTER_CONNECTION_KIND) {
    const made = (await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: pluralOf(obj), body: obj, fieldValidation: 'Strict' })) as Manifest;
    madeClusterObjects.push(obj.metadata.name);
    return made;
  }
  return (await api.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: pluralOf(obj),
    body: { ...obj, metadata: { ...obj.metadata, namespace } },
    fieldValidation: 'Strict',
  })) as Manifest;
}

async function get(api: CustomObjectsApi, namespace: string, given: Manifest): Promise<Manifest> {
  const obj = scoped(given, namespace);
  if (obj.kind === CLUSTER_CONNECTION_KIND) {
    return (await api.getClusterCustomObject({ group: GROUP, version: VERSION, plural: pluralOf(obj), name: obj.metadata.name })) as Manifest;
  }
  return (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: pluralOf(obj), name: obj.metadata.name })) as Manifest;
}

async function replace(api: CustomObjectsApi, namespace: string, obj: Manifest): Promise<Manifest> {
  return (await api.replaceNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: pluralOf(obj),
    name: obj.metadata.name,
    body: obj,
    fieldValidation: 'Strict',
  })) as Manifest;
}

/** The API server's refusal: HTTP status and the Status message a person would read. */
async function rejection(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string } | undefined);
    return { code: e.code ?? 0, message: body?.message ?? String(err) };
  }
  throw new Error('the API server accepted it');
}

/** Splits kubectl's table output into cells by the header's column starts (cells may be empty). */
function table(text: string): { header: string[]; rows: string[][] } {
  const [head = '', ...lines] = text.split('\n').filter((l) => l.trim() !== '');
  const starts = [...head.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index);
  const cut = (l: string): string[] => starts.map((s, i) => l.slice(s, starts[i + 1]).trim());
  return { header: cut(head), rows: lines.map(cut) };
}

/** JSON with object keys sorted: the API server hands maps back in its own order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function celCount(schemaJson: string): number {
  return schemaJson.split('"rule":').length - 1;
}

/** What the server should store: the spec as written, plus the schema's defaults. */
function withDefaults(obj: Manifest): Record<string, unknown> | undefined {
  if (obj.kind === CLUSTER_CONNECTION_KIND) {
    const policy = obj.spec?.policy as { grants?: Array<Record<string, unknown>> } | undefined;
    if (!policy?.grants) return obj.spec;
    return { ...obj.spec, policy: { ...policy, grants: policy.grants.map((g) => ({ adoption: 'None', ...g })) } };
  }
  if (obj.kind !== OPS_MANAGER_API_KEY_KIND) return obj.spec;
  return { deletionPolicy: 'Delete', ...obj.spec };
}

describe('CRD admission (real kube-apiserver)', function () {
  this.timeout(60_000);
  const api = (): CustomObjectsApi => testEnv().kc.makeApiClient(CustomObjectsApi);

  afterEach(async () => {
    for (const name of madeClusterObjects.splice(0)) {
      await api().deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: CLUSTER_CONNECTION_PLURAL, name }).catch((err: unknown) => {
        if ((err as { code?: number }).code !== 404) throw err;
      });
    }
  });

  before(async () => {
    // Every test below depends on the API server enforcing the CRDs as written; say so once, plainly, if it does not.
    const ext = testEnv().kc.makeApiClient(ApiextensionsV1Api);
    for (const file of readdirSync(path.join(root, 'crds')).filter((f) => f.endsWith('.yaml'))) {
      const want = loadAllYaml(readFileSync(path.join(root, 'crds', file), 'utf8'))[0] as V1CustomResourceDefinition;
      const got = await ext.readCustomResourceDefinition({ name: want.metadata?.name ?? '' });
      const wantSchema = canonical(want.spec.versions[0]?.schema);
      const gotSchema = canonical(got.spec.versions[0]?.schema);
      if (gotSchema !== wantSchema) {
        throw new Error(
          `the installed CRD ${got.metadata?.name} differs from crds/${file} (CEL rules: ${celCount(gotSchema)} installed, ${celCount(wantSchema)} in the file); ` +
            'raw YAML sent through the typed client loses x-kubernetes-*, default and similar keys: deserialize it with loadAllYaml first',
        );
      }
    }
  });

  describe('accepts and stores as written', () => {
    for (const file of [...yamlFiles('test/fixtures/valid'), ...yamlFiles('examples')]) {
      it(file, async () => {
        const ns = await testEnv().newNamespace('crd');
        const { obj } = load(file);
        expect(JSON.stringify(obj), 'a placeholder was left unsubstituted').to.not.contain('${');
        await create(api(), ns, obj);
        const back = await get(api(), ns, obj);
        expect(back.spec).to.deep.equal(withDefaults(obj));
      });
    }
  });

  describe('refuses with a message that says why', () => {
    const files = yamlFiles('test/fixtures/invalid');
    it('has a corpus of at least 45 invalid manifests', () => {
      expect(files.length).to.be.at.least(45);
    });
    for (const file of files) {
      const { text, obj } = load(file);
      const expected = /^# expect: (.+)$/m.exec(text)?.[1]?.trim() ?? '';
      it(`${path.basename(file)}: ${expected}`, async () => {
        expect(expected, 'fixture has no "# expect:" line').to.not.equal('');
        const ns = await testEnv().newNamespace('crd');
        const { code, message } = await rejection(create(api(), ns, obj));
        expect([400, 422], message).to.include(code);
        expect(message).to.contain(expected);
        expect(message, 'a failing rule must not surface as a CEL evaluation error').to.not.match(/evaluation error|no such overload|cost/i);
      });
    }
  });

  describe('updates', () => {
    const orgKey = (): Manifest => load('test/fixtures/valid/key-minimal-org.yaml').obj;
    const binding = (): Manifest => load('test/fixtures/valid/pkb-single-role.yaml').obj;

    it('lets roles, description, access list and rotation change', async () => {
      const ns = await testEnv().newNamespace('crd');
      const created = await create(api(), ns, orgKey());
      const spec = { ...created.spec, roles: ['ORG_OWNER'], description: 'changed', accessList: [{ ipAddress: '192.0.2.1' }], rotation: { every: '24h' } };
      await replace(api(), ns, { ...created, spec });
      expect((await get(api(), ns, created)).spec).to.deep.equal(spec);
    });

    it('refuses to change orgId', async () => {
      const ns = await testEnv().newNamespace('crd');
      const created = await create(api(), ns, orgKey());
      const { message } = await rejection(replace(api(), ns, { ...created, spec: { ...created.spec, orgId: 'aaaaaaaaaaaaaaaaaaaaaaaa' } }));
      expect(message).to.contain('orgId is immutable');
    });

    it('refuses to turn an organization key into a project key', async () => {
      const ns = await testEnv().newNamespace('crd');
      const created = await create(api(), ns, orgKey());
      const spec = { roles: ['GROUP_READ_ONLY'], projectId: '6a1b2c3d4e5f60718293a4b5', deletionPolicy: 'Delete' };
      const { message } = await rejection(replace(api(), ns, { ...created, spec }));
      expect(message).to.contain('spec.orgId and spec.projectId cannot be added or removed after creation');
    });

    it('refuses to add, change or remove spec.adopt after creation', async () => {
      const ns = await testEnv().newNamespace('crd');
      const created = await create(api(), ns, orgKey());
      const added = await rejection(replace(api(), ns, { ...created, spec: { ...created.spec, adopt: { keyId: '65a1b2c3d4e5f60718293a4b', rotate: true } } }));
      expect(added.message).to.contain('spec.adopt is immutable');
      const adopting = await create(api(), ns, load('test/fixtures/valid/key-adopt-and-configmap.yaml').obj);
      const spec = adopting.spec as Record<string, unknown>;
      const changed = await rejection(replace(api(), ns, { ...adopting, spec: { ...spec, adopt: { keyId: 'ffffffffffffffffffffffff', privateKeySecretRef: { name: 'x', key: 'y' } } } }));
      expect(changed.message).to.contain('spec.adopt is immutable');
      const { adopt: _a, ...without } = spec;
      const removed = await rejection(replace(api(), ns, { ...adopting, spec: without }));
      expect(removed.message).to.contain('spec.adopt is immutable');
    });

    it('refuses to change projectId of a project key', async () => {
      const ns = await testEnv().newNamespace('crd');
      const created = await create(api(), ns, load('test/fixtures/valid/key-project-all-roles.yaml').obj);
      const { message } = await rejection(replace(api(), ns, { ...created, spec: { ...created.spec, projectId: 'bbbbbbbbbbbbbbbbbbbbbbbb' } }));
      expect(message).to.contain('projectId is immutable');
    });

    it('refuses to move a binding to another key or project, but lets its roles change', async () => {
      const ns = await testEnv().newNamespace('crd');
      const created = await create(api(), ns, binding());
      const moved = await rejection(replace(api(), ns, { ...created, spec: { ...created.spec, projectId: 'cccccccccccccccccccccccc' } }));
      expect(moved.message).to.contain('projectId is immutable; create a new ProjectKeyBinding instead');
      const rekeyed = await rejection(replace(api(), ns, { ...created, spec: { ...created.spec, apiKeyRef: { name: 'other' } } }));
      expect(rekeyed.message).to.contain('apiKeyRef is immutable');
      await replace(api(), ns, { ...created, spec: { ...created.spec, roles: ['GROUP_OWNER'] } });
      expect((await get(api(), ns, created)).spec?.roles).to.deep.equal(['GROUP_OWNER']);
    });

    it('keeps every status field the controller writes (nothing pruned)', async () => {
      const ns = await testEnv().newNamespace('crd');
      const created = await create(api(), ns, orgKey());
      const status = {
        observedGeneration: 1,
        keyId: '65a1b2c3d4e5f60718293a4b',
        publicKey: 'abcdefgh',
        roles: ['ORG_MEMBER'],
        accessList: ['10.20.0.0/16', '192.0.2.10/32'],
        secretName: 'minimal-org',
        rotatedAt: '2026-01-01T00:00:00Z',
        nextRotationAt: '2026-01-31T00:00:00Z',
        previousKeyId: '65a1b2c3d4e5f60718293a4c',
        previousKeyRevokeAt: '2026-01-01T01:00:00Z',
        lastRotationRequest: '2026-01-01T00:00:00Z',
        createSettled: '{"id":"7@2026-01-01T00:00:00.000Z","tag":"omkeys-pending:abc","startedAt":"2026-01-01T00:00:00Z"}',
        conditions: [{ type: 'Ready', status: 'True', reason: 'Provisioned', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }],
      };
      await api().replaceNamespacedCustomObjectStatus({
        group: GROUP, version: VERSION, namespace: ns, plural: OPS_MANAGER_API_KEY_PLURAL, name: created.metadata.name,
        body: { ...created, status },
      });
      expect((await get(api(), ns, created)).status).to.deep.equal(status);
    });
  });

  it('kubectl get omkey,pkb prints the printer columns of docs/api-reference.md', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('crd');
    const key = await create(api(), ns, load('test/fixtures/valid/key-minimal-org.yaml').obj);
    await create(api(), ns, load('test/fixtures/valid/pkb-single-role.yaml').obj);
    const condition = { type: 'Ready', status: 'True', reason: 'Provisioned', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' };
    await api().replaceNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, namespace: ns, plural: OPS_MANAGER_API_KEY_PLURAL, name: key.metadata.name,
      body: { ...key, status: { publicKey: 'abcdefgh', roles: ['ORG_MEMBER'], conditions: [condition] } },
    });
    const { stdout } = await run(path.join(env.binDir, 'kubectl'), ['--kubeconfig', env.kubeconfigPath, '-n', ns, 'get', 'omkey,pkb']);
    const tables = stdout.split(/\n\s*\n/).map(table);
    const keys = tables.find((t) => t.header.includes('PUBLIC KEY'));
    const bindings = tables.find((t) => t.header.includes('PROJECT'));
    expect(keys?.header, stdout).to.deep.equal(['NAME', 'READY', 'PUBLIC KEY', 'ROLES', 'AGE']);
    expect(bindings?.header, stdout).to.deep.equal(['NAME', 'READY', 'KEY', 'PROJECT', 'ROLES', 'AGE']);
    expect(keys?.rows[0]?.slice(0, 4), stdout).to.deep.equal(['opsmanagerapikey.omkeys.io/minimal-org', 'True', 'abcdefgh', '["ORG_MEMBER"]']);
    expect(bindings?.rows[0]?.slice(0, 5), stdout).to.deep.equal(['projectkeybinding.omkeys.io/single-role', '', 'k', '6a1b2c3d4e5f60718293a4b5', '']);
  });

  it('kubectl get comc,omc prints BASE URL, DEFAULT, READY and AGE', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('crd');
    const cluster = await create(api(), ns, load('test/fixtures/valid/comc-shared-org.yaml').obj);
    await create(api(), ns, load('test/fixtures/valid/omc-team.yaml').obj);
    const condition = { type: 'Ready', status: 'True', reason: 'Authenticated', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' };
    await api().replaceClusterCustomObjectStatus({
      group: GROUP, version: VERSION, plural: CLUSTER_CONNECTION_PLURAL, name: cluster.metadata.name,
      body: { ...cluster, status: { conditions: [condition] } },
    });
    const kubectl = path.join(env.binDir, 'kubectl');
    const comc = table((await run(kubectl, ['--kubeconfig', env.kubeconfigPath, 'get', 'comc', cluster.metadata.name])).stdout);
    expect(comc.header).to.deep.equal(['NAME', 'BASE URL', 'DEFAULT', 'READY', 'AGE']);
    expect(comc.rows[0]?.slice(0, 4)).to.deep.equal([cluster.metadata.name, 'https://ops-manager.example.com:8443', 'true', 'True']);
    const omc = table((await run(kubectl, ['--kubeconfig', env.kubeconfigPath, '-n', ns, 'get', 'omc'])).stdout);
    expect(omc.header).to.deep.equal(['NAME', 'BASE URL', 'READY', 'AGE']);
    expect(omc.rows[0]?.slice(0, 3)).to.deep.equal(['team-om', 'https://ops-manager.example.com:8443/', '']);
  });

  it('kubectl apply shows the reason to a person', async () => {
    const env = testEnv();
    const ns = await env.newNamespace('crd');
    const file = path.join(root, 'test/fixtures/invalid/key-access-list-cidr-host-bits.yaml');
    const failed = await run(path.join(env.binDir, 'kubectl'), ['--kubeconfig', env.kubeconfigPath, '-n', ns, 'apply', '-f', file]).then(
      () => undefined,
      (err: { stderr?: string }) => err.stderr ?? '',
    );
    expect(failed, 'kubectl apply succeeded').to.be.a('string');
    expect(failed).to.contain('cidrBlock must not have host bits set');
  });
});
