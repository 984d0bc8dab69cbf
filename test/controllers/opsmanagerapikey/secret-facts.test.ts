import type { V1Secret } from '@kubernetes/client-node';
import { expect } from 'chai';
import { decide } from '../../../src/controllers/opsmanagerapikey/decide.ts';
import { buildSecret, secretMatches, type KeyMaterial } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { cachedFacts, cachedSecretMatches, dropSecretData } from '../../../src/controllers/opsmanagerapikey/secret-facts.ts';
import { gathered, key, NOW, ours, stepLines } from './fixtures.ts';

const km: KeyMaterial = { keyId: 'key-1', publicKey: 'abcdefgh', privateKey: '11111111-2222-3333-4444-555555555555', baseUrl: 'https://om.example', orgId: 'org-1' };
const template = { labels: { team: 'a' }, annotations: { note: 'x' }, data: { URI: 'mongodb://{{ .publicKey }}:{{ .privateKey }}@db' } };
const obj = key({ secret: { template } });

/** What the informer would hold of `s` (a copy: the transform works in place). */
const cached = (s: V1Secret): V1Secret => dropSecretData(structuredClone(s));
const matchesFromCache = (o: typeof obj, s: V1Secret): boolean => {
  const c = cached(s);
  const facts = cachedFacts(c);
  if (!facts) throw new Error('no facts');
  return cachedSecretMatches(o, c, facts);
};

describe('omkey Secrets in the cache: metadata and facts, no data', () => {
  it('the cached copy holds no value of the data, not even in its serialized form', () => {
    const c = cached(buildSecret(obj, km));
    expect(c.data).to.equal(undefined);
    expect(JSON.stringify(c)).to.not.include(Buffer.from(km.privateKey).toString('base64'));
    expect(JSON.stringify(c)).to.not.include(km.privateKey);
    expect(cachedFacts(c)?.reading).to.deep.equal({ keyId: 'key-1', publicKey: 'abcdefgh', pairIntact: true });
    expect(c.metadata?.labels?.team).to.equal('a');
  });

  it('a new key\'s Secret carries no finalizer and nothing the operator would read back as a record', () => {
    const made = buildSecret(obj, km);
    expect(made.metadata?.finalizers).to.equal(undefined);
    const ours = Object.keys(made.metadata?.annotations ?? {}).filter((k) => k.startsWith('omkeys.io/')).sort();
    expect(ours).to.deep.equal(['omkeys.io/data-sha256', 'omkeys.io/key-id', 'omkeys.io/pair-sha256', 'omkeys.io/template-sha256']);
  });

  it('a Secret as the operator wrote it matches, from the cache alone', () => {
    expect(matchesFromCache(obj, buildSecret(obj, km))).to.equal(true);
  });

  it('a change of connection or deletion policy does not re-render the Secret (it names neither)', () => {
    const made = buildSecret(obj, km);
    for (const changed of [key({ secret: { template }, deletionPolicy: 'Retain' }), key({ secret: { template }, connectionRef: { kind: 'OpsManagerConnection', name: 'om-team' } })]) {
      expect(matchesFromCache(changed, made), 'from the cache').to.equal(true);
      expect(secretMatches(made, buildSecret(changed, km)), 'with the data').to.equal(true);
    }
  });

  // Each edit: the full comparison (with the data) and the cache's must both see it.
  const edits: Array<[string, (s: V1Secret) => void]> = [
    ['a template key edited', (s) => (s.data = { ...s.data, URI: Buffer.from('typed').toString('base64') })],
    ['a template key deleted', (s) => delete s.data?.URI],
    ['a key added', (s) => (s.data = { ...s.data, extra: Buffer.from('x').toString('base64') })],
    ['a template label removed', (s) => delete s.metadata?.labels?.team],
    ['a template annotation edited', (s) => s.metadata?.annotations && (s.metadata.annotations.note = 'y')],
    ['the data digest removed (written by an older operator)', (s) => delete s.metadata?.annotations?.['omkeys.io/data-sha256']],
    ['the template digest removed', (s) => delete s.metadata?.annotations?.['omkeys.io/template-sha256']],
  ];
  for (const [name, edit] of edits) {
    it(`${name}: no longer matches`, () => {
      const s = buildSecret(obj, km);
      edit(s);
      expect(secretMatches(s, buildSecret(obj, km)), 'with the data').to.equal(false);
      expect(matchesFromCache(obj, s), 'from the cache').to.equal(false);
    });
  }

  it('a changed template no longer matches; labels of others are kept out of it', () => {
    const s = buildSecret(obj, km);
    s.metadata = { ...s.metadata, labels: { ...s.metadata?.labels, 'someone.else/label': 'v' } };
    expect(matchesFromCache(obj, s)).to.equal(true);
    expect(matchesFromCache(key({ secret: { template: { ...template, data: { URI: 'other' } } } }), s)).to.equal(false);
    expect(matchesFromCache(key({ secret: { template: { ...template, labels: { team: 'b' } } } }), s)).to.equal(false);
  });

  it('an edited pair is seen when the Secret enters the cache', () => {
    const s = buildSecret(obj, km);
    s.data = { ...s.data, privateKey: Buffer.from('edited').toString('base64') };
    expect(cachedFacts(cached(s))?.reading.pairIntact).to.equal(false);
  });

  it('decide reads the Secret before re-rendering one the cache cannot vouch for, and only then', () => {
    const fresh = { lastSync: { generation: 1, keyId: 'key-1', at: NOW.getTime() - 1000, bindings: '' }, freshnessMs: 60_000, remote: { state: 'unread' as const }, connection: { state: 'unread' as const } };
    const k = key({}, { keyId: 'key-1', publicKey: 'abcdefgh', connection: 'ClusterOpsManagerConnection/om' });
    expect(stepLines(decide(gathered(k, { ...fresh, secret: ours({ matchesDesired: false, complete: false }) })))).to.deep.equal(['read secret']);
    expect(stepLines(decide(gathered(k, { ...fresh, secret: ours({ matchesDesired: false, complete: true }) })))).to.deep.equal(['SecretWrite', 'Event SecretRepaired']);
    expect(stepLines(decide(gathered(k, { ...fresh, secret: ours({ complete: false }) })))).to.deep.equal([]);
    expect(stepLines(decide(gathered(k, { secret: ours({ matchesDesired: false, complete: false }) })))).to.deep.equal(['read secret']);
    expect(stepLines(decide(gathered(k, { secret: ours({ matchesDesired: false, complete: false }), remote: { state: 'unread' }, connection: { state: 'unread' } })))).to.deep.equal(['read connection,remote,secret']);
  });
});
