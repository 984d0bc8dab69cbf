import { expect } from 'chai';
import { ConditionType } from '../../../src/api/conditions.ts';
import { UnauthorizedError, UnavailableError } from '../../../src/opsmanager/errors.ts';
import { TransientError, type TerminalError } from '../../../src/runtime/errors.ts';
import { KeyWorld, readyStatus } from '../support/key-world.ts';
import { ORG, PROJECT } from '../support/recording-om.ts';

const TAG = 'omkeys-pending:uid-1';
const MARK = 'key replace finalizers=omkeys.io/finalizer +pending-mark';
/** Status records the new key (still tagged) and settles the mark before the rename. */
const RECORD = 'key status Ready=False Progressing +Reconciling settles-mark';
/** A first key: the pending mark (with the finalizer) is the only write before the create. */
const CREATED_ORG = [MARK, `om createOrgKey desc=${TAG}`, 'secret create k', RECORD, 'om updateOrgKey new-1 desc=team-a/k'];
/** A replacement also states in status what it does before the create. */
const REPLACED_ORG = [MARK, 'key status Ready=False Progressing +Reconciling', `om createOrgKey desc=${TAG}`, 'secret create k', RECORD, 'om updateOrgKey new-1 desc=team-a/k'];
/** The status write after the rename: Ready. */
const READY_SETTLED = 'key status Ready=True Provisioned';
const later = '2026-11-28T13:00:00Z';
const earlier = '2026-11-28T11:30:00Z';
const deleting = { deletionTimestamp: '2026-11-28T12:00:00Z' };
const readyCond = [{ type: 'Ready', status: 'True' as const, reason: 'Provisioned', message: 'key pub-key-1 is ready in Secret k', lastTransitionTime: earlier, observedGeneration: 1 }];

interface Row {
  name: string;
  setup(w: KeyWorld): void;
  writes: string[];
  error?: typeof TransientError | typeof TerminalError;
}

const rows: Row[] = [
  {
    name: 'org key, first reconcile: four writes and the Event (finalizer with the pending mark, Secret, record, Ready), no read',
    setup: (w) => w.key({}, undefined, { finalizers: [] }),
    writes: [...CREATED_ORG, READY_SETTLED, 'event Normal KeyCreated'],
  },
  {
    name: 'project key: created through its project, organization read once, no org-endpoint create',
    setup: (w) => w.projectKey(),
    writes: [MARK, `om createProjectKey desc=${TAG}`, 'secret create k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', READY_SETTLED, 'event Normal KeyCreated'],
  },
  {
    name: 'access list and bound project roles are in place before the Secret is written',
    setup: (w) => {
      w.key({ accessList: [{ ipAddress: '192.0.2.1' }] });
      w.bindings = [{ apiVersion: 'omkeys.io/v1alpha1', kind: 'ProjectKeyBinding', metadata: { name: 'b', namespace: 'team-a', finalizers: ['omkeys.io/finalizer'] }, spec: { apiKeyRef: { name: 'k' }, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] } }];
    },
    writes: [CREATED_ORG[0]!, CREATED_ORG[1]!, 'om addAccessList new-1 192.0.2.1/32', `om assignProjectKey ${PROJECT} new-1 GROUP_READ_ONLY`, 'secret create k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', READY_SETTLED, 'event Normal KeyCreated'],
  },
  {
    name: 'steady state: nothing written anywhere',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1', { conditions: [] })), 'key-1');
      // One pass brings the status to its exact form; the table checks the pass after it.
    },
    writes: [],
  },
  {
    name: 'Secret deleted: a new key, its Secret, the old key deleted',
    setup: (w) => {
      w.om.addKey('key-1');
      w.key({}, readyStatus('key-1'));
    },
    writes: [...REPLACED_ORG, 'om deleteOrgKey key-1', READY_SETTLED, 'event Normal KeyReplaced'],
  },
  {
    name: 'project key in a grace period loses its Secret: the grace key is deleted first, the old one after the new pair is safe',
    setup: (w) => {
      w.om.addKey('key-0', { roles: [{ groupId: PROJECT, roleName: 'GROUP_READ_ONLY' }] });
      w.om.addKey('key-1', { roles: [{ groupId: PROJECT, roleName: 'GROUP_READ_ONLY' }] });
      w.projectKey(readyStatus('key-1', { previousKeyId: 'key-0', previousKeyRevokeAt: later }));
    },
    writes: ['om deleteOrgKey key-0', MARK, 'key status Ready=False Progressing +Reconciling', `om createProjectKey desc=${TAG}`, 'secret create k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'om deleteOrgKey key-1', READY_SETTLED, 'event Normal KeyReplaced'],
  },
  {
    name: 'pair edited by hand: replaced (the Secret updated in place), old key deleted',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1')), 'key-1');
      w.editSecret('pair');
    },
    writes: [...REPLACED_ORG.map((l) => l.replace('secret create', 'secret update')), 'om deleteOrgKey key-1', READY_SETTLED, 'event Normal KeyReplaced'],
  },
  {
    name: 'Secret metadata edited by hand: re-rendered, no new key',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({ secret: { template: { labels: { team: 'a' } } } }, readyStatus('key-1')), 'key-1');
      w.editSecret('label');
    },
    writes: ['secret update k', 'event Normal SecretRepaired', 'key status Ready=True Provisioned'],
  },
  {
    name: 'a Secret of the same name that is not ours: not touched, SecretConflict',
    setup: (w) => {
      w.key();
      w.secrets.put({ metadata: { name: 'k', namespace: 'team-a' }, data: {} });
    },
    writes: ['key status Ready=False SecretConflict +Stalled', 'event Warning SecretConflict'],
    error: TransientError,
  },
  {
    name: 'Ops Manager key changed by hand: put back in one call, a Warning says so',
    setup: (w) => {
      w.om.addKey('key-1', { desc: 'edited', roles: [{ orgId: ORG, roleName: 'ORG_MEMBER' }], accessList: ['198.51.100.7/32'] });
      w.secretFor(w.key({}, readyStatus('key-1', { conditions: readyCond })), 'key-1');
    },
    writes: ['om updateOrgKey key-1 desc=team-a/k roles=ORG_READ_ONLY', 'om deleteAccessListEntry key-1 198.51.100.7/32', 'event Warning DriftCorrected', 'key status Ready=True Provisioned'],
  },
  {
    name: 'Ops Manager key deleted by hand: a new key, nothing to retire',
    setup: (w) => w.secretFor(w.key({}, readyStatus('key-1')), 'key-1'),
    writes: [...REPLACED_ORG.map((l) => l.replace('secret create', 'secret update')), READY_SETTLED, 'event Normal KeyReplaced'],
  },
  {
    name: 'rotation due: the old key is kept for its grace period; Ready stays until status names the new key, which is Ready once named',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({ rotation: { every: '1h', gracePeriod: '10m' } }, readyStatus('key-1', { rotatedAt: '2026-11-28T10:00:00Z' })), 'key-1');
    },
    writes: [MARK, 'key status no Ready +Reconciling', `om createOrgKey desc=${TAG}`, 'secret update k', RECORD, 'om updateOrgKey new-1 desc=team-a/k', 'key status Ready=True Rotating', 'event Normal KeyReplaced'],
  },
  {
    name: 'grace period over: the previous key is deleted',
    setup: (w) => {
      w.om.addKey('key-0');
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1', { previousKeyId: 'key-0', previousKeyRevokeAt: earlier })), 'key-1');
    },
    writes: ['om deleteOrgKey key-0', 'event Normal PreviousKeyRevoked', 'key status Ready=True Provisioned'],
  },
  {
    name: 'deletion: its key and its grace key go, then the finalizer',
    setup: (w) => {
      w.om.addKey('key-0');
      w.om.addKey('key-1');
      w.secretFor(w.key({}, readyStatus('key-1', { previousKeyId: 'key-0', previousKeyRevokeAt: later }), deleting), 'key-1');
    },
    writes: ['om deleteOrgKey key-0', 'om deleteOrgKey key-1', 'key replace finalizers=-'],
  },
  {
    name: 'deletion with Retain: the key stays, an Event says so',
    setup: (w) => {
      w.om.addKey('key-1');
      w.secretFor(w.key({ deletionPolicy: 'Retain' }, readyStatus('key-1'), deleting), 'key-1');
    },
    writes: ['event Normal KeyRetained', 'secret disown k', 'event Normal SecretRetained', 'key replace finalizers=-'],
  },
  {
    name: 'a create Ops Manager refuses: the mark goes again with the failure stated, nothing to sweep',
    setup: (w) => {
      w.key();
      w.om.failOnce('create', new UnauthorizedError('no', { status: 401 }));
    },
    writes: [MARK, `om createOrgKey desc=${TAG}`, 'key status Ready=False Unauthorized +Reconciling settles-mark', 'event Warning Unauthorized'],
    error: TransientError,
  },
  {
    name: 'a failure after the pending mark is stated on the latest copy (not lost to a 409)',
    setup: (w) => {
      w.key();
      w.om.failOnce('addAccessList', new UnavailableError('down', { status: 503 }));
      w.stored().spec.accessList = [{ ipAddress: '192.0.2.1' }];
    },
    writes: [CREATED_ORG[0]!, CREATED_ORG[1]!, 'om addAccessList new-1 192.0.2.1/32', 'key status Ready=False OpsManagerUnreachable +Reconciling', 'event Warning OpsManagerUnreachable'],
    error: TransientError,
  },
  {
    name: 'after an interrupted create: the unconfirmed key is deleted, then a key is made',
    setup: (w) => {
      w.om.addKey('orphan', { desc: TAG });
      w.key({}, undefined, { annotations: { 'omkeys.io/create-pending': JSON.stringify({ id: 'm0', tag: TAG, startedAt: earlier, connection: 'ClusterOpsManagerConnection/om' }) } });
    },
    writes: ['om deleteOrgKey orphan', 'event Warning OrphanKeyDeleted', 'key status no Ready settles-mark', ...CREATED_ORG, READY_SETTLED, 'event Normal KeyCreated'],
  },
  {
    name: 'project key unassigned from its project by hand: its roles are put back there',
    setup: (w) => {
      w.om.addKey('key-1', { roles: [] });
      // Ready at this generation: a difference in Ops Manager now is a hand edit there.
      const wasReady = { type: 'Ready', status: 'True' as const, reason: 'Provisioned', message: '', lastTransitionTime: '2026-11-28T11:00:00Z', observedGeneration: 1 };
      w.secretFor(w.projectKey(readyStatus('key-1', { roles: ['GROUP_READ_ONLY'], conditions: [wasReady] })), 'key-1');
    },
    writes: [`om assignProjectKey ${PROJECT} key-1 GROUP_READ_ONLY`, 'event Warning DriftCorrected', 'key status Ready=True Provisioned'],
  },
];

describe('omkey reconciler: exact writes (recording fakes of Kubernetes and Ops Manager)', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = new KeyWorld();
      row.setup(w);
      if (row.name.startsWith('steady state')) {
        await w.reconcile();
        w.writes.length = 0;
      }
      const err = await w.reconcile();
      expect(w.writes).to.deep.equal(row.writes);
      if (row.error) expect(err).to.be.instanceOf(row.error);
      else expect(err).to.equal(undefined);
    });
  }

  it('a hand edit of the Secret right after a sync is repaired at once, without reading Ops Manager', async () => {
    const w = new KeyWorld({ freshnessMs: 60_000 });
    w.om.addKey('key-1');
    w.secretFor(w.key({ secret: { template: { labels: { team: 'a' } } } }, readyStatus('key-1')), 'key-1');
    await w.reconcile();
    w.writes.length = 0;
    w.editSecret('label');
    expect(await w.reconcile()).to.equal(undefined);
    expect(w.writes).to.deep.equal(['secret update k', 'event Normal SecretRepaired']);
  });

  describe('a resource removed under its first create (a DELETE racing the finalizer, kubernetes#77988)', () => {
    /** As kube-apiserver's race does: the mark's write (with the finalizer) succeeds, then the DELETE that read the object before it removes it outright. */
    const vanishAfterMark = (w: KeyWorld, recreate = false): void => {
      const replace = w.keys.replace.bind(w.keys);
      w.keys.replace = async (o) => {
        const out = await replace(o);
        w.keys.items.delete('team-a/k');
        if (recreate) w.key({}, undefined, { uid: 'uid-2', finalizers: [] });
        return out;
      };
    };
    it('gone: its record cannot be written, so the key it made keeps its tag (the janitor\'s), never renamed', async () => {
      const w = new KeyWorld();
      w.key({}, undefined, { finalizers: [] });
      vanishAfterMark(w);
      expect(await w.reconcile()).to.be.instanceOf(Error);
      expect(w.writes).to.deep.equal([MARK, `om createOrgKey desc=${TAG}`, 'secret create k']);
      expect([...w.om.keys.values()].map((k) => k.desc), 'the key made for it').to.deep.equal([TAG]);
    });

    it('made again under the same name (another uid): the first one\'s key keeps its tag; the new resource never names it', async () => {
      const w = new KeyWorld();
      w.key({}, undefined, { finalizers: [] });
      vanishAfterMark(w, true);
      expect(await w.reconcile()).to.be.instanceOf(Error);
      expect([...w.om.keys.values()].map((k) => k.desc)).to.deep.equal([TAG]);
      expect(w.stored().metadata.uid).to.equal('uid-2');
      expect(w.stored().status?.keyId).to.equal(undefined);
    });

    it('a 404 from a resource that still exists (same uid) is an ordinary failure: nothing deleted', async () => {
      const w = new KeyWorld();
      w.key({}, undefined, { finalizers: [] });
      const replaceStatus = w.keys.replaceStatus.bind(w.keys);
      let failed = false;
      w.keys.replaceStatus = async (o) => {
        if (failed) return replaceStatus(o);
        failed = true;
        throw Object.assign(new Error('not found'), { code: 404 });
      };
      expect(await w.reconcile()).to.be.instanceOf(TransientError);
      expect(w.writes.filter((l) => l.startsWith('om deleteOrgKey')), 'no key deleted').to.deep.equal([]);
      expect([...w.om.keys.keys()]).to.deep.equal(['new-1']);
    });
  });

  it('status records the key before its rename, and says Ready=True only once Ops Manager holds the real description', async () => {
    const w = new KeyWorld();
    w.key();
    await w.reconcile();
    const ready = w.stored().status?.conditions?.find((c) => c.type === ConditionType.Ready);
    expect(ready?.status).to.equal('True');
    expect(w.om.keys.get(w.stored().status?.keyId ?? '')?.desc).to.equal('team-a/k');
    expect(w.writes.indexOf(RECORD)).to.be.lessThan(w.writes.indexOf('om updateOrgKey new-1 desc=team-a/k'));
    expect(w.writes.indexOf('om updateOrgKey new-1 desc=team-a/k')).to.be.lessThan(w.writes.indexOf(READY_SETTLED));
  });
});
