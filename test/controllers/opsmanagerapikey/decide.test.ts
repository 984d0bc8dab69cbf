import { expect } from 'chai';
import { decide, isNoop, pendingTag, type Gathered, type Plan } from '../../../src/controllers/opsmanagerapikey/decide.ts';
import { NOW, gathered, key, remote } from './fixtures.ts';

const absent = { state: 'absent' } as const;
const ours = (over: { keyId?: string; pairIntact?: boolean; matchesDesired?: boolean } = {}): Gathered['secret'] => ({
  state: 'ours',
  reading: { keyId: 'keyId' in over ? over.keyId : 'key-1', publicKey: 'abcdefgh', pairIntact: over.pairIntact ?? true },
  matchesDesired: over.matchesDesired ?? true,
});
const hourAgo = new Date(NOW.getTime() - 3_600_000).toISOString();
const later = new Date(NOW.getTime() + 600_000).toISOString();

interface Row {
  name: string;
  g: Gathered;
  expect: Partial<Plan> & { kind: Plan['kind'] };
}

const rows: Row[] = [
  { name: 'adds the finalizer before anything else', g: gathered(key({}, undefined, { finalizers: [] }), { secret: absent, remote: { state: 'unread' } }), expect: { kind: 'AddFinalizer' } },
  { name: 'creates the first key when there is no Secret', g: gathered(key(), { secret: absent, remote: { state: 'unread' } }), expect: { kind: 'Provision', why: 'Initial', deleteFirst: [] } },
  {
    name: 'replaces the key when its Secret was deleted, retiring the old key at once',
    g: gathered(key({}, { keyId: 'key-1' }), { secret: absent, remote: { state: 'unread' } }),
    expect: { kind: 'Provision', why: 'SecretDeleted', retire: { keyId: 'key-1', revokeAt: NOW }, deleteFirst: [] },
  },
  {
    name: 'replaces the key when the pair in the Secret was edited',
    g: gathered(key({}, { keyId: 'key-1' }), { secret: ours({ pairIntact: false }) }),
    expect: { kind: 'Provision', why: 'PairEdited', retire: { keyId: 'key-1', revokeAt: NOW }, deleteFirst: [] },
  },
  {
    name: 'replaces a key deleted by hand in Ops Manager, with nothing to retire',
    g: gathered(key({}, { keyId: 'key-1' }), { remote: absent }),
    expect: { kind: 'Provision', why: 'KeyDeletedInOpsManager', deleteFirst: [] },
  },
  {
    name: 'rotates when the period is over, keeping the old key for the grace period',
    g: gathered(key({ rotation: { every: '1h', gracePeriod: '10m' } }, { keyId: 'key-1', rotatedAt: hourAgo })),
    expect: { kind: 'Provision', why: 'Rotation', retire: { keyId: 'key-1', revokeAt: new Date(NOW.getTime() + 600_000) }, deleteFirst: [] },
  },
  {
    name: 'a rotation that overtakes a pending retirement deletes the older key first',
    g: gathered(key({ rotation: { every: '1h' } }, { keyId: 'key-1', rotatedAt: hourAgo, previousKeyId: 'key-0', previousKeyRevokeAt: later })),
    expect: { kind: 'Provision', why: 'Rotation', deleteFirst: ['key-0'] },
  },
  {
    name: 'refuses what the policy forbids, terminally',
    g: gathered(key(), { policy: { allowed: false, message: 'no' } }),
    expect: { kind: 'Blocked', reason: 'PolicyDenied', terminal: true, condition: 'KeyProvisioned' },
  },
  {
    name: 'refuses a bad template before minting anything',
    g: gathered(key(), { secret: absent, templateError: 'unknown placeholder', remote: { state: 'unread' } }),
    expect: { kind: 'Blocked', reason: 'InvalidSpec', terminal: true },
  },
  {
    name: 'never takes over a Secret it does not own',
    g: gathered(key(), { secret: { state: 'foreign' }, remote: { state: 'unread' } }),
    expect: { kind: 'Blocked', reason: 'SecretConflict', terminal: false, condition: 'SecretSynced' },
  },
  {
    name: 'sweeps keys left by an interrupted create, sparing the one in the Secret',
    g: gathered(key({}, { pendingCreate: { tag: 't', startedAt: hourAgo } }), { pendingKeyIds: ['key-1', 'key-9'] }),
    expect: { kind: 'SweepPending', deleteKeyIds: ['key-9'], clearPreviousKey: false },
  },
  {
    name: 'a crash before the create leaves "previous" naming the current key: the sweep clears it instead of deleting',
    g: gathered(key({}, { pendingCreate: { tag: 't', startedAt: hourAgo }, previousKeyId: 'key-1' }), { pendingKeyIds: [] }),
    expect: { kind: 'SweepPending', deleteKeyIds: [], clearPreviousKey: true },
  },
  {
    name: 'on deletion removes the key, the previous key and pending ones',
    g: gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0' }, { deletionTimestamp: NOW.toISOString() }), { pendingKeyIds: ['key-7'] }),
    expect: { kind: 'Finalize', deleteKeyIds: ['key-7', 'key-0', 'key-1'] },
  },
  {
    name: 'on deletion with Retain keeps the current key',
    g: gathered(key({ deletionPolicy: 'Retain' }, { keyId: 'key-1' }, { deletionTimestamp: NOW.toISOString() })),
    expect: { kind: 'Finalize', deleteKeyIds: [], retainedKeyId: 'key-1' },
  },
];

describe('omkey decide: which step comes next', () => {
  for (const row of rows) {
    it(row.name, () => {
      const plan = decide(row.g);
      expect(plan).to.deep.include(row.expect);
    });
  }
});

describe('omkey decide: converge', () => {
  it('is a no-op when Ops Manager already matches', () => {
    const plan = decide(gathered(key({ accessList: [{ ipAddress: '192.0.2.1' }] }), { remote: { state: 'present', key: remote({ accessList: ['192.0.2.1/32'] }) } }));
    expect(plan.kind).to.equal('Converge');
    expect(isNoop(plan)).to.equal(true);
  });

  it('patches description and roles and diffs the access list', () => {
    const obj = key({ description: 'billing', roles: ['ORG_MEMBER'], accessList: [{ cidrBlock: '10.0.0.0/8' }] });
    const plan = decide(gathered(obj, { remote: { state: 'present', key: remote({ desc: 'hand edit', accessList: ['192.0.2.9/32'] }) } }));
    expect(plan).to.deep.include({ kind: 'Converge', patch: { desc: 'billing', roles: ['ORG_MEMBER'] }, accessList: { add: [{ cidrBlock: '10.0.0.0/8' }], remove: ['192.0.2.9/32'] } });
  });

  it('treats roles as a set', () => {
    const plan = decide(gathered(key({ roles: ['ORG_MEMBER', 'ORG_READ_ONLY'] }), { remote: { state: 'present', key: remote({ roles: ['ORG_READ_ONLY', 'ORG_MEMBER'] }) } }));
    expect(isNoop(plan)).to.equal(true);
  });

  it('re-renders a Secret whose template changed', () => {
    const plan = decide(gathered(key(), { secret: ours({ matchesDesired: false }) }));
    expect(plan).to.deep.include({ kind: 'Converge', rewriteSecret: true });
  });

  it('retires the previous key once its grace period is over, and not before', () => {
    const due = decide(gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0', previousKeyRevokeAt: hourAgo })));
    expect(due).to.deep.include({ kind: 'Converge', retireNow: 'key-0' });
    const notYet = decide(gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0', previousKeyRevokeAt: later })));
    expect(notYet).to.deep.include({ kind: 'Converge', requeueAfterMs: 600_000 });
    expect(notYet).to.not.have.property('retireNow');
  });

  it('never retires the key the Secret names, even if status calls it previous', () => {
    const plan = decide(gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-1', previousKeyRevokeAt: hourAgo })));
    expect(plan).to.not.have.property('retireNow');
  });

  it('plans the next check at the rotation time', () => {
    const plan = decide(gathered(key({ rotation: { every: '2h' } }, { keyId: 'key-1', rotatedAt: hourAgo })));
    expect(plan).to.deep.include({ kind: 'Converge', requeueAfterMs: 3_600_000 });
  });

  it('tags pending creates with the resource uid', () => {
    expect(pendingTag(key())).to.equal('omkeys-pending:uid-1');
  });
});
