import { expect } from 'chai';
import { decide } from '../../../src/controllers/opsmanagerapikey/decide.ts';
import type { Decision, Gathered, Plan } from '../../../src/controllers/opsmanagerapikey/plan.ts';
import { pendingTag } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { NOW, ORG, PROJECT, gathered, key, ours, remote, stepLines } from './fixtures.ts';

const absent = { state: 'absent' } as const;
const unread = { state: 'unread' } as const;
const hourAgo = new Date(NOW.getTime() - 3_600_000).toISOString();
const rotate = (value: string): Partial<Parameters<typeof key>[2]> => ({ annotations: { 'omkeys.io/rotate': value } });
const later = new Date(NOW.getTime() + 600_000).toISOString();
const deleting = { deletionTimestamp: NOW.toISOString() };
/** An open create-pending mark: the annotation, not settled in status. */
const pendingMeta = { annotations: { 'omkeys.io/create-pending': JSON.stringify({ id: 'm1', tag: 't', startedAt: hourAgo }) } };

function plan(d: Decision): Plan {
  if (d.kind !== 'act') throw new Error(`expected a plan, got reads ${d.reads.join(',')}`);
  return d.plan;
}

interface Row {
  name: string;
  g: Gathered;
  steps: string[];
  plan?: Plan['name'];
}

const CREATE = ['PendingMark', 'Create org', 'SecretWrite', 'KeyUpdate created desc=team-a/k'];
/** A replacement also says in status what it does, and which key it will retire, before the create. */
const REPLACE = ['PendingMark', 'StatusWrite', 'Create org', 'SecretWrite', 'KeyUpdate created desc=team-a/k'];
const rows: Row[] = [
  { name: 'adds the finalizer before anything but a first key', g: gathered(key({}, { keyId: 'key-1' }, { finalizers: [] }), { live: false, connection: unread }), steps: ['AddFinalizer'] },
  { name: 'a first key rests on the cache: only the connection is read', g: gathered(key(), { live: false, secret: absent, connection: unread }), steps: ['read connection'] },
  { name: 'a first key: its pending mark carries the finalizer (one write)', g: gathered(key({}, undefined, { finalizers: [] }), { live: false, secret: absent }), steps: [...CREATE, 'StatusWrite', 'Event KeyCreated'] },
  { name: 'a replacement rests on live reads', g: gathered(key({}, { keyId: 'key-1' }), { live: false, secret: absent }), steps: ['read live'] },
  { name: 'creates the first key when there is no Secret', g: gathered(key(), { secret: absent }), steps: [...CREATE, 'StatusWrite', 'Event KeyCreated'], plan: 'Provision' },
  {
    name: 'applies access list and bound project roles before the pair is published',
    g: gathered(key({ accessList: [{ ipAddress: '192.0.2.1' }] }), {
      secret: absent,
      bindings: [{ apiVersion: 'omkeys.io/v1alpha1', kind: 'ProjectKeyBinding', metadata: { name: 'b', namespace: 'team-a', finalizers: ['omkeys.io/finalizer'] }, spec: { apiKeyRef: { name: 'k' }, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] } }],
    }),
    steps: ['PendingMark', 'Create org', 'AccessListAdd 192.0.2.1', `ProjectAssign ${PROJECT} GROUP_READ_ONLY`, 'SecretWrite', 'KeyUpdate created desc=team-a/k', 'StatusWrite', 'Event KeyCreated'],
  },
  {
    name: 'replaces the key when its Secret was deleted, retiring the old key at once',
    g: gathered(key({}, { keyId: 'key-1' }), { secret: absent }),
    steps: [...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'],
  },
  {
    name: 'a project key with a grace key whose Secret is deleted: the grace key is deleted first, never forgotten',
    g: gathered(key({ orgId: undefined, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }, { keyId: 'key-1', previousKeyId: 'key-0', previousKeyRevokeAt: later }), { secret: absent }),
    steps: [`KeyDelete key-0 or unassign from ${PROJECT}`, 'PendingMark', 'StatusWrite', 'Create project', 'SecretWrite', 'KeyUpdate created desc=team-a/k', `KeyDelete key-1 or unassign from ${PROJECT}`, 'StatusWrite', 'Event KeyReplaced'],
  },
  { name: 'replaces the key when the pair in the Secret was edited', g: gathered(key({}, { keyId: 'key-1' }), { secret: ours({ pairIntact: false }) }), steps: [...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'] },
  { name: 'replaces a key deleted by hand in Ops Manager, with nothing to retire', g: gathered(key({}, { keyId: 'key-1' }), { remote: absent }), steps: [...REPLACE, 'StatusWrite', 'Event KeyReplaced'] },
  {
    name: 'rotates when the period is over, keeping the old key for the grace period',
    g: gathered(key({ rotation: { every: '1h', gracePeriod: '10m' } }, { keyId: 'key-1', rotatedAt: hourAgo })),
    steps: [...REPLACE, 'StatusWrite', 'Event KeyReplaced'],
  },
  {
    name: 'a rotation that overtakes a pending retirement deletes the older key first',
    g: gathered(key({ rotation: { every: '1h' } }, { keyId: 'key-1', rotatedAt: hourAgo, previousKeyId: 'key-0', previousKeyRevokeAt: later })),
    steps: ['KeyDelete key-0', ...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'],
  },
  { name: 'after a refused create, reads before writing anything', g: gathered(key({}, { conditions: [{ type: 'KeyProvisioned', status: 'False', reason: 'Unauthorized', message: 'x', lastTransitionTime: hourAgo }] }), { secret: absent, pending: unread }), steps: ['read pending'] },
  { name: 'refuses what the policy forbids, terminally', g: gathered(key({ roles: ['ORG_OWNER'] })), steps: ['StatusWrite', 'Event PolicyDenied'], plan: 'Blocked' },
  { name: 'refuses a bad template before minting anything', g: gathered(key(), { secret: absent, templateError: 'unknown placeholder' }), steps: ['StatusWrite', 'Event InvalidSpec'] },
  { name: 'never takes over a Secret it does not own', g: gathered(key(), { secret: { state: 'foreign' } }), steps: ['StatusWrite', 'Event SecretConflict'] },
  { name: 'sweeps only on live reads', g: gathered(key({}, undefined, pendingMeta), { live: false }), steps: ['read live'] },
  { name: 'a crash after the rename: the Secret carrying the open mark\'s id names the key (untagged now); recorded and named', g: gathered(key({}, undefined, pendingMeta), { secret: ours({ keyId: 'new-1', createId: 'm1' }) }), steps: ['StatusWrite', 'KeyUpdate new-1 desc=team-a/k'], plan: 'SweepPending' },
  { name: 'its key id edited by hand meanwhile: the key holding the Secret\'s public key is kept and recorded, the edited id is not', g: gathered(key({}, undefined, pendingMeta), { secret: ours({ keyId: 'edited', createId: 'm1' }), pending: { state: 'read', keyIds: ['new-1'], holder: 'new-1' } }), steps: ['StatusWrite', 'KeyUpdate new-1 desc=team-a/k'], plan: 'SweepPending' },
  { name: 'its pair and key id edited by hand: the annotation names a key described as the spec says; that one is kept and recorded', g: gathered(key({}, undefined, pendingMeta), { secret: ours({ keyId: 'edited', createId: 'm1', pairIntact: false, annotations: { 'omkeys.io/key-id': 'new-1' } }), pending: { state: 'read', keyIds: [], named: ['new-1'] } }), steps: ['StatusWrite', 'KeyUpdate new-1 desc=team-a/k'], plan: 'SweepPending' },
  { name: 'a Secret of an older create does not name the open create\'s key: tagged keys are swept', g: gathered(key({}, { keyId: 'key-1' }, pendingMeta), { secret: ours({ createId: 'm0' }), pending: { state: 'read', keyIds: ['key-9'] } }), steps: ['KeyDelete key-9', 'Event OrphanKeyDeleted', 'StatusWrite'], plan: 'SweepPending' },
  { name: 'our Secret being deleted: released only on a live read', g: gathered(key({}, { keyId: 'key-1' }), { live: false, secret: ours({ createId: 'm0', deleting: true }) }), steps: ['read live'] },
  { name: 'our Secret being deleted, status naming its key: released (the replacement follows its removal)', g: gathered(key({}, { keyId: 'key-1' }), { secret: ours({ createId: 'm0', deleting: true }) }), steps: ['ReleaseSecret'], plan: 'ReleaseSecret' },
  { name: 'a deletion releases our protected Secret before it removes the finalizer', g: gathered(key({}, { keyId: 'key-1' }, deleting), { secret: ours({ createId: 'm0' }) }), steps: ['KeyDelete key-1', 'ReleaseSecret', 'RemoveFinalizer'] },
  { name: 'sweeps keys left by an interrupted create, sparing the one in the Secret', g: gathered(key({}, undefined, pendingMeta), { pending: { state: 'read', keyIds: ['key-1', 'key-9'] } }), steps: ['KeyDelete key-9', 'Event OrphanKeyDeleted', 'StatusWrite', 'KeyUpdate key-1 desc=team-a/k'], plan: 'SweepPending' },
  { name: 'on deletion reads live first', g: gathered(key({}, { keyId: 'key-1' }, deleting), { live: false }), steps: ['read live'] },
  { name: 'on deletion removes the key, the previous key and pending ones', g: gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0' }, deleting), { pending: { state: 'read', keyIds: ['key-7'] } }), steps: ['KeyDelete key-7', 'KeyDelete key-0', 'KeyDelete key-1', 'RemoveFinalizer'] },
  { name: 'on deletion with Retain keeps the current key', g: gathered(key({ deletionPolicy: 'Retain' }, { keyId: 'key-1' }, deleting)), steps: ['Event KeyRetained', 'RemoveFinalizer'] },
  { name: 'a deletion with nothing to delete needs no connection', g: gathered(key({}, undefined, deleting), { secret: absent, connection: unread }), steps: ['RemoveFinalizer'] },
  { name: 'reads Ops Manager before converging', g: gathered(key(), { remote: unread, connection: unread }), steps: ['read connection,remote'] },
  { name: 'writes nothing when Ops Manager and the Secret already match', g: gathered(key({}, undefined)), steps: ['StatusWrite'], plan: 'Converge' },
  {
    name: 'patches description and roles in one call and diffs the access list',
    g: gathered(key({ description: 'billing', roles: ['ORG_MEMBER'], accessList: [{ cidrBlock: '10.0.0.0/8' }] }), { remote: { state: 'present', key: remote({ desc: 'hand edit', accessList: ['192.0.2.9/32'] }) } }),
    steps: ['KeyUpdate key-1 desc=billing roles=ORG_MEMBER', 'AccessListAdd 10.0.0.0/8', 'AccessListRemove 192.0.2.9/32', 'Event Updated', 'StatusWrite'],
  },
  { name: 'a project key gets its roles back through its project', g: gathered(key({ orgId: undefined, projectId: PROJECT, roles: ['GROUP_OWNER'] }), { remote: { state: 'present', key: remote({ roles: [] }) } }), steps: [`ProjectAssign ${PROJECT} GROUP_OWNER`, 'Event Updated', 'StatusWrite'] },
  { name: 're-renders a Secret whose labels or template keys differ', g: gathered(key(), { secret: ours({ matchesDesired: false }) }), steps: ['SecretWrite', 'Event SecretRepaired', 'StatusWrite'] },
  { name: 'retires the previous key once its grace period is over', g: gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0', previousKeyRevokeAt: hourAgo })), steps: ['KeyDelete key-0', 'Event PreviousKeyRevoked', 'StatusWrite'] },
  { name: 'never retires the key the Secret names, even if status calls it previous', g: gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-1', previousKeyRevokeAt: hourAgo })), steps: ['StatusWrite'] },
];

describe('omkey decide: reads and plans', () => {
  for (const row of rows) {
    it(row.name, () => {
      const d = decide(row.g);
      expect(stepLines(d)).to.deep.equal(row.steps);
      if (row.plan) expect(plan(d).name).to.equal(row.plan);
    });
  }
});

describe('omkey decide: details', () => {
  it('a create marks the pending tag (with the finalizer) and, for a replacement, the key to retire, before anything reaches Ops Manager', () => {
    const p = plan(decide(gathered(key({ rotation: { every: '1h', gracePeriod: '10m' } }, { keyId: 'key-1', rotatedAt: hourAgo }))));
    const mark = p.steps[0];
    if (mark?.kind !== 'PendingMark') throw new Error('no mark');
    expect(mark.mark).to.deep.include({ tag: pendingTag(key()), startedAt: '2026-11-28T12:00:00Z' });
    const status = p.steps[1];
    if (status?.kind !== 'StatusWrite' || typeof status.status === 'function') throw new Error('no status before the create');
    expect(status.status.previousKeyId).to.equal('key-1');
    expect(status.status.previousKeyRevokeAt).to.equal('2026-11-28T12:10:00Z');
    expect(p.steps[2]).to.deep.include({ kind: 'Create', scope: { orgId: ORG }, desc: 'omkeys-pending:uid-1' });
    const final = p.steps.at(-2);
    if (final?.kind !== 'StatusWrite' || typeof final.status !== 'function') throw new Error('no final status');
    expect(final.status({ id: 'n', publicKey: 'p', privateKey: 'x' }).createSettled, 'the final status settles the mark').to.equal(JSON.stringify(mark.mark));
  });

  it('a first key: the Secret carries our finalizer and the create id before the rename, and one status, after it, records the key and says Ready', () => {
    const p = plan(decide(gathered(key(), { secret: absent })));
    const kinds = p.steps.map((s) => s.kind);
    const rename = kinds.indexOf('KeyUpdate');
    expect(kinds.filter((k) => k === 'StatusWrite'), 'one status write').to.have.length(1);
    expect(kinds.indexOf('SecretWrite'), 'the Secret before the rename').to.be.lessThan(rename);
    expect(kinds.indexOf('StatusWrite'), 'Ready after the rename').to.be.greaterThan(rename);
    const mark = p.steps[0];
    const write = p.steps[kinds.indexOf('SecretWrite')];
    if (mark?.kind !== 'PendingMark' || write?.kind !== 'SecretWrite' || typeof write.desired !== 'function') throw new Error('expected the mark and a Secret built from the created key');
    const secret = write.desired({ id: 'new', publicKey: 'pub', privateKey: 'priv-9f3c2a' });
    expect(secret.metadata?.finalizers).to.deep.equal(['omkeys.io/secret-protection']);
    expect(secret.metadata?.annotations?.['omkeys.io/create-id']).to.equal(mark.mark.id);
    expect(mark.mark.secret, 'the mark names the Secret it writes').to.equal('k');
    const last = p.steps.at(-2);
    if (last?.kind !== 'StatusWrite' || typeof last.status !== 'function') throw new Error('expected a final status built from the created key');
    const st = last.status({ id: 'new', publicKey: 'pub', privateKey: 'priv-9f3c2a' });
    expect(st.keyId).to.equal('new');
    expect(st.createSettled).to.be.a('string');
    expect(st.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    expect(JSON.stringify(st)).to.not.contain('priv-9f3c2a');
  });

  it('a rotation without grace says Ready=False before the create: the old key is deleted before the new one is Ready', () => {
    const p = plan(decide(gathered(key({}, { keyId: 'key-1' }, rotate('r1')))));
    const first = p.steps.find((s) => s.kind === 'StatusWrite');
    if (first?.kind !== 'StatusWrite' || typeof first.status === 'function') throw new Error('expected the status written before the create');
    expect(first.status.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('False');
    const graceful = plan(decide(gathered(key({ rotation: { every: '720h', gracePeriod: '1h' } }, { keyId: 'key-1', rotatedAt: hourAgo }, rotate('r1')))));
    const kept = graceful.steps.find((s) => s.kind === 'StatusWrite');
    if (kept?.kind !== 'StatusWrite' || typeof kept.status === 'function') throw new Error('expected the status written before the create');
    expect(kept.status.conditions?.find((c) => c.type === 'Ready')?.status, 'the old pair works through the grace period').to.not.equal('False');
  });

  it('plans the next check at the rotation time, and at the end of a grace period', () => {
    const rot = plan(decide(gathered(key({ rotation: { every: '2h' } }, { keyId: 'key-1', rotatedAt: hourAgo }))));
    expect(rot.then).to.deep.include({ kind: 'done', requeueAfterMs: 3_600_000 });
    const grace = plan(decide(gathered(key({}, { keyId: 'key-1', previousKeyId: 'key-0', previousKeyRevokeAt: later }))));
    expect(grace.then).to.deep.include({ kind: 'done', requeueAfterMs: 600_000 });
  });

  it('a recent sync skips Ops Manager reads but still repairs the Secret', () => {
    const fresh = { lastSync: { generation: 1, keyId: 'key-1', at: NOW.getTime() - 1000 }, freshnessMs: 60_000, remote: unread, connection: unread };
    const obj = key({}, { keyId: 'key-1' });
    expect(stepLines(decide(gathered(obj, fresh)))).to.deep.equal([]);
    expect(stepLines(decide(gathered(obj, { ...fresh, secret: ours({ matchesDesired: false }) })))).to.deep.equal(['SecretWrite', 'Event SecretRepaired']);
    expect(stepLines(decide(gathered(key({}, { keyId: 'key-1' }, { generation: 2 }), fresh)))).to.deep.equal(['read connection,remote']);
    expect(stepLines(decide(gathered(obj, { ...fresh, lastSync: { generation: 1, keyId: 'key-1', at: NOW.getTime() - 61_000 } })))).to.deep.equal(['read connection,remote']);
  });

  it('blocked plans say terminal or not', () => {
    expect(plan(decide(gathered(key({ roles: ['ORG_OWNER'] })))).then).to.deep.include({ kind: 'fail', terminal: true, reason: 'PolicyDenied' });
    expect(plan(decide(gathered(key(), { secret: { state: 'foreign' } }))).then).to.deep.include({ kind: 'fail', terminal: false, reason: 'SecretConflict' });
  });
});
