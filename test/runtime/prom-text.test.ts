import { expect } from 'chai';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parsePromText, sampleValue, samples } from './prom-text.ts';

describe('strict Prometheus text-format parser (test support)', () => {
  it('reads what prom-client serves: types, help, labels with escapes, histograms', async () => {
    const registry = new Registry();
    const registers = [registry];
    new Counter({ name: 'c_total', help: 'A counter with a back\\slash.', labelNames: ['route'], registers }).inc({ route: 'say "hi"\nback\\slash' }, 2);
    new Gauge({ name: 'g', help: 'A gauge.', registers }).set(-1.5e-3);
    new Histogram({ name: 'h_seconds', help: 'A histogram.', labelNames: ['c'], buckets: [0.1, 1], registers }).observe({ c: 'x' }, 0.5);
    const fams = parsePromText(await registry.metrics());
    expect([...fams.values()].map((f) => `${f.name} ${f.type}`)).to.deep.equal(['c_total counter', 'g gauge', 'h_seconds histogram']);
    expect(fams.get('c_total')?.help).to.equal('A counter with a back\\slash.');
    expect(sampleValue(fams, 'c_total', { route: 'say "hi"\nback\\slash' })).to.equal(2);
    expect(sampleValue(fams, 'g')).to.equal(-0.0015);
    expect(sampleValue(fams, 'h_seconds_bucket', { c: 'x', le: '+Inf' })).to.equal(1);
    expect(sampleValue(fams, 'h_seconds_bucket', { c: 'x', le: '0.1' })).to.equal(0);
    expect(sampleValue(fams, 'h_seconds_count', { c: 'x' })).to.equal(1);
    expect(samples(fams, 'h_seconds_bucket', { c: 'x' })).to.have.length(3);
    expect(sampleValue(fams, 'c_total', { route: 'other' })).to.equal(undefined);
  });

  it('accepts special values, a timestamp, a trailing comma and untyped samples', () => {
    const fams = parsePromText('# a comment\nu{a="1",} NaN\nv +Inf 1700000000000\nw -Inf\nx Nan\n\n');
    expect(sampleValue(fams, 'u', { a: '1' })).to.be.NaN;
    expect(sampleValue(fams, 'x'), "prom-client's spelling of NaN, which Prometheus reads").to.be.NaN;
    expect(fams.get('v')?.samples[0]).to.deep.equal({ name: 'v', labels: {}, value: Infinity, timestampMs: 1_700_000_000_000 });
    expect(fams.get('w')?.type).to.equal('untyped');
  });

  const bad: Array<[string, string, RegExp]> = [
    ['no final newline', 'a 1', /newline/],
    ['no value', 'a\n', /expected a value/],
    ['a bad value', 'a one\n', /bad value/],
    ['a bad metric name', '1a 1\n', /bad metric name/],
    ['an unterminated label value', 'a{b="c} 1\n', /unterminated/],
    ['a bad escape', 'a{b="\\t"} 1\n', /bad escape/],
    ['a label twice', 'a{b="1",b="2"} 1\n', /twice/],
    ['a missing quote', 'a{b=1} 1\n', /expected ="/],
    ['a duplicate series', 'a{b="1"} 1\na{b="1"} 2\n', /duplicate series/],
    ['a family split in two', 'a 1\nb 1\na{x="1"} 1\n', /already ended/],
    ['a TYPE after the samples', 'a 1\n# TYPE a gauge\n', /after the family's samples/],
    ['two TYPE lines', '# TYPE a gauge\n# TYPE a gauge\na 1\n', /second TYPE/],
    ['an unknown type', '# TYPE a meter\na 1\n', /unknown type/],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\n', /without le/],
    ['trailing garbage', 'a 1 2 3\n', /expected a value/],
  ];
  for (const [what, text, err] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => parsePromText(text)).to.throw(err);
    });
  }

  it('sampleValue matches the labels exactly, samples() any series that has them', () => {
    const fams = parsePromText('a{x="1"} 1\na{x="1",y="2"} 2\n');
    expect(sampleValue(fams, 'a', { x: '1' })).to.equal(1);
    expect(sampleValue(fams, 'a')).to.equal(undefined);
    expect(samples(fams, 'a', { x: '1' })).to.have.length(2);
  });
});
