import type { V1ObjectMeta } from '@kubernetes/client-node';
import { expect } from 'chai';
import { SECRET_FINALIZER } from '../../../src/api/types.ts';
import { connectionRef, decideSecretJanitor, releaseByHand, type SecretJanitorDecision, type SecretJanitorInput } from '../../../src/controllers/opsmanagerapikey/decide-secret-janitor.ts';

const ORG = '5f0c3b7c2e9a1b0001a1b2c3';
const PROJECT = '6a1b2c3d4e5f60718293a4b5';
const owner = { apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', name: 'k', uid: 'uid-1', controller: true, blockOwnerDeletion: true };
const meta = (over: Partial<V1ObjectMeta> = {}, annotations: Record<string, string> = {}): V1ObjectMeta => ({
  name: 'k',
  namespace: 'team-a',
  uid: 'secret-uid',
  resourceVersion: '7',
  finalizers: [SECRET_FINALIZER],
  ownerReferences: [owner],
  annotations: { 'omkeys.io/key-id': 'key-1', 'omkeys.io/create-id': 'c1', ...annotations },
  ...over,
});
/** Every read done, the owner proven gone, an organization key. */
const base = (over: Partial<SecretJanitorInput> = {}): SecretJanitorInput => ({
  cached: { metadata: meta() },
  ownerCached: false,
  owner: { state: 'read', gone: true },
  live: { state: 'read', metadata: meta(), data: { keyId: 'key-1', orgId: ORG } },
  connection: { state: 'read', orgId: ORG },
  tracked: new Set(),
  deleted: new Set(),
  ...over,
});
const orphanMessage = 'deleted key key-1, named by this Secret: its OpsManagerApiKey k (uid uid-1) was deleted without its finalizer running (kubernetes/kubernetes#77988, or the finalizer removed by hand); the Secret is released';
const deleted: SecretJanitorDecision = {
  kind: 'act',
  steps: [
    { kind: 'KeyDelete', orgId: ORG, keyId: 'key-1' },
    { kind: 'Event', type: 'Warning', reason: 'OrphanKeyDeleted', message: orphanMessage },
    { kind: 'Release' },
  ],
};
const retained = (message: string): SecretJanitorDecision => ({ kind: 'act', steps: [{ kind: 'Event', type: 'Normal', reason: 'KeyRetained', message }, { kind: 'Release' }] });
const gone = 'its OpsManagerApiKey k (uid uid-1) was deleted without its finalizer running (kubernetes/kubernetes#77988, or the finalizer removed by hand); the Secret is released';

describe('omkey Secret janitor decision: a protected Secret is released only once its resource is proven gone', () => {
  const cases: Array<{ name: string; input: SecretJanitorInput; want: SecretJanitorDecision }> = [
    // Not ours to judge.
    { name: 'no finalizer of ours (an older Secret, or released already): left alone', input: base({ cached: { metadata: meta({ finalizers: ['other.io/keep'] }) }, live: { state: 'unread' } }), want: { kind: 'leave', why: 'the Secret does not carry our finalizer' } },
    { name: 'no controlling OpsManagerApiKey owner: left alone', input: base({ cached: { metadata: meta({ ownerReferences: [{ ...owner, controller: false }] }) }, live: { state: 'unread' } }), want: { kind: 'leave', why: 'the Secret has no controlling OpsManagerApiKey' } },
    { name: 'another kind controls it: left alone', input: base({ cached: { metadata: meta({ ownerReferences: [{ ...owner, kind: 'ConfigMap' }] }) }, live: { state: 'unread' } }), want: { kind: 'leave', why: 'the Secret has no controlling OpsManagerApiKey' } },
    { name: 'its owner is cached and reads another Secret (spec.secret.name changed): released from the cache, nothing deleted or read', input: base({ ownerCached: true, ownerSecret: 'k-renamed', owner: { state: 'unread' }, live: { state: 'unread' } }), want: { kind: 'act', steps: [{ kind: 'Release' }] } },
    { name: 'its owner is cached and reads this Secret: left to its reconcile', input: base({ ownerCached: true, ownerSecret: 'k', owner: { state: 'unread' }, live: { state: 'unread' } }), want: { kind: 'leave', why: 'its resource exists: its reconcile releases the Secret' } },
    { name: 'its owner (same uid) is in the cache: left to its reconcile, nothing read', input: base({ ownerCached: true, owner: { state: 'unread' }, live: { state: 'unread' } }), want: { kind: 'leave', why: 'its resource exists: its reconcile releases the Secret' } },
    // Reads, one at a time, in order.
    { name: 'owner absent from the cache, not read live yet: the owner is read', input: base({ owner: { state: 'unread' }, live: { state: 'unread' }, connection: { state: 'unread' } }), want: { kind: 'read', read: 'owner' } },
    { name: 'the live read finds the owner (the cache lags): left alone, the Secret not read', input: base({ owner: { state: 'read', gone: false }, live: { state: 'unread' } }), want: { kind: 'leave', why: 'its resource exists (the cache lags): its reconcile releases the Secret' } },
    { name: 'owner gone: the Secret is read live', input: base({ live: { state: 'unread' }, connection: { state: 'unread' } }), want: { kind: 'read', read: 'secret' } },
    { name: 'Secret read, a key to delete: the connection is resolved', input: base({ connection: { state: 'unread' } }), want: { kind: 'read', read: 'connection' } },
    // The live copy decides.
    { name: 'the live Secret is gone: nothing left to do', input: base({ live: { state: 'gone' } }), want: { kind: 'leave', why: 'the Secret is gone' } },
    { name: 'the live Secret no longer carries the finalizer (a finalizer that ran released it): left alone', input: base({ live: { state: 'read', metadata: meta({ finalizers: [] }), data: { keyId: 'key-1', orgId: ORG } } }), want: { kind: 'leave', why: 'the Secret does not carry our finalizer' } },
    // Plans.
    { name: 'an organization key: deleted, Warning Event, released', input: base(), want: deleted },
    { name: 'terminating or not, the same (GC may not have marked it yet)', input: base({ live: { state: 'read', metadata: meta({ deletionTimestamp: new Date('2026-12-01T12:00:00Z') }), data: { keyId: 'key-1', orgId: ORG } } }), want: deleted },
    {
      name: 'a project key: its organization from the connection, unassigned from the project should the org delete be forbidden',
      input: base({ live: { state: 'read', metadata: meta(), data: { keyId: 'key-1', projectId: PROJECT } } }),
      want: { kind: 'act', steps: [{ kind: 'KeyDelete', orgId: ORG, keyId: 'key-1', orUnassignFrom: PROJECT }, { kind: 'Event', type: 'Warning', reason: 'OrphanKeyDeleted', message: orphanMessage }, { kind: 'Release' }] },
    },
    { name: 'deletionPolicy Retain: the key stays, Normal Event, released; no connection needed', input: base({ live: { state: 'read', metadata: meta({}, { 'omkeys.io/deletion-policy': 'Retain' }), data: { keyId: 'key-1', orgId: ORG } }, connection: { state: 'unread' } }), want: retained(`deletionPolicy Retain: key key-1 stays in Ops Manager; ${gone}`) },
    { name: 'another cached resource records the key (adopted since): the key stays, released', input: base({ tracked: new Set(['key-1']), connection: { state: 'unread' } }), want: retained(`key key-1 is recorded by another OpsManagerApiKey and stays in Ops Manager; ${gone}`) },
    { name: 'no key id anywhere: released only', input: base({ live: { state: 'read', metadata: meta({ annotations: {} }), data: { orgId: ORG } }, connection: { state: 'unread' } }), want: { kind: 'act', steps: [{ kind: 'Release' }] } },
    { name: 'the key id from the data when the annotation is missing', input: base({ live: { state: 'read', metadata: meta({ annotations: {} }), data: { keyId: 'key-1', orgId: ORG } } }), want: deleted },
    { name: 'an earlier attempt deleted the key (its release failed): released only, not deleted or told again', input: base({ deleted: new Set(['key-1']), connection: { state: 'unread' } }), want: { kind: 'act', steps: [{ kind: 'Release' }] } },
    // Only a person can tell.
    { name: 'annotation and data name two keys (edited by hand): blocked, neither deleted', input: base({ live: { state: 'read', metadata: meta(), data: { keyId: 'key-2', orgId: ORG } } }), want: { kind: 'blocked', why: 'the Secret names two keys (annotation omkeys.io/key-id key-1, data keyId key-2): edited by hand; neither is deleted' } },
    { name: 'the data names neither organization nor project: blocked', input: base({ live: { state: 'read', metadata: meta(), data: { keyId: 'key-1' } }, connection: { state: 'unread' } }), want: { kind: 'blocked', why: 'the Secret\'s data names neither orgId nor projectId: key key-1 cannot be deleted' } },
  ];
  for (const c of cases) it(c.name, () => expect(decideSecretJanitor(c.input)).to.deep.equal(c.want));

  it('the connection: the annotation\'s Secret, or the default when absent', () => {
    expect(connectionRef(meta({}, { 'omkeys.io/connection': 'om-creds' }))).to.deep.equal({ name: 'om-creds' });
    expect(connectionRef(meta())).to.equal(undefined);
  });

  it('the release by hand removes only our finalizer, keeping the others (tested first)', () => {
    expect(releaseByHand(meta())).to.equal(`kubectl -n team-a patch secret k --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]'`);
    expect(releaseByHand(meta({ finalizers: ['other.io/keep', SECRET_FINALIZER] }))).to.equal(
      `kubectl -n team-a patch secret k --type=json -p '[{"op":"test","path":"/metadata/finalizers/1","value":"omkeys.io/secret-protection"},{"op":"remove","path":"/metadata/finalizers/1"}]'`,
    );
  });
});
