import { expect } from 'chai';
import { KeyWorld, readyStatus } from '../support/key-world.ts';

// The Secret of a new key carries the operator's finalizer (omkeys.io/secret-protection), so
// that it cannot vanish while it is the only record of its key (between the rename and the
// status that says Ready). These rows list the exact writes of each way it is let go.

const TAG = 'omkeys-pending:uid-1';
const earlier = '2026-11-28T11:30:00Z';
const mark = (id: string): string => JSON.stringify({ id, tag: TAG, startedAt: earlier, secret: 'k' });

interface Row {
  name: string;
  setup(w: KeyWorld): void;
  writes: string[];
  /** Whether the Secret is still stored afterwards. */
  secretLeft: boolean;
}

const rows: Row[] = [
  {
    name: 'deleted by hand while status names its key: released (one write), the replacement follows its removal',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1')), 'key-1', { createId: 'm0' });
      w.deleteSecret();
    },
    writes: ['secret release k'],
    secretLeft: false,
  },
  {
    name: 'the resource deleted: its key deleted, the Secret released, then the finalizer removed',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1'), { deletionTimestamp: '2026-11-28T12:00:00Z' }), 'key-1', { createId: 'm0' });
    },
    writes: ['om deleteOrgKey key-1', 'secret release k', 'key replace finalizers=-'],
    secretLeft: true,
  },
  {
    name: 'a Secret written before the finalizer existed is not rewritten for it: deletion needs no release',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1'), { deletionTimestamp: '2026-11-28T12:00:00Z' }), 'key-1');
    },
    writes: ['om deleteOrgKey key-1', 'key replace finalizers=-'],
    secretLeft: true,
  },
  {
    name: 'a crash after the rename, before Ready: the Secret carrying the open create\'s id names the key; recorded, then Ready',
    setup: (w) => {
      w.om.addKey('new-1');
      w.secretFor(w.key({}, undefined, { annotations: { 'omkeys.io/create-pending': mark('m1') } }), 'new-1', { createId: 'm1' });
    },
    writes: ['key status Ready=False Progressing settles-mark', 'om updateOrgKey new-1 desc=team-a/k', 'key status Ready=True Provisioned'],
    secretLeft: true,
  },
  {
    name: 'the same, and its Secret deleted while the operator was down: recorded first, then released',
    setup: (w) => {
      w.om.addKey('new-1');
      w.secretFor(w.key({}, undefined, { annotations: { 'omkeys.io/create-pending': mark('m1') } }), 'new-1', { createId: 'm1' });
      w.deleteSecret();
    },
    writes: ['key status Ready=False Progressing settles-mark', 'om updateOrgKey new-1 desc=team-a/k', 'secret release k'],
    secretLeft: false,
  },
  {
    name: 'a Secret of an older create (another id) does not name the open create\'s key: not recorded by the sweep',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1'), { annotations: { 'omkeys.io/create-pending': mark('m1') } }), 'key-1', { createId: 'm0' });
    },
    writes: ['key status no Ready settles-mark', 'key status Ready=True Provisioned'],
    secretLeft: true,
  },
];

describe('omkey reconciler: the Secret\'s finalizer (exact writes)', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = new KeyWorld();
      row.setup(w);
      expect(await w.reconcile()).to.equal(undefined);
      expect(w.writes).to.deep.equal(row.writes);
      expect(w.secrets.items.has('team-a/k'), 'Secret stored').to.equal(row.secretLeft);
      expect(w.om.keys.size === 0 || [...w.om.keys.values()].every((k) => !k.desc.startsWith('omkeys-pending')), 'no tagged key left').to.equal(true);
    });
  }

  it('the recorded status of a crash after the rename names the Secret\'s key', async () => {
    const w = new KeyWorld();
    w.om.addKey('new-1');
    w.secretFor(w.key({}, undefined, { annotations: { 'omkeys.io/create-pending': mark('m1') } }), 'new-1', { createId: 'm1' });
    await w.reconcile();
    expect(w.stored().status?.keyId).to.equal('new-1');
    expect(w.stored().status?.createSettled).to.equal(mark('m1'));
  });
});
