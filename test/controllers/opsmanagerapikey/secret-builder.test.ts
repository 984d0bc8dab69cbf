import { expect } from 'chai';
import { buildSecret, checkTemplate, decodeSecretData, pairHash, readSecret, renderTemplateValue, secretMatches, TemplateError, type KeyMaterial } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { key } from './fixtures.ts';

const km: KeyMaterial = { keyId: 'key-1', publicKey: 'abcdefgh', privateKey: '11111111-2222-3333-4444-555555555555', baseUrl: 'https://om.example', orgId: 'org-1' };

describe('omkey Secret building', () => {
  it('writes the fixed keys, template extras, label, owner and pair hash', () => {
    const obj = key({ secret: { name: 'om-creds', template: { labels: { team: 'a' }, annotations: { note: 'x' }, data: { MCLI_PUBLIC_API_KEY: '{{ .publicKey }}', URL: '{{.baseUrl}}/x' } } } });
    const s = buildSecret(obj, km);
    expect(s.metadata?.name).to.equal('om-creds');
    expect(s.metadata?.labels).to.deep.equal({ team: 'a', 'app.kubernetes.io/managed-by': 'omkeys' });
    expect(s.metadata?.annotations?.note).to.equal('x');
    expect(s.metadata?.ownerReferences?.[0]).to.include({ kind: 'OpsManagerApiKey', uid: 'uid-1', controller: true });
    expect(decodeSecretData(s)).to.deep.equal({
      publicKey: km.publicKey, privateKey: km.privateKey, baseUrl: km.baseUrl, keyId: 'key-1', orgId: 'org-1',
      MCLI_PUBLIC_API_KEY: 'abcdefgh', URL: 'https://om.example/x',
    });
    expect(readSecret(s)).to.deep.equal({ keyId: 'key-1', publicKey: 'abcdefgh', pairIntact: true });
  });

  it('template data can never override the fixed keys', () => {
    const s = buildSecret(key({ secret: { template: { data: { privateKey: 'nope' } } } }), km);
    expect(decodeSecretData(s).privateKey).to.equal(km.privateKey);
  });

  it('notices an edited pair', () => {
    const s = buildSecret(key(), km);
    s.data = { ...s.data, privateKey: Buffer.from('edited').toString('base64') };
    expect(readSecret(s).pairIntact).to.equal(false);
    expect(pairHash('a', 'b')).to.not.equal(pairHash('a', 'c'));
  });

  it('refuses unknown placeholders with a message naming them', () => {
    expect(() => renderTemplateValue('{{ .secretSauce }}', km)).to.throw(TemplateError, /secretSauce/);
    expect(() => checkTemplate(key({ secret: { template: { data: { X: '{{ .projectId }}' } } } }))).to.throw(TemplateError, /projectId/);
    expect(() => checkTemplate(key({ secret: { template: { data: { X: '{{ .orgId }}' } } } }))).to.not.throw();
  });

  it('compares a Secret with what it should be', () => {
    const desired = buildSecret(key(), km);
    const actual = { ...desired, metadata: { ...desired.metadata, labels: { ...desired.metadata?.labels, extra: 'kept' } } };
    expect(secretMatches(actual, desired)).to.equal(true);
    const withTemplate = buildSecret(key({ secret: { template: { data: { X: 'y' } } } }), km);
    expect(secretMatches(actual, withTemplate)).to.equal(false);
  });
});
