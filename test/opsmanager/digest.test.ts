import { expect } from 'chai';
import { DigestSession, digestResponse, parseDigestChallenge } from '../../src/opsmanager/digest.ts';

function params(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest /, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!] = m[2] ?? m[3]!;
  return out;
}

describe('opsmanager/digest', () => {
  describe('digestResponse (RFC worked examples)', () => {
    it('matches RFC 2617 section 3.5 (MD5, qop=auth)', () => {
      expect(digestResponse({
        algorithm: 'MD5', username: 'Mufasa', password: 'Circle Of Life', realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html',
        qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
      })).to.equal('6629fae49393a05397450978507c4ef1');
    });

    const rfc7616 = {
      username: 'Mufasa', password: 'Circle of Life', realm: 'http-auth@example.org',
      nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', method: 'GET', uri: '/dir/index.html',
      qop: 'auth', nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    };
    it('matches RFC 7616 section 3.9.1 with MD5', () => {
      expect(digestResponse({ ...rfc7616, algorithm: 'MD5' })).to.equal('8ca523f5e9506fed4657c9700eebdbec');
    });
    it('matches RFC 7616 section 3.9.1 with SHA-256', () => {
      expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' }))
        .to.equal('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    });
    it('rejects an unknown algorithm', () => {
      expect(() => digestResponse({ ...rfc7616, algorithm: 'MD4' })).to.throw(/unsupported/);
    });
  });

  describe('parseDigestChallenge', () => {
    it('reads the Ops Manager challenge', () => {
      const c = parseDigestChallenge('Digest realm="MMS Public API", domain="", nonce="abc/+=", algorithm=MD5, qop="auth", stale=false');
      expect(c).to.deep.equal({ realm: 'MMS Public API', nonce: 'abc/+=', algorithm: 'MD5', qop: ['auth'], stale: false });
    });
    it('reads stale=true, opaque, a qop list and escaped quotes', () => {
      const c = parseDigestChallenge('Digest realm="a \\"b\\"", nonce="n1", qop="auth,auth-int", opaque="xyz", stale=TRUE');
      expect(c).to.deep.include({ realm: 'a "b"', nonce: 'n1', qop: ['auth', 'auth-int'], opaque: 'xyz', stale: true, algorithm: 'MD5' });
    });
    it('accepts the documented `op="auth"` typo as qop', () => {
      expect(parseDigestChallenge('Digest realm="r", nonce="n", op="auth"')?.qop).to.deep.equal(['auth']);
    });
    it('finds Digest among several challenges and ignores the others', () => {
      expect(parseDigestChallenge('Basic realm="x", Digest realm="r", nonce="n2"')?.nonce).to.equal('n2');
      expect(parseDigestChallenge(['Basic realm="x"', 'Digest realm="r", nonce="n3"'])?.nonce).to.equal('n3');
    });
    it('returns undefined without a usable Digest challenge', () => {
      expect(parseDigestChallenge(undefined)).to.equal(undefined);
      expect(parseDigestChallenge('Basic realm="x"')).to.equal(undefined);
      expect(parseDigestChallenge('Digest realm="r"')).to.equal(undefined);
    });
  });

  describe('DigestSession', () => {
    const challenge = { realm: 'MMS Public API', nonce: 'N1', algorithm: 'MD5', qop: ['auth'], stale: false };

    it('has nothing to send before the first challenge', () => {
      expect(new DigestSession('u', 'p').authorize('GET', '/x')).to.equal(undefined);
    });

    it('reuses the nonce with an increasing nc and a verifiable response', () => {
      let i = 0;
      const s = new DigestSession('pubkey', 'secret', () => `cn${++i}`);
      expect(s.accept(challenge)).to.equal(true);
      const a = params(s.authorize('GET', '/api/public/v1.0/orgs/o/apiKeys?pageNum=1')!.header);
      const b = params(s.authorize('POST', '/api/public/v1.0/orgs/o/apiKeys')!.header);
      expect([a.nonce, b.nonce]).to.deep.equal(['N1', 'N1']);
      expect([a.nc, b.nc]).to.deep.equal(['00000001', '00000002']);
      expect([a.cnonce, b.cnonce]).to.deep.equal(['cn1', 'cn2']);
      expect(a).to.include({ username: 'pubkey', realm: 'MMS Public API', qop: 'auth', algorithm: 'MD5', uri: '/api/public/v1.0/orgs/o/apiKeys?pageNum=1' });
      expect(b.response).to.equal(digestResponse({
        algorithm: 'MD5', username: 'pubkey', password: 'secret', realm: 'MMS Public API', nonce: 'N1',
        method: 'POST', uri: '/api/public/v1.0/orgs/o/apiKeys', qop: 'auth', nc: '00000002', cnonce: 'cn2',
      }));
    });

    it('restarts nc at 1 for a new nonce, keeps counting for the same one', () => {
      const s = new DigestSession('u', 'p');
      s.accept(challenge);
      s.authorize('GET', '/a');
      s.accept(challenge);
      expect(params(s.authorize('GET', '/a')!.header).nc).to.equal('00000002');
      s.accept({ ...challenge, nonce: 'N2', stale: true });
      expect(params(s.authorize('GET', '/a')!.header)).to.include({ nonce: 'N2', nc: '00000001' });
    });

    it('refuses challenges it cannot answer', () => {
      const s = new DigestSession('u', 'p');
      expect(s.accept({ ...challenge, qop: ['auth-int'] })).to.equal(false);
      expect(s.accept({ ...challenge, algorithm: 'MD4' })).to.equal(false);
      expect(s.nonce).to.equal(undefined);
    });

    it('never puts the password in the header', () => {
      const s = new DigestSession('u', 'very-secret-password');
      s.accept(challenge);
      expect(s.authorize('GET', '/a')!.header).not.to.contain('very-secret-password');
    });
  });
});
