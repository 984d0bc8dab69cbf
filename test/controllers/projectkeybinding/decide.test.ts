import { expect } from 'chai';
import { FINALIZER, type OpsManagerApiKey, type ProjectKeyBinding } from '../../../src/api/types.ts';
import { assignmentsForNewKey, keyAsBindingsSee } from '../../../src/controllers/projectkeybinding/assignments.ts';
import { decide } from '../../../src/controllers/projectkeybinding/decide.ts';
import type { BindingDecision, BindingGathered } from '../../../src/controllers/projectkeybinding/plan.ts';
import { OPEN_ACCESS, grantedAccess } from '../support/connection-fixtures.ts';
import type { Verdict } from '../../../src/controllers/shared/policy.ts';

const ORG = '5f0c3b7c2e9a1b0001a1b2c3';
const P1 = '6a1b2c3d4e5f60718293a4b5';
const P2 = '6a1b2c3d4e5f60718293a4b6';
const T0 = '2026-11-28T12:00:00Z';
const T1 = '2026-11-28T12:00:05Z';
const ready = [{ type: 'Ready', status: 'True' as const, reason: 'Assigned', message: '', lastTransitionTime: T0, observedGeneration: 1 }];
const KEY_NOT_FOUND = { type: 'Ready', status: 'False' as const, reason: 'KeyNotFound', message: 'OpsManagerApiKey k does not exist', lastTransitionTime: T0, observedGeneration: 1 };

function binding(name = 'b', over: { spec?: Partial<ProjectKeyBinding['spec']>; status?: ProjectKeyBinding['status']; meta?: Partial<ProjectKeyBinding['metadata']> } = {}): ProjectKeyBinding {
  return {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'ProjectKeyBinding',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}`, generation: 1, creationTimestamp: T0, finalizers: [FINALIZER], ...over.meta },
    spec: { apiKeyRef: { name: 'k' }, projectId: P1, roles: ['GROUP_READ_ONLY'], ...over.spec },
    ...(over.status ? { status: over.status } : {}),
  };
}

function apiKey(over: { spec?: Partial<OpsManagerApiKey['spec']>; status?: OpsManagerApiKey['status']; meta?: Partial<OpsManagerApiKey['metadata']> } = {}): OpsManagerApiKey {
  return {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'OpsManagerApiKey',
    metadata: { name: 'k', namespace: 'team-a', uid: 'uid-k', generation: 1, finalizers: [FINALIZER], ...over.meta },
    spec: { orgId: ORG, roles: ['ORG_READ_ONLY'], ...over.spec },
    status: over.status ?? { keyId: 'key-1', conditions: [{ ...ready[0]!, reason: 'Provisioned' }] },
  };
}

const assigned = (entries: Record<string, string[]>): BindingGathered['project'] => ({ state: 'read', assigned: new Map(Object.entries(entries)) });

function g(obj: ProjectKeyBinding, over: Partial<BindingGathered> = {}): BindingGathered {
  return { obj, now: new Date(T1), key: { state: 'present', key: apiKey() }, siblings: [], access: OPEN_ACCESS, connection: { state: 'read' }, project: assigned({}), ...over };
}

const converged = {
  observedGeneration: 1,
  keyId: 'key-1',
  roles: ['GROUP_READ_ONLY'],
  conditions: [{ ...ready[0]!, message: `key key-1 holds GROUP_READ_ONLY in project ${P1}` }],
};
const deleting = { deletionTimestamp: T1 };

interface Row {
  name: string;
  g: BindingGathered;
  /** The decision as lines: `read …`, or the plan's steps. */
  steps: string[];
}

function lines(d: BindingDecision): string[] {
  if (d.kind === 'read') return [`read ${d.reads.join(',')}`];
  return d.plan.steps.map((s) => {
    switch (s.kind) {
      case 'ProjectAssign':
        return `ProjectAssign ${s.keyId} ${s.roles.join(',')}`;
      case 'ProjectUnassign':
        return `ProjectUnassign ${s.keyId}`;
      case 'Event':
        return `Event ${s.reason}`;
      case 'StatusWrite': {
        const ready = s.status.conditions?.find((c) => c.type === 'Ready');
        const on = (type: string): string => (s.status.conditions?.some((c) => c.type === type && c.status === 'True') ? ` +${type}` : '');
        return `StatusWrite ${ready?.status ?? '?'} ${ready?.reason ?? ''}${on('Reconciling')}${on('Stalled')}`;
      }
      default:
        return s.kind;
    }
  });
}

/** A key missing or not Ready yet is waited for (Reconciling); a rival or the policy needs a person (Stalled). */
const WAIT_KIND: Record<string, string> = { KeyNotFound: '+Reconciling', KeyNotReady: '+Reconciling', Conflict: '+Stalled', PolicyDenied: '+Stalled' };
const wait = (reason: string, type = 'Event'): string[] => [`StatusWrite False ${reason} ${WAIT_KIND[reason] ?? '?'}`, `${type} ${reason}`];
const assign = (id: string, roles: string, event = 'Assigned'): string[] => [`ProjectAssign ${id} ${roles}`, `Event ${event}`];

const rows: Row[] = [
  { name: 'adds the finalizer first', g: g(binding('b', { meta: { finalizers: [] } }), { key: { state: 'absent' } }), steps: ['AddFinalizer'] },
  { name: 'waits for a key that does not exist yet', g: g(binding(), { key: { state: 'absent' } }), steps: wait('KeyNotFound') },
  { name: 'a key being deleted counts as not found', g: g(binding(), { key: { state: 'present', key: apiKey({ meta: deleting }) } }), steps: wait('KeyNotFound') },
  {
    name: 'waits for a key that is not Ready',
    g: g(binding(), { key: { state: 'present', key: apiKey({ status: { conditions: [{ ...ready[0]!, status: 'False', reason: 'Progressing' }] } }) } }),
    steps: wait('KeyNotReady'),
  },
  {
    name: 'a new binding whose key has no status yet (being created) writes nothing: the key\'s first status wakes it',
    g: g(binding(), { key: { state: 'present', key: apiKey({ status: {} }) } }),
    steps: [],
  },
  {
    name: 'a binding that already has a status says it waits for a key that has none yet',
    g: g(binding('b', { status: converged }), { key: { state: 'present', key: apiKey({ status: {}, meta: { uid: 'uid-k2' } }) } }),
    steps: wait('KeyNotReady'),
  },
  { name: 'waits for a key without a key id', g: g(binding(), { key: { state: 'present', key: apiKey({ status: { conditions: ready } }) } }), steps: wait('KeyNotReady') },
  {
    name: 'a wait already stated is not written again',
    g: g(binding('b', { status: { observedGeneration: 1, conditions: [KEY_NOT_FOUND, { ...KEY_NOT_FOUND, type: 'Reconciling', status: 'True' }] } }), { key: { state: 'absent' } }),
    steps: [],
  },
  {
    name: 'a binding for the project a project-mode key was created in is a conflict',
    g: g(binding(), { key: { state: 'present', key: apiKey({ spec: { orgId: undefined, projectId: P1, roles: ['GROUP_OWNER'] } }) } }),
    steps: wait('Conflict'),
  },
  {
    name: 'a project-mode key may be bound to another project',
    g: g(binding(), { key: { state: 'present', key: apiKey({ spec: { orgId: undefined, projectId: P2, roles: ['GROUP_OWNER'] } }) } }),
    steps: [...assign('key-1', 'GROUP_READ_ONLY'), 'StatusWrite True Assigned'],
  },
  { name: 'the younger of two bindings for one key and project is a conflict', g: g(binding('b', { meta: { creationTimestamp: T1 } }), { siblings: [binding('a')] }), steps: wait('Conflict') },
  { name: 'same creation time: the name decides', g: g(binding('b'), { siblings: [binding('a')] }), steps: wait('Conflict') },
  { name: 'the older of two bindings proceeds', g: g(binding('a'), { siblings: [binding('b', { meta: { creationTimestamp: T1 } })], project: { state: 'unread' } }), steps: ['read project'] },
  {
    name: 'an older binding that is being deleted does not block the younger',
    g: g(binding('b', { meta: { creationTimestamp: T1 } }), { siblings: [binding('a', { meta: deleting })] }),
    steps: [...assign('key-1', 'GROUP_READ_ONLY'), 'StatusWrite True Assigned'],
  },
  { name: 'policy denial', g: g(binding('b', { spec: { roles: ['GROUP_OWNER'] } }), { access: grantedAccess([], [P1], { roles: ['GROUP_READ_ONLY'] }) }), steps: wait('PolicyDenied', 'Event') },
  { name: 'reads the connection and the project before converging', g: g(binding(), { connection: { state: 'unread' }, project: { state: 'unread' } }), steps: ['read connection,project'] },
  {
    name: 'a requested reconcile (reconcile.fluxcd.io/requestedAt) lists the project in Ops Manager, not the shared list',
    g: g(binding('b', { meta: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'now' } } }), { connection: { state: 'unread' }, project: { state: 'unread' } }),
    steps: ['read connection,projectLive'],
  },
  {
    name: 'a reconcile request already handled uses the shared list',
    g: g(binding('b', { meta: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'now' } }, status: { lastHandledReconcileAt: 'now' } }), { connection: { state: 'unread' }, project: { state: 'unread' } }),
    steps: ['read connection,project'],
  },
  { name: 'assigns a key not yet in the project', g: g(binding()), steps: [...assign('key-1', 'GROUP_READ_ONLY'), 'StatusWrite True Assigned'] },
  {
    name: 'changes the roles when the spec changed (not drift)',
    g: g(binding('b', { spec: { roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'] }, meta: { generation: 2 }, status: converged }), { project: assigned({ 'key-1': ['GROUP_READ_ONLY'] }) }),
    steps: [...assign('key-1', 'GROUP_OWNER,GROUP_READ_ONLY'), 'StatusWrite True Assigned'],
  },
  { name: 'roles changed by hand are drift', g: g(binding('b', { status: converged }), { project: assigned({ 'key-1': ['GROUP_OWNER'] }) }), steps: assign('key-1', 'GROUP_READ_ONLY', 'DriftCorrected') },
  { name: 'an assignment removed by hand is drift', g: g(binding('b', { status: converged }), { project: assigned({}) }), steps: assign('key-1', 'GROUP_READ_ONLY', 'DriftCorrected') },
  { name: 'steady state: nothing to write', g: g(binding('b', { status: converged }), { project: assigned({ 'key-1': ['GROUP_READ_ONLY'], other: ['GROUP_OWNER'] }) }), steps: [] },
  {
    name: 'role order and duplicates do not matter',
    g: g(binding('b', { spec: { roles: ['GROUP_READ_ONLY', 'GROUP_OWNER', 'GROUP_OWNER'] }, status: { ...converged, roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'], conditions: [{ ...ready[0]!, message: `key key-1 holds GROUP_OWNER, GROUP_READ_ONLY in project ${P1}` }] } }), { project: assigned({ 'key-1': ['GROUP_OWNER', 'GROUP_READ_ONLY'] }) }),
    steps: [],
  },
  {
    name: 'follows a replaced key and removes the old one from the project',
    g: g(binding('b', { status: converged }), { key: { state: 'present', key: apiKey({ status: { keyId: 'key-2', conditions: ready } }) }, project: assigned({ 'key-1': ['GROUP_READ_ONLY'], 'key-2': ['GROUP_READ_ONLY'] }) }),
    steps: ['ProjectUnassign key-1', 'Event PreviousKeyUnassigned', 'StatusWrite True Assigned'],
  },
  {
    name: 'a replaced key not yet in the project is assigned, not reported as drift',
    g: g(binding('b', { status: converged }), { key: { state: 'present', key: apiKey({ status: { keyId: 'key-2', conditions: ready } }) }, project: assigned({}) }),
    steps: [...assign('key-2', 'GROUP_READ_ONLY'), 'StatusWrite True Assigned'],
  },
  {
    name: 'a previous key in its rotation grace period keeps its roles',
    g: g(binding('b', { status: converged }), {
      key: { state: 'present', key: apiKey({ status: { keyId: 'key-2', previousKeyId: 'key-1', conditions: ready } }) },
      project: assigned({ 'key-1': ['GROUP_READ_ONLY'], 'key-2': ['GROUP_READ_ONLY'] }),
    }),
    steps: ['StatusWrite True Assigned'],
  },
  { name: 'deleting without our finalizer: nothing to do', g: g(binding('b', { meta: { ...deleting, finalizers: [] } })), steps: [] },
  { name: 'deleting: reads the connection first', g: g(binding('b', { meta: deleting, status: converged }), { connection: { state: 'unread' } }), steps: ['read connection'] },
  { name: 'deleting: removes the assigned key from the project', g: g(binding('b', { meta: deleting, status: converged })), steps: ['ProjectUnassign key-1', 'Event Unassigned', 'RemoveFinalizer'] },
  {
    name: 'deleting after the key was replaced: old, current and grace-period keys',
    g: g(binding('b', { meta: deleting, status: converged }), { key: { state: 'present', key: apiKey({ status: { keyId: 'key-3', previousKeyId: 'key-2', conditions: ready } }) } }),
    steps: ['ProjectUnassign key-1', 'ProjectUnassign key-3', 'ProjectUnassign key-2', 'Event Unassigned', 'RemoveFinalizer'],
  },
  { name: 'deleting when the key resource is gone: the recorded key id', g: g(binding('b', { meta: deleting, status: converged }), { key: { state: 'absent' } }), steps: ['ProjectUnassign key-1', 'Event Unassigned', 'RemoveFinalizer'] },
  {
    name: 'deleting when the key is gone and the namespace may not use the default connection: skipped, said so',
    g: g(binding('b', { meta: deleting, status: converged }), { key: { state: 'absent' }, connection: { state: 'unread' }, access: { kind: 'granted', connection: 'ClusterOpsManagerConnection/om', grants: [], keysAhead: 0 } }),
    steps: ['Event UnassignSkipped', 'RemoveFinalizer'],
  },
  {
    name: 'deleting when the connection is gone with the namespace: skipped, said so',
    g: g(binding('b', { meta: deleting, status: converged }), { connection: { state: 'unavailable', message: 'gone' } }),
    steps: ['Event UnassignSkipped', 'RemoveFinalizer'],
  },
  { name: 'deleting with nothing ever assigned and no key', g: g(binding('b', { meta: deleting }), { key: { state: 'absent' } }), steps: ['RemoveFinalizer'] },
  { name: 'deleting while a live sibling owns the assignment', g: g(binding('b', { meta: deleting, status: converged }), { siblings: [binding('a')] }), steps: ['RemoveFinalizer'] },
  {
    name: 'deleting a binding that conflicted with a project-mode key leaves its project alone',
    g: g(binding('b', { meta: deleting }), { key: { state: 'present', key: apiKey({ spec: { orgId: undefined, projectId: P1, roles: ['GROUP_OWNER'] } }) } }),
    steps: ['RemoveFinalizer'],
  },
  { name: 'deleting together with its sibling: both clean up', g: g(binding('b', { meta: deleting, status: converged }), { siblings: [binding('a', { meta: deleting })] }), steps: ['ProjectUnassign key-1', 'Event Unassigned', 'RemoveFinalizer'] },
];

describe('projectkeybinding decide', () => {
  for (const row of rows) {
    it(row.name, () => {
      expect(lines(decide(row.g))).to.deep.equal(row.steps);
    });
  }
});

describe('projectkeybinding keyAsBindingsSee (which key changes reconcile its bindings)', () => {
  type Edit = (k: OpsManagerApiKey) => OpsManagerApiKey;
  const withStatus = (k: OpsManagerApiKey, over: Partial<NonNullable<OpsManagerApiKey['status']>>): OpsManagerApiKey => ({ ...k, status: { ...k.status, ...over } });
  const editReady = (k: OpsManagerApiKey, over: Record<string, unknown>): OpsManagerApiKey =>
    withStatus(k, { conditions: (k.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, ...over } : c)) });
  const noNews: Array<[string, Edit]> = [
    ['its pending mark and a new resourceVersion', (k) => ({ ...k, metadata: { ...k.metadata, resourceVersion: '99', annotations: { 'omkeys.io/create-pending': '{"id":"x"}' } } })],
    ['status details bindings never read', (k) => withStatus(k, { createSettled: 'x', secretName: 's', publicKey: 'pub', roles: ['ORG_OWNER'], accessList: ['10.0.0.0/8'], rotatedAt: T1 })],
    ['the Ready condition\'s reason, message and time', (k) => editReady(k, { reason: 'Other', message: 'changed', lastTransitionTime: T1 })],
    ['other conditions', (k) => withStatus(k, { conditions: [...(k.status?.conditions ?? []), { type: 'SecretSynced', status: 'False', reason: 'X', message: '', lastTransitionTime: T1 }] })],
    ['the key\'s own roles and generation', (k) => ({ ...k, metadata: { ...k.metadata, generation: 2 }, spec: { ...k.spec, roles: ['ORG_OWNER'] } })],
  ];
  const news: Array<[string, Edit]> = [
    ['Ready turns False', (k) => editReady(k, { status: 'False' })],
    ['a new key id', (k) => withStatus(k, { keyId: 'key-2' })],
    ['a previous key in its grace period', (k) => withStatus(k, { previousKeyId: 'key-0' })],
    ['deletion starts', (k) => ({ ...k, metadata: { ...k.metadata, deletionTimestamp: T1 } })],
    ['another connection', (k) => ({ ...k, spec: { ...k.spec, connectionRef: { kind: 'ClusterOpsManagerConnection' as const, name: 'other' } } })],
    ['a project of its own', (k) => ({ ...k, spec: { ...k.spec, orgId: undefined, projectId: P1 } })],
    ['recreated under the same name', (k) => ({ ...k, metadata: { ...k.metadata, uid: 'uid-k2' } })],
  ];
  const withKey = rows.filter((r) => r.g.key.state === 'present');
  it('the table has rows with a key to vary', () => expect(withKey.length).to.be.greaterThan(10));
  for (const [what, edit] of noNews) {
    it(`${what}: seen the same, and every decision in the table is the same with it`, () => {
      for (const row of withKey) {
        if (row.g.key.state !== 'present') continue;
        const edited = edit(row.g.key.key);
        expect(keyAsBindingsSee(edited), row.name).to.equal(keyAsBindingsSee(row.g.key.key));
        expect(decide({ ...row.g, key: { state: 'present', key: edited } }), row.name).to.deep.equal(decide(row.g));
      }
    });
  }
  for (const [what, edit] of news) {
    it(`${what}: news for the key's bindings`, () => expect(keyAsBindingsSee(edit(apiKey()))).to.not.equal(keyAsBindingsSee(apiKey())));
  }
});

describe('projectkeybinding assignmentsForNewKey', () => {
  const allow = (): { allowed: true } => ({ allowed: true });
  const table: Array<{ name: string; key: OpsManagerApiKey; bindings: ProjectKeyBinding[]; policy?: (b: ProjectKeyBinding) => Verdict; want: Array<[string, string[]]> }> = [
    { name: 'every valid binding of the key', key: apiKey(), bindings: [binding('a'), binding('c', { spec: { projectId: P2, roles: ['GROUP_OWNER'] } })], want: [[P1, ['GROUP_READ_ONLY']], [P2, ['GROUP_OWNER']]] },
    { name: 'bindings of other keys are ignored', key: apiKey(), bindings: [binding('a', { spec: { apiKeyRef: { name: 'other' } } })], want: [] },
    { name: 'deleting bindings are ignored', key: apiKey(), bindings: [binding('a', { meta: deleting })], want: [] },
    { name: 'only the older of two conflicting bindings', key: apiKey(), bindings: [binding('y', { spec: { roles: ['GROUP_OWNER'] } }), binding('x')], want: [[P1, ['GROUP_READ_ONLY']]] },
    { name: 'not the project a project-mode key lives in', key: apiKey({ spec: { orgId: undefined, projectId: P1, roles: ['GROUP_OWNER'] } }), bindings: [binding('a')], want: [] },
    { name: 'not what the policy denies', key: apiKey(), bindings: [binding('a')], policy: () => ({ allowed: false, reason: 'PolicyDenied', message: 'no' }), want: [] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const got = assignmentsForNewKey(row.key, row.bindings, row.policy ?? allow).map((a) => [a.projectId, a.roles]);
      expect(got).to.deep.equal(row.want);
    });
  }
});
