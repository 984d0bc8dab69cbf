import { expect } from 'chai';
import { decideJanitor, tagSightings, type JanitorDecision, type JanitorInput } from '../../../src/controllers/opsmanagerapikey/decide-janitor.ts';
import { formatPendingTag, isPendingTagOf, parsePendingTag } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';

const UID = '0b7f6a52-1c3e-4a9d-8f21-6d5e4c3b2a10';
const CLUSTER = '9e8d7c6b-5a49-4838-a271-605f4e3d2c1b';
const full = (uid = UID, namespace = 'team-a', cluster = CLUSTER): string => formatPendingTag({ uid, where: { namespace, cluster } });

describe('omkey pending tag: both forms', () => {
  const cases: Array<{ desc: string; want: ReturnType<typeof parsePendingTag> }> = [
    { desc: `omkeys-pending:${UID}`, want: { uid: UID } },
    { desc: `omkeys-pending:${UID} ns=team-a cluster=${CLUSTER}`, want: { uid: UID, where: { namespace: 'team-a', cluster: CLUSTER } } },
    { desc: `omkeys-pending:${UID} ns=a cluster=c`, want: { uid: UID, where: { namespace: 'a', cluster: 'c' } } },
    { desc: 'team-a/k', want: undefined },
    { desc: 'omkeys-pending:', want: undefined },
    { desc: `omkeys-pending:${UID} `, want: undefined },
    { desc: `omkeys-pending:${UID} ns=team-a`, want: undefined },
    { desc: `omkeys-pending:${UID} ns=Team_A cluster=${CLUSTER}`, want: undefined },
    { desc: `omkeys-pending:${UID} ns=team-a cluster=${CLUSTER} extra`, want: undefined },
    { desc: `x omkeys-pending:${UID}`, want: undefined },
  ];
  for (const c of cases) it(`${JSON.stringify(c.desc)} -> ${JSON.stringify(c.want)}`, () => expect(parsePendingTag(c.desc)).to.deep.equal(c.want));

  it('the per-resource sweep matches its uid in either form, and no other uid', () => {
    expect(isPendingTagOf(`omkeys-pending:${UID}`, UID)).to.equal(true);
    expect(isPendingTagOf(full(), UID)).to.equal(true);
    expect(isPendingTagOf(full('other-uid'), UID)).to.equal(false);
    expect(isPendingTagOf(`omkeys-pending:${UID}`, '')).to.equal(false);
  });

  it('fits Ops Manager\'s 250 characters with the longest namespace and a 64-character identity', () => {
    const longest = full('u'.repeat(64), `a${'b'.repeat(61)}c`, 'c'.repeat(64));
    expect(longest.length).to.be.at.most(250);
    expect(parsePendingTag(longest)?.where?.namespace).to.have.length(63);
  });
});

const NOW = Date.parse('2026-12-01T12:00:00Z');
const MIN = 300_000;
const base = (over: Partial<JanitorInput> = {}): JanitorInput => ({
  now: NOW,
  cluster: CLUSTER,
  namespaces: [],
  minAgeMs: MIN,
  keys: [{ id: 'k1', desc: full() }],
  seen: new Map([['k1', NOW - MIN]]),
  tracked: new Set(),
  live: new Map([['team-a', { uids: new Set(['someone-else']), keyIds: new Set() }]]),
  confirmed: new Map([['k1', full()]]),
  ...over,
});
const orphan: JanitorDecision = { kind: 'act', orphans: [{ keyId: 'k1', uid: UID, namespace: 'team-a' }] };
const nothing: JanitorDecision = { kind: 'act', orphans: [] };

describe('omkey janitor decision: a tagged key is deleted only on proof that its resource does not exist', () => {
  const cases: Array<{ name: string; input: JanitorInput; want: JanitorDecision }> = [
    { name: 'full tag, own cluster, seen long enough, nobody tracks it, not live, still tagged: deleted', input: base(), want: orphan },
    { name: 'the old form (no namespace, no cluster): left to its resource\'s sweep', input: base({ keys: [{ id: 'k1', desc: `omkeys-pending:${UID}` }], confirmed: new Map([['k1', `omkeys-pending:${UID}`]]) }), want: nothing },
    { name: 'another cluster\'s key (same namespace name): not judged, nothing read', input: base({ keys: [{ id: 'k1', desc: full(UID, 'team-a', 'other-cluster') }], live: new Map(), confirmed: new Map() }), want: nothing },
    { name: 'a namespace this operator does not handle (OMKEYS_NAMESPACES): not judged, nothing read', input: base({ namespaces: ['team-b'], live: new Map(), confirmed: new Map() }), want: nothing },
    { name: 'a handled namespace among several: judged', input: base({ namespaces: ['team-b', 'team-a'] }), want: orphan },
    { name: 'first sighting: remembered, not judged', input: base({ seen: new Map(), live: new Map(), confirmed: new Map() }), want: nothing },
    { name: 'seen before, not long enough ago (a create in flight): not judged', input: base({ seen: new Map([['k1', NOW - MIN + 1]]), live: new Map(), confirmed: new Map() }), want: nothing },
    { name: 'tracked by a resource in the cache (a description set to look like a tag): kept', input: base({ tracked: new Set(['k1']) }), want: nothing },
    { name: 'not listed live yet: asks for that namespace\'s live list', input: base({ live: new Map(), confirmed: new Map() }), want: { kind: 'list-live', namespaces: ['team-a'] } },
    { name: 'the live list holds its uid (the resource exists): kept, no confirmation asked', input: base({ live: new Map([['team-a', { uids: new Set([UID]), keyIds: new Set() }]]), confirmed: new Map() }), want: nothing },
    { name: 'a live object records the key (status): kept', input: base({ live: new Map([['team-a', { uids: new Set(), keyIds: new Set(['k1']) }]]), confirmed: new Map() }), want: nothing },
    { name: 'absent live, not confirmed yet: asks to read the key again', input: base({ confirmed: new Map() }), want: { kind: 'confirm', keyIds: ['k1'] } },
    { name: 'renamed since the list (a Retain finalizer named its kept key): kept', input: base({ confirmed: new Map([['k1', 'team-a/k']]) }), want: nothing },
    { name: 'gone from Ops Manager meanwhile: nothing to delete', input: base({ confirmed: new Map([['k1', undefined]]) }), want: nothing },
    {
      name: 'several: each judged on its own; live lists asked once per namespace, sorted',
      input: base({
        keys: [{ id: 'k1', desc: full() }, { id: 'k2', desc: full('uid-2', 'team-c') }, { id: 'k3', desc: full('uid-3', 'team-a') }, { id: 'k4', desc: 'team-a/k' }],
        seen: new Map([['k1', 0], ['k2', 0], ['k3', 0]]),
        live: new Map(),
        confirmed: new Map(),
      }),
      want: { kind: 'list-live', namespaces: ['team-a', 'team-c'] },
    },
    {
      name: 'several, listed and confirmed: the live one kept, the others deleted',
      input: base({
        keys: [{ id: 'k1', desc: full() }, { id: 'k2', desc: full('uid-2', 'team-c') }, { id: 'k3', desc: full('uid-3', 'team-a') }],
        seen: new Map([['k1', 0], ['k2', 0], ['k3', 0]]),
        live: new Map([['team-a', { uids: new Set(['uid-3']), keyIds: new Set() }], ['team-c', { uids: new Set(), keyIds: new Set() }]]),
        confirmed: new Map([['k1', full()], ['k2', full('uid-2', 'team-c')]]),
      }),
      want: { kind: 'act', orphans: [{ keyId: 'k1', uid: UID, namespace: 'team-a' }, { keyId: 'k2', uid: 'uid-2', namespace: 'team-c' }] },
    },
  ];
  for (const c of cases) it(c.name, () => expect(decideJanitor(c.input)).to.deep.equal(c.want));

  it('remembers the full-form tagged keys of the list only, each from its first sighting', () => {
    const keys = [{ id: 'k1', desc: full() }, { id: 'k2', desc: full('uid-2') }, { id: 'k3', desc: `omkeys-pending:${UID}` }, { id: 'k4', desc: 'team-a/k' }];
    expect([...tagSightings(keys, new Map([['k1', 5], ['gone', 1]]), NOW)]).to.deep.equal([['k1', 5], ['k2', NOW]]);
  });
});
