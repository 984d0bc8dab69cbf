// The CRDs in crds/ and the constants in src/api/ describe the same API; these checks keep them
// from drifting apart without needing a cluster.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { ConditionType, Reason } from '../../src/api/conditions.ts';
import {
  GROUP,
  GROUP_ROLES,
  OPS_MANAGER_API_KEY_KIND,
  OPS_MANAGER_API_KEY_PLURAL,
  ORG_ROLES,
  PROJECT_KEY_BINDING_KIND,
  PROJECT_KEY_BINDING_PLURAL,
  RESERVED_SECRET_KEYS,
  VERSION,
} from '../../src/api/types.ts';

const root = path.resolve(import.meta.dirname, '../..');

interface Schema {
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: string[];
  default?: unknown;
  'x-kubernetes-validations'?: Array<{ rule: string; message: string }>;
}
interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames: string[]; categories: string[] };
    versions: Array<{
      name: string;
      subresources?: { status?: object };
      additionalPrinterColumns: Array<{ name: string; jsonPath: string }>;
      schema: { openAPIV3Schema: Schema };
    }>;
  };
}

function loadCrd(file: string): Crd {
  return parse(readFileSync(path.join(root, 'crds', file), 'utf8')) as Crd;
}

function at(schema: Schema, ...names: string[]): Schema {
  let s = schema;
  for (const n of names) {
    const next = n === '[]' ? s.items : s.properties?.[n];
    if (!next) throw new Error(`schema has no ${names.join('.')}`);
    s = next;
  }
  return s;
}

describe('CRDs match src/api/types.ts', () => {
  const key = loadCrd('omkeys.io_opsmanagerapikeys.yaml');
  const pkb = loadCrd('omkeys.io_projectkeybindings.yaml');
  const keySchema = key.spec.versions[0]!.schema.openAPIV3Schema;
  const pkbSchema = pkb.spec.versions[0]!.schema.openAPIV3Schema;

  it('names group, version, kinds, plurals, short names and categories as docs/api-reference.md does', () => {
    for (const [crd, kind, plural, short] of [
      [key, OPS_MANAGER_API_KEY_KIND, OPS_MANAGER_API_KEY_PLURAL, 'omkey'],
      [pkb, PROJECT_KEY_BINDING_KIND, PROJECT_KEY_BINDING_PLURAL, 'pkb'],
    ] as const) {
      expect(crd.metadata.name).to.equal(`${plural}.${GROUP}`);
      expect(crd.spec.group).to.equal(GROUP);
      expect(crd.spec.names.kind).to.equal(kind);
      expect(crd.spec.names.plural).to.equal(plural);
      expect(crd.spec.names.shortNames).to.deep.equal([short]);
      expect(crd.spec.names.categories).to.deep.equal(['omkeys']);
      expect(crd.spec.versions.map((v) => v.name)).to.deep.equal([VERSION]);
      expect(crd.spec.versions[0]!.subresources?.status).to.deep.equal({});
    }
  });

  it('has the printer columns of docs/api-reference.md, in order', () => {
    expect(key.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name)).to.deep.equal(['Ready', 'Public Key', 'Roles', 'Age']);
    expect(pkb.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name)).to.deep.equal(['Ready', 'Key', 'Project', 'Roles', 'Age']);
    expect(key.spec.versions[0]!.additionalPrinterColumns[0]!.jsonPath).to.contain(`@.type=="${ConditionType.Ready}"`);
  });

  it('enumerates exactly the roles of the contract', () => {
    expect(at(keySchema, 'spec', 'roles', '[]').enum).to.deep.equal([...ORG_ROLES, ...GROUP_ROLES]);
    expect(at(pkbSchema, 'spec', 'roles', '[]').enum).to.deep.equal([...GROUP_ROLES]);
  });

  it('reserves the Secret keys the operator writes', () => {
    const rules = at(keySchema, 'spec', 'secret', 'template', 'data')['x-kubernetes-validations'] ?? [];
    const reserved = rules.find((r) => r.message.includes('must not override'));
    expect(reserved?.rule).to.equal(`self.all(k, !(k in [${RESERVED_SECRET_KEYS.map((k) => `"${k}"`).join(', ')}]))`);
  });

  it('defaults deletionPolicy to Delete', () => {
    const dp = at(keySchema, 'spec', 'deletionPolicy');
    expect(dp.default).to.equal('Delete');
    expect(dp.enum).to.deep.equal(['Delete', 'Retain']);
  });

  it('gives every CEL rule a message', () => {
    const walk = (s: Schema): Array<{ rule: string; message: string }> => [
      ...(s['x-kubernetes-validations'] ?? []),
      ...Object.values(s.properties ?? {}).flatMap(walk),
      ...(s.items ? walk(s.items) : []),
    ];
    const rules = [...walk(keySchema), ...walk(pkbSchema)];
    expect(rules.length).to.be.greaterThan(20);
    for (const r of rules) expect(r.message, r.rule).to.be.a('string').and.have.length.greaterThan(10);
  });

  it('keeps reason constants equal to their names (PascalCase)', () => {
    for (const [k, v] of Object.entries({ ...Reason, ...ConditionType })) {
      expect(v).to.equal(k);
      expect(v).to.match(/^[A-Z][A-Za-z]+$/);
    }
  });
});

describe('admission fixtures', () => {
  const dir = path.join(root, 'test/fixtures/invalid');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('hold at least 45 invalid manifests', () => {
    expect(files.length).to.be.at.least(45);
  });

  it('each hold one manifest, named uniquely, starting with "# expect: <fragment>"', () => {
    const names = new Set<string>();
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      expect(text, f).to.match(/^# expect: \S.{5,}\n/);
      const docs = parseAllDocuments(text);
      expect(docs, f).to.have.length(1);
      const obj = docs[0]!.toJS() as { kind: string; metadata: { name: string } };
      const id = `${obj.kind}/${obj.metadata.name}`;
      expect(names.has(id), `${f}: ${id} used twice`).to.equal(false);
      names.add(id);
    }
  });
});
