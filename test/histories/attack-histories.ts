import type { History, KeySpecChoice } from './model.ts';

const orgKey: KeySpecChoice = { roles: [0], access: [], rotation: 'none', retain: false, template: false, ownSecretName: false };

/**
 * Issue 20's attacks, as a tenant of ns-a writes them (tampering.ts; `victim` indexes victimIds:
 * 0 a key made by hand, 1 a key with project roles, 2 the operator's own credential, 3 and 4 the
 * namespaces' own connection keys, then the keys resources track, by id). No key outside the
 * namespace's own may change (ownership.ts). Replayed with the found histories.
 */
export const ATTACKS: ReadonlyArray<{ name: string; history: History }> = [
  {
    name: 'issue 20: a forged Secret (our label, the old finalizer, an owner uid that never existed) naming the operator\'s credential',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'tamper', slot: 0, how: 'secret-forged', victim: 2, other: false }, { t: 'janitor' }, { t: 'drain', healthy: true }],
  },
  {
    name: 'issue 20: a resource refused by policy, its Secret written by hand naming another namespace\'s key, then its spec fixed',
    history: [
      { t: 'create-key', slot: 2, spec: orgKey },
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'change-key', slot: 0, change: { what: 'roles-denied' } },
      { t: 'drain', healthy: true },
      { t: 'tamper', slot: 0, how: 'secret-by-hand', victim: 5, other: false },
      { t: 'change-key', slot: 0, change: { what: 'roles', roles: [0] } },
      { t: 'drain', healthy: true },
    ],
  },
  {
    name: 'issue 20: a forged create-pending mark (naming another resource\'s tag and connection) over a Secret naming another namespace\'s key',
    history: [
      { t: 'create-key', slot: 2, spec: orgKey },
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'drain', healthy: true },
      { t: 'tamper', slot: 0, how: 'secret-key-id', victim: 5, other: false },
      { t: 'tamper', slot: 0, how: 'mark-forge', victim: 5, other: true },
      { t: 'drain', healthy: true },
    ],
  },
  {
    name: 'issue 20: a Secret rewritten with another key\'s id and public key and a recomputed pair hash, then the resource deleted',
    history: [
      { t: 'create-key', slot: 0, spec: { ...orgKey, retain: true } },
      { t: 'drain', healthy: true },
      { t: 'tamper', slot: 0, how: 'secret-pair', victim: 0, other: false },
      { t: 'reconcile', pick: 0, crashAt: 'after-create' },
      { t: 'delete-key', slot: 0 },
    ],
  },
  {
    name: 'issue 20: the create-pending mark removed under an interrupted create, then the resource deleted',
    history: [
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' },
      { t: 'tamper', slot: 0, how: 'mark-remove', victim: 0, other: false },
      { t: 'drain', healthy: true },
      { t: 'delete-key', slot: 0 },
    ],
  },
  {
    name: 'issue 20: adoption with rotate: true of a key made by hand where not allowed, and of a key with project roles where allowed (its roles refused)',
    history: [
      { t: 'adopt-key', slot: 0, spec: orgKey, how: 'victim', target: 0, rotate: true },
      { t: 'adopt-key', slot: 2, spec: orgKey, how: 'victim', target: 1, rotate: true },
      { t: 'drain', healthy: true },
    ],
  },
  {
    name: 'issue 20: adoption with rotate: true of the operator\'s own credential, and of another namespace\'s tracked key, where allowed',
    history: [
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'drain', healthy: true },
      { t: 'adopt-key', slot: 2, spec: orgKey, how: 'victim', target: 2, rotate: true },
      { t: 'adopt-key', slot: 3, spec: orgKey, how: 'victim', target: 3, rotate: true },
      { t: 'drain', healthy: true },
    ],
  },
  {
    name: 'issue 20: spec.connectionRef switched to the namespace\'s own connection and back, a create interrupted in between',
    history: [
      { t: 'create-key', slot: 2, spec: orgKey },
      { t: 'drain', healthy: true },
      { t: 'change-key', slot: 2, change: { what: 'connection', own: true } },
      { t: 'reconcile', pick: 0, crashAt: 'after-create' },
      { t: 'change-key', slot: 2, change: { what: 'connection', own: false } },
      { t: 'drain', healthy: true },
    ],
  },
  {
    name: 'issue 21: rotate: true in ns-a, whose grant allows adoption with the private key only: PolicyDenied, the key made by hand untouched',
    history: [{ t: 'adopt-key', slot: 0, spec: orgKey, how: 'rotate', target: 0, rotate: true }, { t: 'drain', healthy: true }],
  },
  {
    name: 'issue 21: ORG_OWNER through the namespace\'s own OpsManagerConnection, then spec.connectionRef back to the default, whose policy refuses it',
    history: [
      { t: 'create-key', slot: 2, spec: orgKey },
      { t: 'change-key', slot: 2, change: { what: 'connection', own: true } },
      { t: 'change-key', slot: 2, change: { what: 'roles-denied' } },
      { t: 'drain', healthy: true },
      { t: 'change-key', slot: 2, change: { what: 'connection', own: false } },
      { t: 'drain', healthy: true },
    ],
  },
];
