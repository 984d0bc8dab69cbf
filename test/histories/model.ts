import fc from 'fast-check';
import type { FaultRule } from '../../tools/opsmanager-sim/faults.ts';

// The vocabulary of a history: what users, Ops Manager administrators, time and the operator
// itself can do. Events name resources by slot, not by object, so that any event applies to
// any state (a no-op when its target is missing): fast-check may then drop or shrink events
// freely and every shrunk history is still meaningful.

/** Key slots 0-1 live in namespace ns-a, 2-3 in ns-b; binding slots 0-1 in ns-a, 2 in ns-b. */
export const KEY_SLOTS = 4;
export const BINDING_SLOTS = 3;
export const keyNs = (slot: number): string => (slot < 2 ? 'ns-a' : 'ns-b');
export const keyName = (slot: number): string => `k${slot}`;
export const bindingNs = (slot: number): string => (slot < 2 ? 'ns-a' : 'ns-b');
export const bindingName = (slot: number): string => `b${slot}`;
/** The key slots a binding slot may reference (same namespace). */
export const keySlotsOf = (bindingSlot: number): [number, number] => (bindingSlot < 2 ? [0, 1] : [2, 3]);

export const ORG_ROLES = ['ORG_READ_ONLY', 'ORG_MEMBER', 'ORG_GROUP_CREATOR'] as const;
export const GROUP_ROLES = ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_OWNER', 'GROUP_MONITORING_ADMIN'] as const;
export const ACCESS_ENTRIES = [{ cidrBlock: '10.20.0.0/16' }, { ipAddress: '192.0.2.10' }, { ipAddress: '2001:db8::1' }, { cidrBlock: '198.51.100.0/24' }] as const;

export type Rotation = 'none' | 'plain' | 'grace';

export interface KeySpecChoice {
  /** undefined: an organization key; else the index of the simulator's project it is created in. */
  project?: number;
  roles: number[];
  description?: string;
  access: number[];
  rotation: Rotation;
  retain: boolean;
  /** A template with a label and a data key rendered from the pair. */
  template: boolean;
  /** The Secret is named `<name>-creds` instead of the resource's name. */
  ownSecretName: boolean;
}

export type SpecChange =
  | { what: 'roles'; roles: number[] }
  | { what: 'description'; description?: string }
  | { what: 'access'; access: number[] }
  | { what: 'rotation'; rotation: Rotation }
  | { what: 'template'; template: boolean }
  | { what: 'secret-name'; own: boolean }
  | { what: 'deletion-policy'; retain: boolean }
  /** spec.connectionRef: the namespace's own OpsManagerConnection (`om-conn`), or none (the default ClusterOpsManagerConnection). */
  | { what: 'connection'; own: boolean }
  /** Roles the operator's policy refuses through its connection (ORG_OWNER; GROUP_USER_ADMIN in a project). */
  | { what: 'roles-denied' };

export type SecretEdit = 'pair' | 'label' | 'annotation' | 'extra-key' | 'key-id';
export type HandEdit = 'description' | 'roles' | 'delete' | 'access-add' | 'access-remove' | 'unassign';
export type Advance = '5s' | '61s' | '31m' | '2h1m';
/**
 * What an OpsManagerApiKey with spec.adopt names: a key made by hand with its private key in a
 * Secret (`pair`), a wrong one (`wrong-pair`), no Secret (`no-secret`), or `rotate: true`; or a
 * key id that names no key (`unknown`), or the key another resource manages (`rival`), either way.
 */
export type AdoptHow = 'pair' | 'wrong-pair' | 'no-secret' | 'rotate' | 'unknown' | 'rival' | 'victim';
/**
 * What a namespace editor (a tenant) writes to turn the operator against keys that are not the
 * namespace's (issue 20; tampering.ts): the create-pending mark forged (its fields naming
 * another connection, another resource's tag, a victim key), made unparsable or removed; the
 * Secret's data set to a victim's key id (and public key, its pair hash recomputed); its
 * annotations, finalizers or ownerReferences forged; a Secret written by hand; a Secret forged
 * for a resource that never existed.
 */
export type TamperHow =
  | 'mark-forge' | 'mark-garbage' | 'mark-remove'
  | 'secret-key-id' | 'secret-pair' | 'secret-meta' | 'secret-owner' | 'secret-by-hand' | 'secret-forged';

export type HistoryEvent =
  | { t: 'create-key'; slot: number; spec: KeySpecChoice }
  | { t: 'change-key'; slot: number; change: SpecChange }
  | { t: 'delete-key'; slot: number }
  /** A user's DELETE that read the resource before the operator's first write added the finalizer, and removes it after (kubernetes#77988). */
  | { t: 'delete-key-racing'; slot: number }
  | { t: 'delete-secret'; slot: number }
  | { t: 'edit-secret'; slot: number; edit: SecretEdit }
  | { t: 'hand-edit'; slot: number; edit: HandEdit; previous: boolean }
  | { t: 'hand-create' }
  /** A user creates a resource adopting a key (`target` picks the key made by hand or managed; one is made by hand if there is none). */
  | { t: 'adopt-key'; slot: number; spec: KeySpecChoice; how: AdoptHow; target: number; rotate: boolean }
  /** A tenant tampers with what it may write; `victim` picks the key it aims at (tampering.ts victimIds). */
  | { t: 'tamper'; slot: number; how: TamperHow; victim: number; other: boolean }
  /** A user asks for a rotation now (annotation omkeys.io/rotate with a new value). */
  | { t: 'rotate-now'; slot: number }
  | { t: 'time'; advance: Advance }
  | { t: 'delete-namespace'; ns: 'ns-a' | 'ns-b' }
  | { t: 'create-binding'; slot: number; key: 0 | 1; project: number; roles: number[] }
  | { t: 'change-binding'; slot: number; roles: number[] }
  | { t: 'delete-binding'; slot: number }
  | { t: 'fault'; rule: FaultRule }
  /** The informers' caches stop (`freeze`) or catch up (`sync`): decisions must not rest on a stale cache. */
  | { t: 'cache'; mode: 'freeze' | 'sync' }
  /** The operator reconciles one pending object (`pick` indexes the sorted pending list); `crashAt`: it dies at its n-th step boundary, or at the first named so (`after-secret-write`). */
  | { t: 'reconcile'; pick: number; crashAt?: number | string }
  /**
   * The operator works off its queue (as it does between two user actions), without crashing;
   * `healthy`: with Ops Manager answering and the informers current, after which what the
   * operator promises to do at once (not at the next resync) must have been done.
   */
  | { t: 'drain'; healthy: boolean }
  /** Two pending objects reconciled at once, as the runtime's workers do (never one object twice at once). */
  | { t: 'reconcile-two'; picks: [number, number] }
  /** The organization's key list is read (a resync) and the janitors judge its tagged keys (operator.ts). */
  | { t: 'janitor' };

export type History = HistoryEvent[];

/** Role indices, taken modulo the length of the role list of the key's scope when applied. */
const roleIdx = fc.uniqueArray(fc.nat(3), { minLength: 1, maxLength: 2 }).map((a) => [...a].sort());
const accessIdx = fc.uniqueArray(fc.nat(ACCESS_ENTRIES.length - 1), { maxLength: 2 }).map((a) => [...a].sort());
const description = fc.option(fc.constantFrom('billing reader', 'ci deployer'), { nil: undefined });
const rotation = fc.constantFrom<Rotation>('none', 'none', 'plain', 'grace');

const keySpec: fc.Arbitrary<KeySpecChoice> = fc
  .record({
    project: fc.option(fc.nat(2), { nil: undefined }),
    roles: roleIdx,
    description,
    access: accessIdx,
    rotation,
    retain: fc.nat(4).map((n) => n === 4),
    template: fc.boolean(),
    ownSecretName: fc.boolean(),
  })
  .map((r) => {
    const { project, description: d, ...rest } = r;
    return { ...rest, ...(project !== undefined ? { project } : {}), ...(d !== undefined ? { description: d } : {}) };
  });

const specChange: fc.Arbitrary<SpecChange> = fc.oneof(
  roleIdx.map((roles) => ({ what: 'roles' as const, roles })),
  description.map((d) => (d === undefined ? { what: 'description' as const } : { what: 'description' as const, description: d })),
  accessIdx.map((access) => ({ what: 'access' as const, access })),
  rotation.map((r) => ({ what: 'rotation' as const, rotation: r })),
  fc.boolean().map((template) => ({ what: 'template' as const, template })),
  fc.boolean().map((own) => ({ what: 'secret-name' as const, own })),
  fc.boolean().map((retain) => ({ what: 'deletion-policy' as const, retain })),
  fc.boolean().map((own) => ({ what: 'connection' as const, own })),
  fc.constant({ what: 'roles-denied' as const }),
);

const TAMPERS: TamperHow[] = [
  'mark-forge', 'mark-garbage', 'mark-remove',
  'secret-key-id', 'secret-pair', 'secret-meta', 'secret-owner', 'secret-by-hand', 'secret-forged',
];

const ORG_PATHS = ['/orgs/*/apiKeys', '/orgs/*/apiKeys/*', '/orgs/*/apiKeys/*/accessList', '/orgs/*/apiKeys/*/accessList/*'];
const GROUP_PATHS = ['/groups/*', '/groups/*/apiKeys', '/groups/*/apiKeys/*'];

/** Ops Manager failing the next few matching calls; a lost create answer is the dangerous one. */
const anyPath = fc.option(fc.constantFrom(...ORG_PATHS, ...GROUP_PATHS), { nil: undefined, freq: 2 });
const faultRule: fc.Arbitrary<FaultRule> = fc.oneof(
  fc.record({ fault: fc.constant('status' as const), status: fc.constantFrom(500, 503, 502), count: fc.integer({ min: 1, max: 4 }), path: anyPath }, { requiredKeys: ['fault', 'status', 'count'] }),
  fc.record({ fault: fc.constant('reset' as const), count: fc.integer({ min: 1, max: 3 }), path: anyPath }, { requiredKeys: ['fault', 'count'] }),
  fc.record({ fault: fc.constant('status' as const), status: fc.constant(429), retryAfter: fc.constant(1), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ fault: fc.constant('drop-after-apply' as const), method: fc.constant('POST'), path: fc.constantFrom('/orgs/*/apiKeys', '/groups/*/apiKeys'), count: fc.constant(2) }),
  fc.record({ fault: fc.constant('drop-after-apply' as const), method: fc.constantFrom('PATCH', 'DELETE', 'POST'), count: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ fault: fc.constant('timeout' as const), count: fc.constant(1), method: fc.constantFrom('GET', 'PATCH', 'DELETE') }),
);

const slot = fc.nat(KEY_SLOTS - 1);
const bslot = fc.nat(BINDING_SLOTS - 1);
const tamper = fc.record({ t: fc.constant('tamper' as const), slot, how: fc.constantFrom(...TAMPERS), victim: fc.nat(7), other: fc.boolean() });

export const eventArb: fc.Arbitrary<HistoryEvent> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('create-key' as const), slot, spec: keySpec }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('change-key' as const), slot, change: specChange }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete-key' as const), slot }) },
  // With a crash between the create and the next write it leaves a tagged key that only the
  // janitor finds (decide-janitor.ts; docs/reliability.md, finding 2).
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete-key-racing' as const), slot }) },
  { weight: 2, arbitrary: fc.constant({ t: 'janitor' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete-secret' as const), slot }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('edit-secret' as const), slot, edit: fc.constantFrom<SecretEdit>('pair', 'label', 'annotation', 'extra-key', 'key-id') }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('hand-edit' as const),
      slot,
      edit: fc.constantFrom<HandEdit>('description', 'roles', 'delete', 'access-add', 'access-remove', 'unassign'),
      previous: fc.nat(3).map((n) => n === 3),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'hand-create' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('adopt-key' as const),
      slot,
      spec: keySpec,
      how: fc.constantFrom<AdoptHow>('pair', 'pair', 'rotate', 'rotate', 'wrong-pair', 'no-secret', 'unknown', 'rival', 'victim'),
      target: fc.nat(7),
      rotate: fc.boolean(),
    }),
  },
  { weight: 5, arbitrary: tamper },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rotate-now' as const), slot }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('time' as const), advance: fc.constantFrom<Advance>('5s', '61s', '31m', '2h1m') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete-namespace' as const), ns: fc.constantFrom('ns-a' as const, 'ns-b' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('create-binding' as const), slot: bslot, key: fc.constantFrom(0 as const, 1 as const), project: fc.nat(2), roles: roleIdx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('change-binding' as const), slot: bslot, roles: roleIdx }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete-binding' as const), slot: bslot }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('fault' as const), rule: faultRule }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cache' as const), mode: fc.constantFrom('freeze' as const, 'sync' as const) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('drain' as const), healthy: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('reconcile-two' as const), picks: fc.tuple(fc.nat(7), fc.nat(7)) }) },
  {
    weight: 8,
    arbitrary: fc.record({ t: fc.constant('reconcile' as const), pick: fc.nat(7), crashAt: fc.option(fc.nat(10), { nil: undefined, freq: 3 }) }).map((e) =>
      e.crashAt === undefined ? { t: e.t, pick: e.pick } : e,
    ),
  },
);

const createKey = fc.record({ t: fc.constant('create-key' as const), slot, spec: keySpec });

/** A few resources first (most events need one to act on), then anything; at most 25 events. */
export const historyArb: fc.Arbitrary<History> = fc
  .tuple(fc.array(createKey, { minLength: 1, maxLength: 3 }), fc.array(eventArb, { maxLength: 22 }))
  .map(([first, rest]): History => [...first, ...rest]);

/** One line per event, for a failing seed's report. */
export function formatHistory(h: History): string {
  return h.map((e, i) => `  ${String(i + 1).padStart(2)}. ${formatEvent(e)}`).join('\n');
}

function formatEvent(e: HistoryEvent): string {
  const { t, ...rest } = e;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [t, ...fields].join(' ');
}
