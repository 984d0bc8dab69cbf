import { expect } from 'chai';
import { boundText, MAX_ANSWER_TEXT } from '../../src/api/bounded-text.ts';
import type { TextBounds } from '../../src/api/bounded-text.ts';

describe('api/bounded-text: boundText', () => {
  const table: { name: string; text: unknown; bounds?: TextBounds; want: string }[] = [
    { name: 'short printable text is kept as is', text: 'Cannot find resource /x.', want: 'Cannot find resource /x.' },
    { name: 'the empty string stays empty', text: '', want: '' },
    { name: 'line breaks and tabs become one space', text: 'a\r\n\r\nb\tc\u2028d', want: 'a b c d' },
    { name: 'other C0 and C1 controls, DEL and escapes are removed', text: 'a\u0000b\u001b[31mc\u007fd\u0085e\u009bf', want: 'ab[31mcd ef' },
    { name: 'bidirectional overrides and isolates are removed', text: 'abc\u202edcba\u2066x\u2069', want: 'abcdcbax' },
    { name: 'an unpaired surrogate is removed, a pair kept', text: 'a\ud800b\udc00c😀', want: 'abc😀' },
    { name: 'exactly at the bound: kept whole', text: 'abcde', bounds: { chars: 5 }, want: 'abcde' },
    { name: 'one past the bound: cut with an ellipsis, the ellipsis counted', text: 'abcdef', bounds: { chars: 5 }, want: 'abcd…' },
    { name: 'a cut never splits a surrogate pair', text: '😀😀😀😀😀😀', bounds: { chars: 3 }, want: '😀😀…' },
    { name: 'spaces before the ellipsis are dropped', text: 'ab   cdefgh', bounds: { chars: 5 }, want: 'ab…' },
    { name: 'the byte bound counts UTF-8 (é is 2 bytes, … is 3)', text: 'éééééé', bounds: { chars: 100, bytes: 9 }, want: 'ééé…' },
    { name: 'ASCII within the byte bound is kept', text: 'abcdefgh', bounds: { bytes: 8 }, want: 'abcdefgh' },
    { name: 'a non-string is made a string first', text: 42, want: '42' },
    { name: 'a control-only text becomes empty', text: '\u0000\u0001', want: '' },
  ];
  for (const t of table) {
    it(t.name, () => {
      expect(boundText(t.text, t.bounds)).to.equal(t.want);
    });
  }

  it(`defaults to ${MAX_ANSWER_TEXT} characters`, () => {
    const out = boundText('x'.repeat(10_000));
    expect(Array.from(out)).to.have.length(MAX_ANSWER_TEXT);
    expect(out.endsWith('…')).to.equal(true);
  });

  it('a huge text costs a look at its head only, and is still cut with an ellipsis', () => {
    const huge = 'y'.repeat(50 * 1024 * 1024);
    const out = boundText(huge, { chars: 10 });
    expect(out).to.equal(`${'y'.repeat(9)}…`);
  });

  it('removed controls do not count against the bound', () => {
    expect(boundText(`${'\u0000'.repeat(10)}abcde`, { chars: 5 })).to.equal('abcde');
    expect(boundText(`${'\u0000'.repeat(10)}abcdefghij`, { chars: 5 })).to.equal('abcd…');
  });
});
