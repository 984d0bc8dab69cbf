import { expect } from 'chai';
import { FINALIZER, type OpsManagerApiKey, type ProjectKeyBinding } from '../../../src/api/types.ts';
import { ProjectKeyBindingReconciler } from '../../../src/controllers/projectkeybinding/reconciler.ts';
import { ProjectKeysCache } from '../../../src/controllers/projectkeybinding/project-keys-cache.ts';
import { UnavailableError } from '../../../src/opsmanager/errors.ts';
import { TransientError } from '../../../src/runtime/errors.ts';
import { FakeClock } from '../../runtime/fake-clock.ts';
import { recordingPool, silent } from '../support/key-world.ts';
import { RecordingEvents, RecordingObjects } from '../support/recording-kube.ts';
import { ORG, PROJECT, RecordingOm } from '../support/recording-om.ts';

const T0 = '2026-11-28T12:00:00Z';
const readyKey = (keyId: string, extra: Partial<NonNullable<OpsManagerApiKey['status']>> = {}): OpsManagerApiKey => ({
  apiVersion: 'omkeys.io/v1alpha1',
  kind: 'OpsManagerApiKey',
  metadata: { name: 'k', namespace: 'team-a', uid: 'uid-k', generation: 1 },
  spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] },
  status: { keyId, conditions: [{ type: 'Ready', status: 'True', reason: 'Provisioned', message: '', lastTransitionTime: T0 }], ...extra },
});

class BindingWorld {
  readonly writes: string[] = [];
  readonly om = new RecordingOm(this.writes);
  readonly bindings = new RecordingObjects<ProjectKeyBinding>(this.writes, 'binding');
  readonly events = new RecordingEvents(this.writes);
  readonly clock = new FakeClock(Date.parse(T0));
  key: OpsManagerApiKey | undefined = readyKey('key-1');
  readonly reconciler: ProjectKeyBindingReconciler;

  constructor() {
    const connections = recordingPool(this.om);
    this.reconciler = new ProjectKeyBindingReconciler({
      bindings: this.bindings,
      events: this.events,
      projectKeys: new ProjectKeysCache({ clock: this.clock, ttlMs: 0 }),
      connections,
      clock: this.clock,
      cacheBehind: () => this.cacheBehind,
      cache: {
        binding: (ns, name) => this.bindings.items.get(`${ns}/${name}`),
        key: () => this.key,
        siblings: () => [],
      },
    });
  }

  /** The cached copy lags the controller's own write (OwnWrites.isSuperseded). */
  cacheBehind = false;

  binding(meta: Partial<ProjectKeyBinding['metadata']> = {}, status?: ProjectKeyBinding['status']): void {
    this.bindings.put({
      apiVersion: 'omkeys.io/v1alpha1',
      kind: 'ProjectKeyBinding',
      metadata: { name: 'b', namespace: 'team-a', uid: 'uid-b', generation: 1, creationTimestamp: T0, finalizers: [FINALIZER], ...meta },
      spec: { apiKeyRef: { name: 'k' }, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] },
      ...(status ? { status } : {}),
    });
  }

  async reconcile(): Promise<unknown> {
    try {
      await this.reconciler.reconcile('team-a/b', silent);
      return undefined;
    } catch (err) {
      return err;
    }
  }
}

const inProject = { roles: [{ groupId: PROJECT, roleName: 'GROUP_READ_ONLY' }] };

const rows: Array<{ name: string; setup(w: BindingWorld): void; writes: string[]; transient?: boolean }> = [
  {
    name: 'new binding: finalizer, assignment, Event, Ready',
    setup: (w) => {
      w.om.addKey('key-1');
      w.binding({ finalizers: [] });
    },
    writes: ['binding replace finalizers=omkeys.io/finalizer', `om assignProjectKey ${PROJECT} key-1 GROUP_READ_ONLY`, 'event Normal Assigned', 'binding status Ready=True Assigned'],
  },
  { name: 'key missing: Ready=False KeyNotFound once, no retry loop', setup: (w) => ((w.key = undefined), w.binding()), writes: ['binding status Ready=False KeyNotFound +Reconciling', 'event Warning KeyNotFound'] },
  {
    name: 'steady state: no write',
    setup: (w) => {
      w.om.addKey('key-1', inProject);
      w.binding({}, { observedGeneration: 1, keyId: 'key-1', roles: ['GROUP_READ_ONLY'], conditions: [{ type: 'Ready', status: 'True', reason: 'Assigned', message: `key key-1 holds GROUP_READ_ONLY in project ${PROJECT}`, lastTransitionTime: T0, observedGeneration: 1 }] });
    },
    writes: [],
  },
  {
    name: 'key replaced: the new key assigned, the old one removed from the project',
    setup: (w) => {
      w.key = readyKey('key-2');
      w.om.addKey('key-1', inProject);
      w.om.addKey('key-2');
      w.binding({}, { observedGeneration: 1, keyId: 'key-1', roles: ['GROUP_READ_ONLY'] });
    },
    writes: [`om assignProjectKey ${PROJECT} key-2 GROUP_READ_ONLY`, 'event Normal Assigned', `om unassignProjectKey ${PROJECT} key-1`, 'event Normal PreviousKeyUnassigned', 'binding status Ready=True Assigned'],
  },
  {
    name: 'deletion: unassigned, then the finalizer goes',
    setup: (w) => {
      w.om.addKey('key-1', inProject);
      w.binding({ deletionTimestamp: T0 }, { keyId: 'key-1' });
    },
    writes: [`om unassignProjectKey ${PROJECT} key-1`, 'event Normal Unassigned', 'binding replace finalizers=-'],
  },
  {
    name: 'Ops Manager failing: the failure is stated, retried with backoff',
    setup: (w) => {
      w.om.addKey('key-1');
      w.om.failOnce('assignProjectKey', new UnavailableError('down', { status: 503 }));
      w.binding();
    },
    writes: [`om assignProjectKey ${PROJECT} key-1 GROUP_READ_ONLY`, 'binding status Ready=False OpsManagerUnreachable +Reconciling', 'event Warning OpsManagerUnreachable'],
    transient: true,
  },
];

describe('projectkeybinding reconciler: exact writes (recording fakes)', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = new BindingWorld();
      row.setup(w);
      const err = await w.reconcile();
      expect(w.writes).to.deep.equal(row.writes);
      if (row.transient) expect(err).to.be.instanceOf(TransientError);
      else expect(err).to.equal(undefined);
    });
  }

  it('a cached copy its own write already replaced: no call at all, looked at again shortly', async () => {
    const w = new BindingWorld();
    w.om.addKey('key-1');
    w.binding({ finalizers: [] });
    w.cacheBehind = true;
    expect(await w.reconciler.reconcile('team-a/b', silent)).to.deep.equal({ requeueAfterMs: 100 });
    expect(w.writes).to.deep.equal([]);
    w.cacheBehind = false;
    expect(await w.reconcile()).to.equal(undefined);
    expect(w.writes[0]).to.equal('binding replace finalizers=omkeys.io/finalizer');
  });
});
