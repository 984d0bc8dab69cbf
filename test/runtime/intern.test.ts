import { expect } from 'chai';
import { StringInterner } from '../../src/runtime/intern.ts';

// Two texts parsed apart are equal but distinct strings; which copy a value is cannot be
// observed from JS, so the tests check what can be: the values, the structure, the table's bounds.
describe('StringInterner: one copy of each repeated text in cached objects', () => {
  it('leaves every value as it was, arrays and nested objects included, and skips uid/resourceVersion', () => {
    const s = new StringInterner();
    const text = '{"apiVersion":"omkeys.io/v1alpha1","metadata":{"name":"a","uid":"u-1","resourceVersion":"7","finalizers":["omkeys.io/finalizer"],"labels":{"x":"y"}},"spec":{"roles":["ORG_MEMBER","GROUP_READ_ONLY"],"n":3,"b":true,"z":null},"status":{"conditions":[{"type":"Ready","status":"True"}]}}';
    const obj = JSON.parse(text) as unknown;
    expect(s.internAll(obj)).to.equal(obj);
    expect(obj).to.deep.equal(JSON.parse(text));
    // uid and resourceVersion were not looked up: the table holds the other 8 distinct texts.
    expect(s.stats.entries).to.equal(8);
  });

  it('hands back the first copy it saw of a text', () => {
    const s = new StringInterner();
    const first = ['Provisioned'].join('');
    expect(s.intern(first)).to.equal(first);
    expect(s.intern(['Provision', 'ed'].join(''))).to.equal('Provisioned');
    expect(s.stats.entries).to.equal(1);
  });

  it('forgets everything once full, so texts seen once do not pile up; long texts are not held', () => {
    const s = new StringInterner(100, 16);
    for (let i = 0; i < 250; i++) s.intern(`digest-${i}`);
    expect(s.stats.entries).to.be.at.most(100);
    expect(s.stats.forgotten).to.equal(2);
    s.intern('x'.repeat(17));
    expect(s.stats.entries).to.equal(50);
  });

  it('never takes a Secret\'s data into the table (a connection Secret\'s private key must not outlive its Secret there)', () => {
    const s = new StringInterner();
    s.internAll({ metadata: { name: 'conn' }, data: { privateKey: 'c2VjcmV0', publicKey: 'cHVi' }, stringData: { x: 'y' } });
    expect(s.stats.entries).to.equal(1);
  });

  it('leaves frozen values (a transform\'s shared constants) alone, and visits the rest of the object', () => {
    const t = new StringInterner();
    const shared = Object.freeze(['omkeys.io/secret-protection']);
    const obj = { metadata: { finalizers: shared, name: 'k' } };
    expect(() => t.internAll(obj)).to.not.throw();
    expect(obj.metadata.finalizers).to.equal(shared);
    expect(t.stats.entries, 'only the name was taken').to.equal(1);
  });

  it('does not visit symbol keys (facts a transform attached) and stops at a cycle', () => {
    const s = new StringInterner();
    const facts = Symbol('facts');
    const o: Record<string | symbol, unknown> = { a: 'x', [facts]: { keyId: 'k' } };
    o.self = o;
    s.internAll(o);
    expect(o[facts]).to.deep.equal({ keyId: 'k' });
    expect(s.stats.entries).to.equal(1);
  });
});
