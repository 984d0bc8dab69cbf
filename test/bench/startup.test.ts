import { expect } from 'chai';
import { readStartup } from '../../bench/lib/startup.ts';

const line = (msg: string, ms: number, extra: Record<string, unknown> = {}): string => JSON.stringify({ msg, time: new Date(ms).toISOString(), ...extra });

describe('bench startup: when every object was reconciled once', () => {
  const rows: Array<{ name: string; lines: string[]; reconciledMs: number; restarted: string[] }> = [

    {
      name: 'both initial passes done',
      lines: [line('omkeys starting', 100), line('caches synced', 200), line('controller started', 300), line('initial reconcile pass done', 900, { controller: 'a' }), line('initial reconcile pass done', 1200, { controller: 'b' })],
      reconciledMs: 1200,
      restarted: [],
    },
    {
      name: 'the Lease lost during the pass: the restart pass finishes it',
      lines: [line('omkeys starting', 100), line('caches synced', 200), line('controller started', 300), line('initial reconcile pass done', 900, { controller: 'a' }), line('restart reconcile pass done (the keys missed while stopped)', 2500, { controller: 'b' })],
      reconciledMs: 2500,
      restarted: ['b'],
    },
    {
      name: 'a restart pass after the initial pass finished does not count',
      lines: [line('omkeys starting', 100), line('caches synced', 200), line('controller started', 300), line('initial reconcile pass done', 900, { controller: 'a' }), line('restart reconcile pass done (the keys missed while stopped)', 1000, { controller: 'a' }), line('initial reconcile pass done', 1100, { controller: 'b' })],
      reconciledMs: 1100,
      restarted: [],
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const s = await readStartup(() => row.lines.join('\n'), 0, ['a', 'b'], 1_000);
      expect(s.reconciledMs).to.equal(row.reconciledMs);
      expect(s.passes.filter((p) => p.afterLeaseLost).map((p) => p.controller)).to.deep.equal(row.restarted);
    });
  }

  it('waits for the controllers named: the connection controllers\' passes, done first, do not count', async () => {
    const lines = [
      line('controller started', 300),
      line('initial reconcile pass done', 310, { controller: 'opsmanagerconnection' }),
      line('initial reconcile pass done', 800, { controller: 'clusteropsmanagerconnection' }),
      line('initial reconcile pass done', 900, { controller: 'a' }),
      line('initial reconcile pass done', 1500, { controller: 'b' }),
    ];
    // The log as it grows: one more line at each read.
    let shown = 0;
    const s = await readStartup(() => lines.slice(0, ++shown).join('\n'), 0, ['a', 'b'], 5_000);
    expect(s.reconciledMs).to.equal(1500);
    expect(s.passes.map((p) => p.controller)).to.deep.equal(['a', 'b']);
  });
});
