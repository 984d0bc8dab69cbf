import { expect } from 'chai';
import { FINALIZER, type OpsManagerApiKey, type ProjectKeyBinding } from '../../../src/api/types.ts';
import { assignmentsForNewKey, decide, isNoop, type BindingGathered, type BindingPlan } from '../../../src/controllers/projectkeybinding/decide.ts';

const ORG = '5f0c3b7c2e9a1b0001a1b2c3';
const P1 = '6a1b2c3d4e5f60718293a4b5';
const P2 = '6a1b2c3d4e5f60718293a4b6';
const T0 = '2026-11-28T12:00:00Z';
const T1 = '2026-11-28T12:00:05Z';
const ready = [{ type: 'Ready', status: 'True' as const, reason: 'Assigned', message: '', lastTransitionTime: T0, observedGeneration: 1 }];

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
  return { obj, key: { state: 'present', key: apiKey() }, siblings: [], policy: { allowed: true }, project: assigned({}), ...over };
}

const converged = { observedGeneration: 1, keyId: 'key-1', roles: ['GROUP_READ_ONLY'], conditions: ready };
const deleting = { deletionTimestamp: T1 };

interface Row {
  name: string;
  g: BindingGathered;
  expect: Partial<BindingPlan> & { kind: BindingPlan['kind'] };
}

const rows: Row[] = [
  { name: 'adds the finalizer first', g: g(binding('b', { meta: { finalizers: [] } }), { key: { state: 'absent' } }), expect: { kind: 'AddFinalizer' } },
  { name: 'waits for a key that does not exist yet', g: g(binding(), { key: { state: 'absent' } }), expect: { kind: 'Wait', reason: 'KeyNotFound' } },
  { name: 'a key being deleted counts as not found', g: g(binding(), { key: { state: 'present', key: apiKey({ meta: deleting }) } }), expect: { kind: 'Wait', reason: 'KeyNotFound' } },
  {
    name: 'waits for a key that is not Ready',
    g: g(binding(), { key: { state: 'present', key: apiKey({ status: { conditions: [{ ...ready[0]!, status: 'False', reason: 'Progressing' }] } }) } }),
    expect: { kind: 'Wait', reason: 'KeyNotReady' },
  },
  { name: 'waits for a key without a key id', g: g(binding(), { key: { state: 'present', key: apiKey({ status: { conditions: ready } }) } }), expect: { kind: 'Wait', reason: 'KeyNotReady' } },
  {
    name: 'a binding for the project a project-mode key was created in is a conflict',
    g: g(binding(), { key: { state: 'present', key: apiKey({ spec: { orgId: undefined, projectId: P1, roles: ['GROUP_OWNER'] } }) } }),
    expect: { kind: 'Wait', reason: 'Conflict' },
  },
  {
    name: 'a project-mode key may be bound to another project',
    g: g(binding(), { key: { state: 'present', key: apiKey({ spec: { orgId: undefined, projectId: P2, roles: ['GROUP_OWNER'] } }) } }),
    expect: { kind: 'Converge', assign: { roles: ['GROUP_READ_ONLY'], drift: false, previous: [] } },
  },
  { name: 'the younger of two bindings for one key and project is a conflict', g: g(binding('b', { meta: { creationTimestamp: T1 } }), { siblings: [binding('a')] }), expect: { kind: 'Wait', reason: 'Conflict' } },
  { name: 'same creation time: the name decides', g: g(binding('b'), { siblings: [binding('a')] }), expect: { kind: 'Wait', reason: 'Conflict' } },
  { name: 'the older of two bindings proceeds', g: g(binding('a'), { siblings: [binding('b', { meta: { creationTimestamp: T1 } })], project: { state: 'unread' } }), expect: { kind: 'ReadProject' } },
  {
    name: 'an older binding that is being deleted does not block the younger',
    g: g(binding('b', { meta: { creationTimestamp: T1 } }), { siblings: [binding('a', { meta: deleting })] }),
    expect: { kind: 'Converge', assign: { roles: ['GROUP_READ_ONLY'], drift: false, previous: [] } },
  },
  { name: 'policy denial', g: g(binding(), { policy: { allowed: false, message: 'no' } }), expect: { kind: 'Wait', reason: 'PolicyDenied', message: 'no' } },
  { name: 'reads the project before converging', g: g(binding(), { project: { state: 'unread' } }), expect: { kind: 'ReadProject' } },
  {
    name: 'assigns a key not yet in the project',
    g: g(binding()),
    expect: { kind: 'Converge', keyId: 'key-1', assign: { roles: ['GROUP_READ_ONLY'], drift: false, previous: [] }, unassign: [], roles: ['GROUP_READ_ONLY'] },
  },
  {
    name: 'changes the roles when the spec changed (not drift)',
    g: g(binding('b', { spec: { roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'] }, meta: { generation: 2 }, status: converged }), { project: assigned({ 'key-1': ['GROUP_READ_ONLY'] }) }),
    expect: { kind: 'Converge', assign: { roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'], drift: false, previous: ['GROUP_READ_ONLY'] } },
  },
  {
    name: 'roles changed by hand are drift',
    g: g(binding('b', { status: converged }), { project: assigned({ 'key-1': ['GROUP_OWNER'] }) }),
    expect: { kind: 'Converge', assign: { roles: ['GROUP_READ_ONLY'], drift: true, previous: ['GROUP_OWNER'] } },
  },
  {
    name: 'an assignment removed by hand is drift',
    g: g(binding('b', { status: converged }), { project: assigned({}) }),
    expect: { kind: 'Converge', assign: { roles: ['GROUP_READ_ONLY'], drift: true, previous: [] } },
  },
  {
    name: 'steady state: nothing to write',
    g: g(binding('b', { status: converged }), { project: assigned({ 'key-1': ['GROUP_READ_ONLY'], other: ['GROUP_OWNER'] }) }),
    expect: { kind: 'Converge', keyId: 'key-1', unassign: [], roles: ['GROUP_READ_ONLY'] },
  },
  {
    name: 'role order and duplicates do not matter',
    g: g(binding('b', { spec: { roles: ['GROUP_READ_ONLY', 'GROUP_OWNER', 'GROUP_OWNER'] } }), { project: assigned({ 'key-1': ['GROUP_OWNER', 'GROUP_READ_ONLY'] }) }),
    expect: { kind: 'Converge', unassign: [], roles: ['GROUP_OWNER', 'GROUP_READ_ONLY'] },
  },
  {
    name: 'follows a replaced key and removes the old one from the project',
    g: g(binding('b', { status: converged }), { key: { state: 'present', key: apiKey({ status: { keyId: 'key-2', conditions: ready } }) }, project: assigned({ 'key-1': ['GROUP_READ_ONLY'], 'key-2': ['GROUP_READ_ONLY'] }) }),
    expect: { kind: 'Converge', keyId: 'key-2', unassign: ['key-1'], roles: ['GROUP_READ_ONLY'] },
  },
  {
    name: 'a replaced key the hook did not reach is assigned, not reported as drift',
    g: g(binding('b', { status: converged }), { key: { state: 'present', key: apiKey({ status: { keyId: 'key-2', conditions: ready } }) }, project: assigned({}) }),
    expect: { kind: 'Converge', keyId: 'key-2', assign: { roles: ['GROUP_READ_ONLY'], drift: false, previous: [] }, unassign: [] },
  },
  {
    name: 'a previous key in its rotation grace period keeps its roles',
    g: g(binding('b', { status: converged }), {
      key: { state: 'present', key: apiKey({ status: { keyId: 'key-2', previousKeyId: 'key-1', conditions: ready } }) },
      project: assigned({ 'key-1': ['GROUP_READ_ONLY'], 'key-2': ['GROUP_READ_ONLY'] }),
    }),
    expect: { kind: 'Converge', keyId: 'key-2', unassign: [] },
  },
  { name: 'deleting without our finalizer: nothing to do', g: g(binding('b', { meta: { ...deleting, finalizers: [] } })), expect: { kind: 'Done' } },
  { name: 'deleting: removes the assigned key from the project', g: g(binding('b', { meta: deleting, status: converged })), expect: { kind: 'Finalize', unassign: ['key-1'] } },
  {
    name: 'deleting after the key was replaced: old, current and grace-period keys',
    g: g(binding('b', { meta: deleting, status: converged }), { key: { state: 'present', key: apiKey({ status: { keyId: 'key-3', previousKeyId: 'key-2', conditions: ready } }) } }),
    expect: { kind: 'Finalize', unassign: ['key-1', 'key-3', 'key-2'] },
  },
  { name: 'deleting when the key resource is gone: the recorded key id', g: g(binding('b', { meta: deleting, status: converged }), { key: { state: 'absent' } }), expect: { kind: 'Finalize', unassign: ['key-1'] } },
  { name: 'deleting with nothing ever assigned and no key', g: g(binding('b', { meta: deleting }), { key: { state: 'absent' } }), expect: { kind: 'Finalize', unassign: [] } },
  { name: 'deleting while a live sibling owns the assignment', g: g(binding('b', { meta: deleting, status: converged }), { siblings: [binding('a')] }), expect: { kind: 'Finalize', unassign: [] } },
  {
    name: 'deleting a binding that conflicted with a project-mode key leaves its project alone',
    g: g(binding('b', { meta: deleting }), { key: { state: 'present', key: apiKey({ spec: { orgId: undefined, projectId: P1, roles: ['GROUP_OWNER'] } }) } }),
    expect: { kind: 'Finalize', unassign: [] },
  },
  { name: 'deleting together with its sibling: both clean up', g: g(binding('b', { meta: deleting, status: converged }), { siblings: [binding('a', { meta: deleting })] }), expect: { kind: 'Finalize', unassign: ['key-1'] } },
];

describe('projectkeybinding decide', () => {
  for (const row of rows) {
    it(row.name, () => {
      const plan = decide(row.g);
      expect(plan).to.deep.include(row.expect);
    });
  }

  it('isNoop only for a Converge without writes', () => {
    expect(isNoop({ kind: 'Converge', keyId: 'k', unassign: [], roles: [] })).to.equal(true);
    expect(isNoop({ kind: 'Converge', keyId: 'k', unassign: ['x'], roles: [] })).to.equal(false);
    expect(isNoop({ kind: 'Converge', keyId: 'k', assign: { roles: ['GROUP_OWNER'], drift: false, previous: [] }, unassign: [], roles: [] })).to.equal(false);
    expect(isNoop({ kind: 'Done' })).to.equal(false);
  });
});

describe('projectkeybinding assignmentsForNewKey', () => {
  const allow = (): { allowed: true } => ({ allowed: true });
  const table: Array<{ name: string; key: OpsManagerApiKey; bindings: ProjectKeyBinding[]; policy?: (b: ProjectKeyBinding) => { allowed: true } | { allowed: false; message: string }; want: Array<[string, string[]]> }> = [
    { name: 'every valid binding of the key', key: apiKey(), bindings: [binding('a'), binding('c', { spec: { projectId: P2, roles: ['GROUP_OWNER'] } })], want: [[P1, ['GROUP_READ_ONLY']], [P2, ['GROUP_OWNER']]] },
    { name: 'bindings of other keys are ignored', key: apiKey(), bindings: [binding('a', { spec: { apiKeyRef: { name: 'other' } } })], want: [] },
    { name: 'deleting bindings are ignored', key: apiKey(), bindings: [binding('a', { meta: deleting })], want: [] },
    { name: 'only the older of two conflicting bindings', key: apiKey(), bindings: [binding('y', { spec: { roles: ['GROUP_OWNER'] } }), binding('x')], want: [[P1, ['GROUP_READ_ONLY']]] },
    { name: 'not the project a project-mode key lives in', key: apiKey({ spec: { orgId: undefined, projectId: P1, roles: ['GROUP_OWNER'] } }), bindings: [binding('a')], want: [] },
    { name: 'not what the policy denies', key: apiKey(), bindings: [binding('a')], policy: () => ({ allowed: false, message: 'no' }), want: [] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const got = assignmentsForNewKey(row.key, row.bindings, row.policy ?? allow).map((a) => [a.projectId, a.roles]);
      expect(got).to.deep.equal(row.want);
    });
  }
});
