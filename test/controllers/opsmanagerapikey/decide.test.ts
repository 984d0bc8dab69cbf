import { expect } from 'chai';
import { decide } from '../../../src/controllers/opsmanagerapikey/decide.ts';
import type { Decision, Gathered, Plan } from '../../../src/controllers/opsmanagerapikey/plan.ts';
import { pendingTag } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { workingConnection } from '../../../src/controllers/opsmanagerapikey/facts.ts';
import { NOW, ORG, PROJECT, RECORDED, gathered, key, ours, remote, stepLines } from './fixtures.ts';
import { TEST_CONNECTION } from '../support/connection-fixtures.ts';

const absent = { state: 'absent' } as const;
const unread = { state: 'unread' } as const;
const hourAgo = new Date(NOW.getTime() - 3_600_000).toISOString();
const rotate = (value: string): Partial<Parameters<typeof key>[2]> => ({ annotations: { 'omkeys.io/rotate': value } });
const later = new Date(NOW.getTime() + 600_000).toISOString();
const deleting = { deletionTimestamp: NOW.toISOString() };
/** An open create-pending mark: the annotation, not settled in status. */
const pendingMeta = { annotations: { 'omkeys.io/create-pending': JSON.stringify({ id: 'm1', tag: 't', startedAt: hourAgo, connection: 'ClusterOpsManagerConnection/om' }) } };
const rec = (over: Parameters<typeof key>[1] = {}): Parameters<typeof key>[1] => ({ ...RECORDED, ...over });

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

/** Record before name: status records the new key (still tagged) before its rename. */
const CREATE = ['PendingMark', 'Create org', 'SecretWrite', 'StatusWrite', 'KeyUpdate created desc=team-a/k'];
/** A replacement also says in status what it does, and which key it will retire, before the create. */
const REPLACE = ['PendingMark', 'StatusWrite', 'Create org', 'SecretWrite', 'StatusWrite', 'KeyUpdate created desc=team-a/k'];
const rows: Row[] = [
  { name: 'adds the finalizer before anything but a first key', g: gathered(key({}, rec(), { finalizers: [] }), { live: false, connection: unread }), steps: ['AddFinalizer'] },
  { name: 'a first key rests on the cache: only the connection is read', g: gathered(key(), { live: false, secret: absent, connection: unread }), steps: ['read connection'] },
  { name: 'a first key: its pending mark carries the finalizer (one write)', g: gathered(key({}, undefined, { finalizers: [] }), { live: false, secret: absent }), steps: [...CREATE, 'StatusWrite', 'Event KeyCreated'] },
  { name: 'a replacement rests on live reads', g: gathered(key({}, rec()), { live: false, secret: absent }), steps: ['read live'] },
  { name: 'creates the first key when there is no Secret', g: gathered(key(), { secret: absent }), steps: [...CREATE, 'StatusWrite', 'Event KeyCreated'], plan: 'Provision' },
  {
    name: 'applies access list and bound project roles before the pair is published',
    g: gathered(key({ accessList: [{ ipAddress: '192.0.2.1' }] }), {
      secret: absent,
      bindings: [{ apiVersion: 'omkeys.io/v1alpha1', kind: 'ProjectKeyBinding', metadata: { name: 'b', namespace: 'team-a', finalizers: ['omkeys.io/finalizer'] }, spec: { apiKeyRef: { name: 'k' }, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] } }],
    }),
    steps: ['PendingMark', 'Create org', 'AccessListAdd 192.0.2.1', `ProjectAssign ${PROJECT} GROUP_READ_ONLY`, 'SecretWrite', 'StatusWrite', 'KeyUpdate created desc=team-a/k', 'StatusWrite', 'Event KeyCreated'],
  },
  {
    name: 'replaces the key when its Secret was deleted, retiring the old key at once',
    g: gathered(key({}, rec()), { secret: absent }),
    steps: [...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'],
  },
  {
    name: 'a project key with a grace key whose Secret is deleted: the grace key is deleted first, never forgotten',
    g: gathered(key({ orgId: undefined, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }, rec({ previousKeyId: 'key-0', previousKeyRevokeAt: later })), { secret: absent }),
    steps: [`KeyDelete key-0 or unassign from ${PROJECT}`, 'PendingMark', 'StatusWrite', 'Create project', 'SecretWrite', 'StatusWrite', 'KeyUpdate created desc=team-a/k', `KeyDelete key-1 or unassign from ${PROJECT}`, 'StatusWrite', 'Event KeyReplaced'],
  },
  { name: 'replaces the key when the pair in the Secret was edited', g: gathered(key({}, rec()), { secret: ours({ pairIntact: false }) }), steps: [...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'] },
  { name: 'replaces a key deleted by hand in Ops Manager, with nothing to retire', g: gathered(key({}, rec()), { remote: absent }), steps: [...REPLACE, 'StatusWrite', 'Event KeyReplaced'] },
  {
    name: 'rotates when the period is over, keeping the old key for the grace period',
    g: gathered(key({ rotation: { every: '1h', gracePeriod: '10m' } }, rec({ rotatedAt: hourAgo }))),
    steps: [...REPLACE, 'StatusWrite', 'Event KeyReplaced'],
  },
  {
    name: 'a rotation that overtakes a pending retirement deletes the older key first',
    g: gathered(key({ rotation: { every: '1h' } }, rec({ rotatedAt: hourAgo, previousKeyId: 'key-0', previousKeyRevokeAt: later }))),
    steps: ['KeyDelete key-0', ...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'],
  },
  { name: 'after a refused create, reads before writing anything', g: gathered(key({}, { conditions: [{ type: 'KeyProvisioned', status: 'False', reason: 'Unauthorized', message: 'x', lastTransitionTime: hourAgo }] }), { secret: absent, pending: unread }), steps: ['read pending'] },
  { name: 'refuses what the policy forbids, terminally', g: gathered(key({ roles: ['ORG_OWNER'] }, rec())), steps: ['StatusWrite', 'Event PolicyDenied'], plan: 'Blocked' },
  { name: 'refuses a bad template before minting anything', g: gathered(key(), { secret: absent, templateError: 'unknown placeholder' }), steps: ['StatusWrite', 'Event InvalidSpec'] },
  { name: 'never takes over a Secret it does not own', g: gathered(key(), { secret: { state: 'foreign' } }), steps: ['StatusWrite', 'Event SecretConflict'] },
  { name: 'sweeps only on live reads', g: gathered(key({}, undefined, pendingMeta), { live: false }), steps: ['read live'] },
  { name: 'a crash after the Secret write: the tagged key holding the Secret\'s public key is recorded, then named', g: gathered(key({}, undefined, pendingMeta), { secret: ours({ keyId: 'new-1' }), pending: { state: 'read', keyIds: ['new-1'], holder: 'new-1' } }), steps: ['StatusWrite', 'KeyUpdate new-1 desc=team-a/k'], plan: 'SweepPending' },
  { name: 'the Secret\'s key id names another key (edited or forged): never kept, never named; the tagged key it does not hold is deleted', g: gathered(key({}, undefined, pendingMeta), { secret: ours({ keyId: 'victim', publicKey: 'victimpub' }), pending: { state: 'read', keyIds: ['new-1'] } }), steps: ['KeyDelete new-1', 'Event OrphanKeyDeleted', 'StatusWrite'], plan: 'SweepPending' },
  { name: 'a forged mark with nothing tagged: only settled', g: gathered(key({}, rec(), pendingMeta), { secret: ours({ keyId: 'victim' }), pending: { state: 'read', keyIds: [] } }), steps: ['StatusWrite'], plan: 'SweepPending' },
  {
    name: 'a key found through another connection than status\'s keys were made through is swept, never recorded beside them',
    g: gathered(key({ connectionRef: { kind: 'OpsManagerConnection', name: 'om' } }, rec(), { annotations: { 'omkeys.io/create-pending': JSON.stringify({ id: 'm1', connection: 'OpsManagerConnection/om' }) } }), {
      connections: { spec: 'OpsManagerConnection/om', recorded: TEST_CONNECTION },
      connection: { state: 'read', name: 'OpsManagerConnection/om', baseUrl: 'https://om.example', orgId: ORG, publicKey: 'tenant' },
      secret: ours({ keyId: 'planted' }),
      pending: { state: 'read', keyIds: ['planted'], holder: 'planted' },
    }),
    steps: ['KeyDelete planted', 'Event OrphanKeyDeleted', 'StatusWrite'],
    plan: 'SweepPending',
  },
  { name: 'a tagged key of an older create is swept, the recorded key kept', g: gathered(key({}, rec(), pendingMeta), { secret: ours(), pending: { state: 'read', keyIds: ['key-9'] } }), steps: ['KeyDelete key-9', 'Event OrphanKeyDeleted', 'StatusWrite'], plan: 'SweepPending' },
  { name: 'a Secret carrying an earlier version\'s finalizer: it is taken off first', g: gathered(key({}, rec()), { live: false, secret: ours({ legacyFinalizer: true }) }), steps: ['StripSecretFinalizer'], plan: 'StripSecretFinalizer' },
  { name: 'a deletion takes an earlier version\'s finalizer off our Secret before it removes its own', g: gathered(key({}, rec(), deleting), { secret: ours({ legacyFinalizer: true }) }), steps: ['KeyDelete key-1', 'StripSecretFinalizer', 'RemoveFinalizer'] },
  { name: 'a deletion lists the tagged keys whenever a mark was ever written', g: gathered(key({}, rec({ createSettled: 'x' }), { ...deleting, annotations: { 'omkeys.io/create-pending': 'x' } }), { pending: unread, connection: unread }), steps: ['read connection,pending'] },
  { name: 'a deletion deletes every key tagged with its uid, and status\'s keys', g: gathered(key({}, rec({ createSettled: 'x' }), { ...deleting, annotations: { 'omkeys.io/create-pending': 'x' } }), { pending: { state: 'read', keyIds: ['key-8'] } }), steps: ['KeyDelete key-8', 'KeyDelete key-1', 'RemoveFinalizer'] },
  { name: 'Retain with a recorded key still tagged: named before the resource goes', g: gathered(key({ deletionPolicy: 'Retain' }, rec(), deleting), { pending: { state: 'read', keyIds: ['key-1'] } }), steps: ['KeyUpdate key-1 desc=team-a/k', 'Event KeyRetained', 'ReleaseSecret', 'Event SecretRetained', 'RemoveFinalizer'] },
  { name: 'no key recorded and a Secret naming one (forged): a first key, the named one untouched', g: gathered(key(), { secret: ours({ keyId: 'victim' }) }), steps: [...CREATE, 'StatusWrite', 'Event KeyCreated'], plan: 'Provision' },
  { name: 'the Secret\'s keyId differs from status: the pair is replaced and status\'s key retired, the named one untouched', g: gathered(key({}, rec()), { secret: ours({ keyId: 'victim' }) }), steps: [...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'] },
  { name: 'the Secret\'s public key differs from status\'s: replaced', g: gathered(key({}, rec()), { secret: ours({ publicKey: 'victimpub' }) }), steps: [...REPLACE, 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'] },
  { name: 'the connection changed: status\'s keys are deleted through the connection that made them, then forgotten', g: gathered(key({ connectionRef: { kind: 'OpsManagerConnection', name: 'om' } }, rec({ previousKeyId: 'key-0', previousKeyRevokeAt: later })), { connections: { spec: 'OpsManagerConnection/om', recorded: TEST_CONNECTION } }), steps: ['KeyDelete key-1', 'KeyDelete key-0', 'StatusWrite', 'Event ConnectionChanged'], plan: 'ConnectionChanged' },
  { name: 'the connection changed: read live first', g: gathered(key({ connectionRef: { kind: 'OpsManagerConnection', name: 'om' } }, rec()), { live: false, connections: { spec: 'OpsManagerConnection/om', recorded: TEST_CONNECTION } }), steps: ['read live'] },
  { name: 'sweeps keys left by an interrupted create, sparing the one holding the Secret\'s pair', g: gathered(key({}, undefined, pendingMeta), { pending: { state: 'read', keyIds: ['key-1', 'key-9'], holder: 'key-1' } }), steps: ['KeyDelete key-9', 'Event OrphanKeyDeleted', 'StatusWrite', 'KeyUpdate key-1 desc=team-a/k'], plan: 'SweepPending' },
  { name: 'on deletion reads live first', g: gathered(key({}, rec(), deleting), { live: false }), steps: ['read live'] },
  { name: 'on deletion removes the key, the previous key and pending ones', g: gathered(key({}, rec({ previousKeyId: 'key-0' }), deleting), { pending: { state: 'read', keyIds: ['key-7'] } }), steps: ['KeyDelete key-7', 'KeyDelete key-0', 'KeyDelete key-1', 'RemoveFinalizer'] },
  { name: 'on deletion with Retain keeps the current key and lets its Secret go (ownerReference removed)', g: gathered(key({ deletionPolicy: 'Retain' }, rec(), deleting)), steps: ['Event KeyRetained', 'ReleaseSecret', 'Event SecretRetained', 'RemoveFinalizer'] },
  { name: 'on deletion with Retain and no Secret of ours: nothing to let go', g: gathered(key({ deletionPolicy: 'Retain' }, rec(), deleting), { secret: absent }), steps: ['Event KeyRetained', 'RemoveFinalizer'] },
  { name: 'a deletion with nothing to delete needs no connection', g: gathered(key({}, undefined, deleting), { secret: absent, connection: unread }), steps: ['RemoveFinalizer'] },
  { name: 'reads Ops Manager before converging', g: gathered(key({}, rec()), { remote: unread, connection: unread }), steps: ['read connection,remote'] },
  { name: 'writes only status when Ops Manager and the Secret already match', g: gathered(key({}, rec())), steps: ['StatusWrite'], plan: 'Converge' },
  {
    name: 'patches description and roles in one call and diffs the access list',
    g: gathered(key({ description: 'billing', roles: ['ORG_MEMBER'], accessList: [{ cidrBlock: '10.0.0.0/8' }] }, rec()), { remote: { state: 'present', key: remote({ desc: 'hand edit', accessList: ['192.0.2.9/32'] }) } }),
    steps: ['KeyUpdate key-1 desc=billing roles=ORG_MEMBER', 'AccessListAdd 10.0.0.0/8', 'AccessListRemove 192.0.2.9/32', 'Event Updated', 'StatusWrite'],
  },
  { name: 'a project key gets its roles back through its project', g: gathered(key({ orgId: undefined, projectId: PROJECT, roles: ['GROUP_OWNER'] }, rec()), { remote: { state: 'present', key: remote({ roles: [] }) } }), steps: [`ProjectAssign ${PROJECT} GROUP_OWNER`, 'Event Updated', 'StatusWrite'] },
  { name: 're-renders a Secret whose labels or template keys differ', g: gathered(key({}, rec()), { secret: ours({ matchesDesired: false }) }), steps: ['SecretWrite', 'Event SecretRepaired', 'StatusWrite'] },
  { name: 'a key holding roles in a project no binding asks for (a create raced a binding\'s deletion): taken out of it', g: gathered(key({}, rec()), { remote: { state: 'present', key: remote({ projectRoles: [{ projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }] }) } }), steps: ['ProjectUnassign', 'Event Updated', 'StatusWrite'] },
  { name: 'roles in a project a binding (live or being deleted) asks for are the binding\'s: left alone', g: gathered(key({}, rec()), { remote: { state: 'present', key: remote({ projectRoles: [{ projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }] }) }, bindings: [{ apiVersion: 'omkeys.io/v1alpha1', kind: 'ProjectKeyBinding', metadata: { name: 'b', namespace: 'team-a', deletionTimestamp: NOW.toISOString() }, spec: { apiKeyRef: { name: 'k' }, projectId: PROJECT, roles: ['GROUP_OWNER'] } }] }), steps: ['StatusWrite'] },
  { name: 'roles an adoption kept (recorded in status) are left alone', g: gathered(key({}, rec({ keptProjectIds: [PROJECT] })), { remote: { state: 'present', key: remote({ projectRoles: [{ projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }] }) } }), steps: ['StatusWrite'] },
  {
    name: 'a recorded key interrupted before its rename is named before a refused spec blocks the resource',
    g: gathered(key({ roles: ['ORG_OWNER'] }, rec({ conditions: [{ type: 'Ready', status: 'False', reason: 'Progressing', message: 'recording', lastTransitionTime: hourAgo }] })), { remote: { state: 'present', key: remote({ desc: 'omkeys-pending:uid-1' }) } }),
    steps: ['KeyUpdate key-1 desc=team-a/k'],
  },
  { name: 'retires the previous key once its grace period is over', g: gathered(key({}, rec({ previousKeyId: 'key-0', previousKeyRevokeAt: hourAgo }))), steps: ['KeyDelete key-0', 'Event PreviousKeyRevoked', 'StatusWrite'] },
  { name: 'never retires the key status records as current, even if status also calls it previous', g: gathered(key({}, rec({ previousKeyId: 'key-1', previousKeyRevokeAt: hourAgo }))), steps: ['StatusWrite'] },
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
    const p = plan(decide(gathered(key({ rotation: { every: '1h', gracePeriod: '10m' } }, rec({ rotatedAt: hourAgo })))));
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

  it('a first key: status records it (not Ready) before the rename, and says Ready after it; the Secret carries no finalizer', () => {
    const p = plan(decide(gathered(key(), { secret: absent })));
    const kinds = p.steps.map((s) => s.kind);
    const rename = kinds.indexOf('KeyUpdate');
    const writes = kinds.filter((k) => k === 'PendingMark' || k === 'SecretWrite' || k === 'StatusWrite');
    expect(writes, 'four Kubernetes writes').to.deep.equal(['PendingMark', 'SecretWrite', 'StatusWrite', 'StatusWrite']);
    expect(kinds.indexOf('SecretWrite'), 'the Secret before the record').to.be.lessThan(kinds.indexOf('StatusWrite'));
    expect(kinds.indexOf('StatusWrite'), 'recorded before the rename').to.be.lessThan(rename);
    expect(kinds.lastIndexOf('StatusWrite'), 'Ready after the rename').to.be.greaterThan(rename);
    const mark = p.steps[0];
    const write = p.steps[kinds.indexOf('SecretWrite')];
    if (mark?.kind !== 'PendingMark' || write?.kind !== 'SecretWrite' || typeof write.desired !== 'function') throw new Error('expected the mark and a Secret built from the created key');
    expect(mark.mark.connection, 'the mark names the connection the key is made through').to.equal('ClusterOpsManagerConnection/om');
    const created = { id: 'new', publicKey: 'pub', privateKey: 'priv-9f3c2a' };
    const secret = write.desired(created);
    expect(secret.metadata?.finalizers).to.equal(undefined);
    expect(Object.keys(secret.metadata?.annotations ?? {}).sort()).to.deep.equal(['omkeys.io/data-sha256', 'omkeys.io/key-id', 'omkeys.io/pair-sha256', 'omkeys.io/template-sha256']);
    const record = p.steps[kinds.indexOf('StatusWrite')];
    if (record?.kind !== 'StatusWrite' || typeof record.status !== 'function') throw new Error('expected the record built from the created key');
    const recorded = record.status(created);
    expect(recorded).to.deep.include({ keyId: 'new', publicKey: 'pub', connection: 'ClusterOpsManagerConnection/om', createSettled: JSON.stringify(mark.mark) });
    expect(recorded.conditions?.find((c) => c.type === 'Ready')?.status, 'not Ready before the rename').to.equal('False');
    const last = p.steps.at(-2);
    if (last?.kind !== 'StatusWrite' || typeof last.status !== 'function') throw new Error('expected a final status built from the created key');
    const st = last.status(created);
    expect(st.keyId).to.equal('new');
    expect(st.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    expect(JSON.stringify([recorded, st])).to.not.contain('priv-9f3c2a');
    expect(p.then, 'the bindings it gave roles for: one gone since makes the next reconcile read Ops Manager').to.include({ kind: 'done', bindings: '' });
  });

  it('the record keeps naming the key it replaces until that key is deleted (a crash in between orphans nothing)', () => {
    const p = plan(decide(gathered(key({}, rec()), { secret: absent })));
    const records = p.steps.filter((st) => st.kind === 'StatusWrite' && typeof st.status === 'function');
    const record = records[0];
    if (record?.kind !== 'StatusWrite' || typeof record.status !== 'function') throw new Error('no record');
    expect(record.status({ id: 'new', publicKey: 'pub', privateKey: 'x' })).to.deep.include({ keyId: 'new', previousKeyId: 'key-1' });
    const kinds = p.steps.map((st) => st.kind);
    expect(kinds.indexOf('KeyDelete'), 'deleted after the record').to.be.greaterThan(kinds.indexOf('KeyUpdate'));
  });

  it('a mark\'s connection is used only when the spec or status names it', () => {
    const forged = { annotations: { 'omkeys.io/create-pending': JSON.stringify({ id: 'f', connection: 'OpsManagerConnection/nowhere' }) } };
    expect(workingConnection(key({}, rec(), forged))).to.equal(TEST_CONNECTION);
    const switched = { annotations: { 'omkeys.io/create-pending': JSON.stringify({ id: 'f', connection: TEST_CONNECTION }) } };
    const own = { connectionRef: { kind: 'OpsManagerConnection' as const, name: 'om' } };
    expect(workingConnection(key(own, undefined, switched)), 'a first create: the spec\'s').to.equal('OpsManagerConnection/om');
    expect(workingConnection(key(own, rec(), switched)), 'status\'s keys were made through it').to.equal(TEST_CONNECTION);
  });

  it('a forged mark cannot point the sweep anywhere: its unknown fields are ignored, the tag is always this resource\'s', () => {
    const forged = JSON.stringify({ id: 'f', tag: 'omkeys-pending:uid-victim', startedAt: hourAgo, secret: 'other', keyId: 'victim' });
    const p = plan(decide(gathered(key({}, rec(), { annotations: { 'omkeys.io/create-pending': forged } }), { pending: { state: 'read', keyIds: [] } })));
    expect(p.name).to.equal('SweepPending');
    expect(p.steps.map((st) => st.kind)).to.deep.equal(['StatusWrite']);
    const st = p.steps[0];
    if (st?.kind !== 'StatusWrite' || typeof st.status === 'function') throw new Error('expected a status');
    expect(st.status).to.deep.include({ keyId: 'key-1', createSettled: forged });
  });

  it('a rotation without grace says Ready=False before the create: the old key is deleted before the new one is Ready', () => {
    const p = plan(decide(gathered(key({}, rec(), rotate('r1')))));
    const first = p.steps.find((s) => s.kind === 'StatusWrite');
    if (first?.kind !== 'StatusWrite' || typeof first.status === 'function') throw new Error('expected the status written before the create');
    expect(first.status.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('False');
    const graceful = plan(decide(gathered(key({ rotation: { every: '720h', gracePeriod: '1h' } }, rec({ rotatedAt: hourAgo }), rotate('r1')))));
    const kept = graceful.steps.find((s) => s.kind === 'StatusWrite');
    if (kept?.kind !== 'StatusWrite' || typeof kept.status === 'function') throw new Error('expected the status written before the create');
    expect(kept.status.conditions?.find((c) => c.type === 'Ready')?.status, 'the old pair works through the grace period').to.not.equal('False');
  });

  it('plans the next check at the rotation time, and at the end of a grace period', () => {
    const rot = plan(decide(gathered(key({ rotation: { every: '2h' } }, rec({ rotatedAt: hourAgo })))));
    expect(rot.then).to.deep.include({ kind: 'done', requeueAfterMs: 3_600_000 });
    const grace = plan(decide(gathered(key({}, rec({ previousKeyId: 'key-0', previousKeyRevokeAt: later })))));
    expect(grace.then).to.deep.include({ kind: 'done', requeueAfterMs: 600_000 });
  });

  it('a recent sync skips Ops Manager reads but still repairs the Secret', () => {
    const fresh = { lastSync: { generation: 1, keyId: 'key-1', at: NOW.getTime() - 1000, bindings: '' }, freshnessMs: 60_000, remote: unread, connection: unread };
    const obj = key({}, rec());
    expect(stepLines(decide(gathered(obj, fresh)))).to.deep.equal([]);
    expect(stepLines(decide(gathered(obj, { ...fresh, secret: ours({ matchesDesired: false }) })))).to.deep.equal(['SecretWrite', 'Event SecretRepaired']);
    expect(stepLines(decide(gathered(key({}, rec(), { generation: 2 }), fresh)))).to.deep.equal(['read connection,remote']);
    expect(stepLines(decide(gathered(obj, { ...fresh, lastSync: { generation: 1, keyId: 'key-1', at: NOW.getTime() - 61_000 } })))).to.deep.equal(['read connection,remote']);
    const binding = { apiVersion: 'omkeys.io/v1alpha1' as const, kind: 'ProjectKeyBinding' as const, metadata: { name: 'b', namespace: 'team-a' }, spec: { apiKeyRef: { name: 'k' }, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] } };
    expect(stepLines(decide(gathered(obj, { ...fresh, lastSync: { ...fresh.lastSync, bindings: PROJECT } }))), 'a binding gone since: its roles are looked at').to.deep.equal(['read connection,remote']);
    expect(stepLines(decide(gathered(obj, { ...fresh, bindings: [binding], lastSync: { ...fresh.lastSync, bindings: PROJECT } }))), 'the same bindings').to.deep.equal([]);
  });

  it('blocked plans say terminal or not', () => {
    expect(plan(decide(gathered(key({ roles: ['ORG_OWNER'] })))).then).to.deep.include({ kind: 'fail', terminal: true, reason: 'PolicyDenied' });
    expect(plan(decide(gathered(key(), { secret: { state: 'foreign' } }))).then).to.deep.include({ kind: 'fail', terminal: false, reason: 'SecretConflict' });
  });
});
