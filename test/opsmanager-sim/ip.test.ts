import { expect } from 'chai';
import { contains, entryToCidr, normaliseCaller, parseAddress, parseCidr } from '../../tools/opsmanager-sim/ip.ts';

describe('opsmanager-sim: ip helpers', () => {
  it('canonicalises addresses and blocks', () => {
    expect(entryToCidr('192.0.2.1')).to.equal('192.0.2.1/32');
    expect(entryToCidr('10.0.0.0/8')).to.equal('10.0.0.0/8');
    expect(entryToCidr('2001:DB8:0:0:0:0:0:1')).to.equal('2001:db8::1/128');
    expect(entryToCidr('::')).to.equal('::/128');
    expect(entryToCidr('2001:db8:0:1:0:0:1:0/128')).to.equal('2001:db8:0:1::1:0/128');
    expect(entryToCidr('::ffff:192.0.2.1')).to.equal('::ffff:c000:201/128');
  });

  it('refuses malformed input and host bits in a block', () => {
    for (const s of ['1.2.3', '1.2.3.4/33', '10.0.0.1/8', 'fe80::1%eth0', '::/129', 'x/8', '1.2.3.4/']) {
      expect(entryToCidr(s), s).to.equal(undefined);
    }
  });

  it('tests containment within a family only', () => {
    expect(contains(parseCidr('10.0.0.0/8')!, parseAddress('10.9.8.7')!)).to.equal(true);
    expect(contains(parseCidr('10.0.0.0/8')!, parseAddress('11.0.0.1')!)).to.equal(false);
    expect(contains(parseCidr('0.0.0.0/0')!, parseAddress('::1')!)).to.equal(false);
    expect(contains(parseCidr('2001:db8::/32')!, parseAddress('2001:db8:ffff::1')!)).to.equal(true);
  });

  it('reports IPv4-mapped callers as plain IPv4', () => {
    expect(normaliseCaller('::ffff:127.0.0.1')).to.equal('127.0.0.1');
    expect(normaliseCaller('::1')).to.equal('::1');
  });
});
