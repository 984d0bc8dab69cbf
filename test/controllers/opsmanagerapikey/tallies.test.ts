import { expect } from 'chai';
import { decide } from '../../../src/controllers/opsmanagerapikey/decide.ts';
import type { Decision } from '../../../src/controllers/opsmanagerapikey/plan.ts';
import { UnauthorizedError, UnavailableError } from '../../../src/opsmanager/errors.ts';
import { KeyWorld, readyStatus } from '../support/key-world.ts';
import { gathered, key, ours, stepLine } from './fixtures.ts';

const TAG = 'omkeys-pending:uid-1';
const earlier = '2026-11-28T11:30:00Z';
const later = '2026-11-28T13:00:00Z';
const deleting = { deletionTimestamp: '2026-11-28T12:00:00Z' };

/** The steps of a plan that carry a tally, as `step => tally`. */
function tallied(d: Decision): string[] {
  if (d.kind !== 'act') return [`read ${d.reads.join(',')}`];
  return d.plan.steps.filter((s) => s.counts).map((s) => `${stepLine(s)} => ${s.counts?.kind === 'KeyMinted' ? `KeyMinted ${s.counts.why}` : s.counts?.kind}`);
}


/** An open create-pending mark (annotation), as a create interrupted by a crash leaves it. */
const openMark = { annotations: { 'omkeys.io/create-pending': JSON.stringify({ id: 'm0', tag: 'omkeys-pending:uid-1', startedAt: '2026-11-28T11:30:00Z' }) } };
describe('omkey plans: which step counts for the metrics', () => {
  it('a create counts once, on the Secret write that publishes the pair', () => {
    expect(tallied(decide(gathered(key(), { secret: { state: 'absent' } })))).to.deep.equal(['SecretWrite => KeyMinted Initial']);
    expect(tallied(decide(gathered(key({}, { keyId: 'key-1' }), { secret: { state: 'absent' } })))).to.deep.equal(['SecretWrite => KeyMinted SecretDeleted']);
    expect(tallied(decide(gathered(key({}, { keyId: 'key-1' }), { secret: ours({ pairIntact: false }) })))).to.deep.equal(['SecretWrite => KeyMinted PairEdited']);
  });

  it('a sweep counts each orphan it deletes, not the key the Secret names', () => {
    const g = gathered(key({}, { keyId: 'key-1' }, openMark), { pending: { state: 'read', keyIds: ['key-1', 'key-8', 'key-9'] } });
    expect(tallied(decide(g))).to.deep.equal(['KeyDelete key-8 => OrphanDeleted', 'KeyDelete key-9 => OrphanDeleted']);
  });

  it('a deletion counts the pending keys it deletes as orphans, not its own key or its grace key', () => {
    const g = gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0', previousKeyRevokeAt: later }, { ...deleting, ...openMark }), {
      pending: { state: 'read', keyIds: ['key-7', 'key-1'] },
    });
    expect(tallied(decide(g))).to.deep.equal(['KeyDelete key-7 => OrphanDeleted']);
  });

  it('nothing else counts: converge, in sync, grace key revoked', () => {
    expect(tallied(decide(gathered(key({}, { keyId: 'key-1' }))))).to.deep.equal([]);
    expect(tallied(decide(gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0', previousKeyRevokeAt: earlier }))))).to.deep.equal([]);
  });
});

interface Row {
  name: string;
  setup(w: KeyWorld): void;
  tallies: string[];
}

const rows: Row[] = [
  { name: 'first key', setup: (w) => w.key(), tallies: ['KeyMinted Initial'] },
  {
    name: 'Secret deleted',
    setup: (w) => {
      w.om.addKey('key-1');
      w.key({}, readyStatus('key-1'));
    },
    tallies: ['KeyMinted SecretDeleted'],
  },
  {
    name: 'pair edited',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1')), 'key-1');
      w.editSecret('pair');
    },
    tallies: ['KeyMinted PairEdited'],
  },
  { name: 'key deleted in Ops Manager', setup: (w) => w.secretFor(w.key({}, readyStatus('key-1')), 'key-1'), tallies: ['KeyMinted KeyDeletedInOpsManager'] },
  {
    name: 'rotation due',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({ rotation: { every: '1h', gracePeriod: '10m' } }, readyStatus('key-1', { rotatedAt: '2026-11-28T10:00:00Z' })), 'key-1');
    },
    tallies: ['KeyMinted Rotation'],
  },
  {
    name: 'interrupted create: the orphan swept, then the first key',
    setup: (w) => {
      w.om.addKey('orphan', { desc: TAG });
      w.key({}, undefined, openMark);
    },
    tallies: ['OrphanDeleted', 'KeyMinted Initial'],
  },
  {
    name: 'deletion during an interrupted create: the orphan counts, its own key does not',
    setup: (w) => {
      w.om.addKey('key-1');
      w.om.addKey('orphan', { desc: TAG });
      w.secretFor(w.key({}, readyStatus('key-1'), { ...deleting, ...openMark }), 'key-1');
    },
    tallies: ['OrphanDeleted'],
  },
  {
    name: 'a create Ops Manager refuses: nothing counted',
    setup: (w) => {
      w.key();
      w.om.failOnce('create', new UnauthorizedError('no', { status: 401 }));
    },
    tallies: [],
  },
  {
    name: 'a create that fails after the key was minted but before its pair is published: nothing counted (a sweep follows)',
    setup: (w) => {
      w.key({ accessList: [{ ipAddress: '192.0.2.1' }] });
      w.om.failOnce('addAccessList', new UnavailableError('down', { status: 503 }));
    },
    tallies: [],
  },
  {
    name: 'a Secret write that fails: nothing counted',
    setup: (w) => {
      w.key();
      w.secrets.create = () => Promise.reject(Object.assign(new Error('apiserver away'), { code: 503 }));
    },
    tallies: [],
  },
  {
    name: 'steady state: nothing counted',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1')), 'key-1');
    },
    tallies: [],
  },
];

describe('omkey reconciler: act reports a tally only for steps carried out', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = new KeyWorld();
      row.setup(w);
      await w.reconcile();
      expect(w.tallies).to.deep.equal(row.tallies);
    });
  }
});
