import { expect } from 'chai';
import { pairHash } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { KeyWorld, readyStatus } from '../support/key-world.ts';

// What a namespace editor can write (the Secret's data and metadata, the create-pending mark,
// spec.connectionRef) never names a key the operator acts on. Each row lists the exact
// writes, and the victim key (made by hand, not this resource's) is left exactly as it was.

const TAG = 'omkeys-pending:uid-1';
const MARK = 'key replace finalizers=omkeys.io/finalizer +pending-mark';
const RECORD = 'key status Ready=False Progressing +Reconciling settles-mark';
const earlier = '2026-11-28T11:30:00Z';
const mark = (id: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ id, tag: TAG, startedAt: earlier, connection: 'ClusterOpsManagerConnection/om', ...extra });
const b64 = (v: string): string => Buffer.from(v).toString('base64');

/** The Secret now claims the victim's key: its id, its public key, and a pair hash recomputed to match. */
function claimVictim(w: KeyWorld): void {
  const s = w.secrets.items.get('team-a/k');
  if (!s?.metadata) throw new Error('no Secret');
  s.data = { ...s.data, keyId: b64('victim'), publicKey: b64('pub-victim'), privateKey: b64('guess') };
  s.metadata.annotations = { ...s.metadata.annotations, 'omkeys.io/key-id': 'victim', 'omkeys.io/pair-sha256': pairHash('pub-victim', 'guess') };
}

interface Row {
  name: string;
  setup(w: KeyWorld): void;
  writes: string[];
}

const rows: Row[] = [
  {
    name: 'a Secret an earlier version protected with its finalizer: the finalizer is taken off, nothing else changes',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1', { conditions: [] })), 'key-1', true);
    },
    writes: ['secret release k'],
  },
  {
    name: 'the resource deleted with such a Secret: its key deleted, the Secret\'s finalizer taken off, then the resource\'s',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1'), { deletionTimestamp: '2026-11-28T12:00:00Z' }), 'key-1', true);
    },
    writes: ['om deleteOrgKey key-1', 'secret release k', 'key replace finalizers=-'],
  },
  {
    name: 'no key recorded, a Secret of ours naming the victim (forged before the first create): a first key is made, the victim untouched',
    setup: (w) => {
      w.secretFor(w.key({}, undefined, { finalizers: [] }), 'victim');
    },
    writes: [MARK, `om createOrgKey desc=${TAG}`, 'secret update k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'key status Ready=True Provisioned', 'event Normal KeyCreated'],
  },
  {
    name: 'status records key-1, the Secret rewritten to claim the victim with a recomputed pair hash: key-1 is replaced and retired, the victim untouched',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1')), 'key-1');
      claimVictim(w);
    },
    writes: [MARK, 'key status Ready=False Progressing +Reconciling', `om createOrgKey desc=${TAG}`, 'secret update k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'om deleteOrgKey key-1', 'key status Ready=True Provisioned', 'event Normal KeyReplaced'],
  },
  {
    name: 'a forged mark and a Secret claiming the victim: the sweep finds nothing tagged for this resource and only settles the mark',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1', { conditions: [] }), { annotations: { 'omkeys.io/create-pending': mark('forged', { tag: 'omkeys-pending:uid-victim', keyId: 'victim' }) } }), 'key-1');
      claimVictim(w);
    },
    writes: ['key status no Ready settles-mark', MARK, 'key status Ready=False Progressing +Reconciling', `om createOrgKey desc=${TAG}`, 'secret update k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'om deleteOrgKey key-1', 'key status Ready=True Provisioned', 'event Normal KeyReplaced'],
  },
  {
    name: 'a crash after the Secret write: the key tagged for this resource that holds the Secret\'s pair is recorded, then named',
    setup: (w) => {
      w.om.addKey('new-1', { desc: TAG });
      w.secretFor(w.key({}, undefined, { annotations: { 'omkeys.io/create-pending': mark('m1') } }), 'new-1');
    },
    writes: [RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'key status Ready=True Provisioned'],
  },
  {
    name: 'the same crash, then the Secret\'s key id edited to the victim: the tagged key still holds the pair and is kept; the victim untouched',
    setup: (w) => {
      w.om.addKey('made-1', { desc: TAG });
      w.secretFor(w.key({}, undefined, { annotations: { 'omkeys.io/create-pending': mark('m1') } }), 'made-1');
      const s = w.secrets.items.get('team-a/k');
      if (s) s.data = { ...s.data, keyId: b64('victim') };
    },
    // Recorded, then the Secret no longer matches status (its key id): its pair is replaced.
    writes: [RECORD, 'om updateOrgKey made-1 desc=team-a/k', MARK, 'key status Ready=False Progressing +Reconciling', `om createOrgKey desc=${TAG}`, 'secret update k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'om deleteOrgKey made-1', 'key status Ready=True Provisioned', 'event Normal KeyReplaced'],
  },
  {
    name: 'the connection switched: status\'s key is deleted through the connection that made it, and a new key is made through the new one',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({ connectionRef: { kind: 'ClusterOpsManagerConnection', name: 'om-team' } }, readyStatus('key-1')), 'key-1');
    },
    writes: ['om deleteOrgKey key-1', 'key status Ready=False Progressing +Reconciling', 'event Normal ConnectionChanged', MARK, `om createOrgKey desc=${TAG}`, 'secret update k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'key status Ready=True Provisioned', 'event Normal KeyCreated'],
  },
];

describe('omkey reconciler: what a tenant can write names no key (exact writes)', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = new KeyWorld();
      w.om.addKey('victim', { desc: 'made by hand' });
      row.setup(w);
      expect(await w.reconcile()).to.equal(undefined);
      expect(w.writes).to.deep.equal(row.writes);
      expect(w.writes.filter((l) => l.includes('victim')), 'no write names the victim').to.deep.equal([]);
      expect(w.om.keys.get('victim')).to.deep.include({ desc: 'made by hand', publicKey: 'pub-victim' });
      expect([...w.om.keys.values()].filter((k) => k.desc.startsWith('omkeys-pending')), 'no tagged key left').to.deep.equal([]);
      expect(w.secrets.items.get('team-a/k')?.metadata?.finalizers ?? [], 'no finalizer on the Secret').to.deep.equal([]);
    });
  }

  it('after the connection switch status names the new key and the connection it was made through', async () => {
    const w = new KeyWorld();
    w.om.addKey('key-1');
    w.secretFor(w.key({ connectionRef: { kind: 'ClusterOpsManagerConnection', name: 'om-team' } }, readyStatus('key-1')), 'key-1');
    await w.reconcile();
    expect(w.stored().status).to.deep.include({ keyId: 'new-1', connection: 'ClusterOpsManagerConnection/om-team' });
  });
});
