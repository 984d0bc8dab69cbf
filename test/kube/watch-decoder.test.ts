import { expect } from 'chai';
import { WatchDecodeError, WatchDecoder } from '../../src/kube/watch-decoder.ts';

const line = (type: string, name: string): string => `${JSON.stringify({ type, object: { metadata: { name, resourceVersion: '1' } } })}\n`;

describe('WatchDecoder', () => {
  const whole = line('ADDED', 'a') + line('MODIFIED', 'é') + line('BOOKMARK', 'b') + line('DELETED', 'd');
  const bytes = Buffer.from(whole);
  // Split points: none, mid-line, at every byte (so inside the two-byte "é" too).
  const splits: Array<{ name: string; chunks: Buffer[] }> = [
    { name: 'one chunk', chunks: [bytes] },
    { name: 'two chunks mid-line', chunks: [bytes.subarray(0, 30), bytes.subarray(30)] },
    { name: 'a byte at a time', chunks: [...bytes].map((b) => Buffer.from([b])) },
  ];
  for (const s of splits) {
    it(`decodes every event whole: ${s.name}`, () => {
      const d = new WatchDecoder<{ metadata: { name: string } }>();
      const events = [...s.chunks.flatMap((c) => d.push(c)), ...d.end()];
      expect(events.map((e) => [e.type, e.object.metadata.name])).to.deep.equal([
        ['ADDED', 'a'],
        ['MODIFIED', 'é'],
        ['BOOKMARK', 'b'],
        ['DELETED', 'd'],
      ]);
    });
  }

  it('a last event without its newline comes out at the end; blank lines are skipped', () => {
    const d = new WatchDecoder();
    expect(d.push('\n\n' + line('ADDED', 'x').trimEnd())).to.deep.equal([]);
    expect(d.end()).to.have.length(1);
  });

  const bad: Array<{ name: string; text: string }> = [
    { name: 'not JSON', text: '{"type":\n' },
    { name: 'unknown type', text: '{"type":"SOMETHING","object":{}}\n' },
    { name: 'no object', text: '{"type":"ADDED"}\n' },
  ];
  for (const b of bad) {
    it(`rejects a line that is ${b.name}`, () => {
      expect(() => new WatchDecoder().push(b.text)).to.throw(WatchDecodeError);
    });
  }
});
