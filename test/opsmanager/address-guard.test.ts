import type dns from 'node:dns';
import { expect } from 'chai';
import { ForbiddenAddressError, guardedLookup, isForbiddenAddress } from '../../src/opsmanager/address-guard.ts';
import { ConnectionError, checkNamespacedUrl } from '../../src/controllers/shared/connections.ts';

describe('address guard: what a namespaced connection may not reach', () => {
  const rows: Array<[string, boolean]> = [
    ['127.0.0.1', true], ['127.8.9.10', true], ['0.0.0.0', true], ['169.254.169.254', true], ['169.254.0.1', true],
    ['::1', true], ['::', true], ['fe80::1', true], ['febf::1', true], ['::ffff:127.0.0.1', true], ['::ffff:169.254.169.254', true],
    ['10.0.0.1', false], ['192.168.1.1', false], ['8.8.8.8', false], ['169.253.0.1', false], ['fec0::1', false], ['2001:db8::1', false],
    ['::ffff:8.8.8.8', false], ['om.example.com', false],
  ];
  for (const [ip, forbidden] of rows) it(`${ip}: ${forbidden ? 'refused' : 'allowed'}`, () => expect(isForbiddenAddress(ip)).to.equal(forbidden));

  /** A resolver answering each call with the next of `answers` (DNS rebinding: public when checked, loopback when used). */
  function resolver(answers: string[]): typeof dns.lookup {
    let i = 0;
    return ((_host: string, opts: dns.LookupOptions, cb: (err: Error | null, a: string | dns.LookupAddress[], f?: number) => void) => {
      const address = answers[Math.min(i++, answers.length - 1)] ?? '';
      if (opts.all) cb(null, [{ address, family: 4 }]);
      else cb(null, address, 4);
    }) as unknown as typeof dns.lookup;
  }

  function lookupOnce(lookup: ReturnType<typeof guardedLookup>, all: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      lookup('om.example.com', { all }, (err, address) => (err ? reject(err) : resolve(address)));
    });
  }

  it('judges the address each time a socket connects: a name rebound to loopback is refused then', async () => {
    const lookup = guardedLookup(resolver(['93.184.216.34', '127.0.0.1']));
    expect(await lookupOnce(lookup, false)).to.equal('93.184.216.34');
    const err = await lookupOnce(lookup, false).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ForbiddenAddressError);
    expect(String(err)).to.contain('om.example.com resolves to 127.0.0.1');
  });

  it('with every address asked for (autoSelectFamily), one forbidden address refuses them all', async () => {
    const err = await lookupOnce(guardedLookup(resolver(['169.254.169.254'])), true).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ForbiddenAddressError);
  });

  const urls: Array<[string, string[], RegExp | undefined]> = [
    ['https://om.example.com', [], undefined],
    ['http://om.example.com', [], /must be https/],
    ['https://127.0.0.1:8443', [], /127.0.0.1 is a loopback or link-local address/],
    ['https://[::1]', [], /::1 is a loopback/],
    ['https://169.254.169.254', [], /link-local/],
    ['https://om.example.com', ['om.example.com'], undefined],
    ['https://om.corp.example', ['.corp.example'], undefined],
    ['https://evil.example', ['om.example.com', '.corp.example'], /host evil.example is not one the operator allows/],
  ];
  for (const [url, hosts, err] of urls) {
    it(`namespaced baseUrl ${url} with hosts [${hosts.join(', ')}]: ${err ? 'refused' : 'allowed'}`, () => {
      const run = (): void => checkNamespacedUrl(url, 'OpsManagerConnection/om', hosts);
      if (err) expect(run).to.throw(ConnectionError, err);
      else expect(run).to.not.throw();
    });
  }
});
