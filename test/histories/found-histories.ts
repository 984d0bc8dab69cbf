import { ATTACKS } from './attack-histories.ts';
import type { History, KeySpecChoice } from './model.ts';

// Histories the generator found breaking a promise, shrunk, with the crash given by step
// name rather than by index so that they keep meaning the same while plans change. Each is
// replayed by found-histories.test.ts; see the report of the run that found it for the
// diagnosis. A fixed bug's history stays here, as a regression test.

const orgKey: KeySpecChoice = { roles: [0], access: [], rotation: 'none', retain: false, template: false, ownSecretName: false };
const rotating: KeySpecChoice = { ...orgKey, rotation: 'grace' };

/**
 * A project key a Retain resource tracks is adopted (as the rival's key), then that resource is
 * deleted, leaving the key behind. `slot`: the adopter's (rotate: true is allowed in ns-b only).
 */
function adoptLeftProjectKey(rotate: boolean, slot = 0): History {
  return [
    { t: 'create-key', slot: 0, spec: orgKey },
    { t: 'create-key', slot: 2, spec: { ...orgKey, retain: true, project: 0 } },
    { t: 'drain', healthy: false },
    { t: 'delete-key-racing', slot: 0 },
    { t: 'adopt-key', slot, spec: orgKey, how: 'rival', target: 0, rotate },
    { t: 'delete-key', slot: 2 },
  ];
}

export const FOUND: ReadonlyArray<{ name: string; history: History }> = [
  {
    name: 'a key renamed before status records it is lost with its Secret',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'reconcile', pick: 0, crashAt: 'after-key-update' }, { t: 'delete-secret', slot: 0 }],
  },
  {
    name: 'a key renamed before status records it is lost with its namespace',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'reconcile', pick: 0, crashAt: 'after-key-update' }, { t: 'delete-namespace', ns: 'ns-a' }],
  },
  {
    name: 'a key renamed before status records it is lost when spec.secret.name changes',
    history: [
      { t: 'create-key', slot: 0, spec: { ...orgKey, ownSecretName: true } },
      { t: 'reconcile', pick: 0, crashAt: 'after-key-update' },
      { t: 'change-key', slot: 0, change: { what: 'secret-name', own: false } },
    ],
  },
  {
    name: 'a key renamed before status records it, then its Secret\'s keyId edited by hand: the Secret still names it by its public key',
    history: [{ t: 'create-key', slot: 0, spec: { ...orgKey, access: [0] } }, { t: 'reconcile', pick: 0, crashAt: 'after-key-update' }, { t: 'edit-secret', slot: 0, edit: 'key-id' }],
  },
  {
    name: 'a DELETE racing the finalizer (kubernetes#77988), then a crash after the Secret write: only the tag names the key, and the tag janitor deletes it',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'delete-key-racing', slot: 0 }, { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' }],
  },
  {
    name: 'a key renamed before status records it, then its Secret\'s pair and keyId edited by hand: its key-id annotation still names it',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'reconcile', pick: 0, crashAt: 'after-key-update' }, { t: 'edit-secret', slot: 0, edit: 'pair' }, { t: 'edit-secret', slot: 0, edit: 'key-id' }],
  },
  {
    name: 'the sweep keeps the key the Secret names without recording it, and the Secret goes',
    history: [
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' },
      { t: 'reconcile', pick: 0, crashAt: 'after-status-write' },
      { t: 'delete-secret', slot: 0 },
    ],
  },
  {
    name: 'a key kept by the sweep becomes the grace key still carrying the pending tag (schedule)',
    history: [{ t: 'create-key', slot: 0, spec: rotating }, { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' }, { t: 'time', advance: '2h1m' }],
  },
  {
    name: 'a key kept by the sweep becomes the grace key still carrying the pending tag (on request)',
    history: [{ t: 'create-key', slot: 0, spec: rotating }, { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' }, { t: 'rotate-now', slot: 0 }],
  },
  {
    name: 'the sweep of an interrupted rotation deletes the grace key (still tagged) before its grace period ends',
    history: [
      { t: 'create-key', slot: 0, spec: rotating },
      { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' },
      { t: 'time', advance: '2h1m' },
      { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' },
    ],
  },
  {
    name: 'a binding deleted before it got its finalizer leaves the project roles a new key was given for it',
    history: [
      { t: 'create-key', slot: 1, spec: orgKey },
      { t: 'create-binding', slot: 0, key: 1, project: 0, roles: [0] },
      { t: 'reconcile', pick: 1 },
      { t: 'delete-binding', slot: 0 },
    ],
  },
  {
    name: 'a Secret whose keyId is edited to name no key makes the operator forget the key status still records',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'drain', healthy: true }, { t: 'edit-secret', slot: 0, edit: 'key-id' }],
  },
  {
    name: 'a replacement after an edited pair, interrupted after the create',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'drain', healthy: true }, { t: 'edit-secret', slot: 0, edit: 'pair' }, { t: 'reconcile', pick: 0, crashAt: 'after-create' }],
  },
  {
    name: 'a rotation on request, interrupted after the rename',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'drain', healthy: true }, { t: 'rotate-now', slot: 0 }, { t: 'reconcile', pick: 0, crashAt: 'after-key-update' }],
  },
  {
    name: 'a Secret whose keyId and pair are edited, then a crash at the start of the replacement',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'drain', healthy: false }, { t: 'edit-secret', slot: 0, edit: 'pair' }, { t: 'edit-secret', slot: 0, edit: 'key-id' }],
  },
  {
    name: 'a Secret whose keyId is edited, then a crash at the first step of the replacement',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'drain', healthy: false }, { t: 'edit-secret', slot: 0, edit: 'key-id' }, { t: 'reconcile', pick: 0, crashAt: 1 }],
  },
  {
    name: 'a key still tagged after a crash is rotated on request (the grace key must not keep the tag)',
    history: [{ t: 'create-key', slot: 0, spec: rotating }, { t: 'reconcile', pick: 0, crashAt: 7 }, { t: 'rotate-now', slot: 0 }],
  },
  {
    name: 'a Retain key deleted while its replacement is interrupted after the Secret write keeps the key in use',
    history: [
      { t: 'create-key', slot: 0, spec: { ...orgKey, retain: true } },
      { t: 'drain', healthy: false },
      { t: 'edit-secret', slot: 0, edit: 'pair' },
      { t: 'reconcile', pick: 0, crashAt: 7 },
      { t: 'delete-key', slot: 0 },
    ],
  },
  {
    name: 'an adoption interrupted after the rename, then the resource deleted, leaves the key made by hand changed and untracked',
    history: [
      { t: 'adopt-key', slot: 0, spec: orgKey, how: 'pair', target: 0, rotate: false },
      { t: 'reconcile', pick: 0, crashAt: 'after-key-update' },
      { t: 'delete-key', slot: 0 },
    ],
  },
  {
    name: 'an adoption interrupted between its Secret and status writes, then Secret and resource deleted, leaves the key made by hand as it was',
    history: [
      { t: 'adopt-key', slot: 0, spec: orgKey, how: 'pair', target: 0, rotate: false },
      { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' },
      { t: 'delete-secret', slot: 0 },
      { t: 'delete-key', slot: 0 },
    ],
  },
  {
    name: 'a rotation on request interrupted after the Secret write, then after the sweep recorded the new key: Ready while it still carries the tag',
    history: [
      { t: 'create-key', slot: 0, spec: { ...orgKey, rotation: 'plain' } },
      { t: 'drain', healthy: true },
      { t: 'rotate-now', slot: 0 },
      { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' },
      { t: 'reconcile', pick: 0, crashAt: 'after-status-write' },
    ],
  },
  {
    name: 'a DELETE racing the first write of the finalizer (kubernetes#77988) removes the resource after its create was sent',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'delete-key-racing', slot: 0 }, { t: 'reconcile', pick: 0 }],
  },
  {
    name: 'a key a Retain project resource left behind, adopted again by an organization resource, keeps its project roles',
    history: [
      { t: 'create-key', slot: 1, spec: orgKey },
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'delete-key-racing', slot: 0 },
      { t: 'adopt-key', slot: 0, spec: { ...orgKey, retain: true, project: 0 }, how: 'pair', target: 0, rotate: false },
      { t: 'drain', healthy: false },
      { t: 'adopt-key', slot: 1, spec: orgKey, how: 'pair', target: 0, rotate: false },
      { t: 'delete-key-racing', slot: 1 },
    ],
  },
  {
    name: 'a project key a Retain resource left behind, adopted with its pair: the pair check used an organization endpoint the key may not read (401, read as a wrong pair)',
    history: adoptLeftProjectKey(false),
  },
  {
    name: 'a project key a Retain resource left behind, adopted with rotate: true where allowed: the new key inherits its project roles',
    history: adoptLeftProjectKey(true, 3),
  },
  {
    name: 'a project key a Retain resource left behind, adopted with rotate: true where it is not allowed: refused, the key untouched',
    history: adoptLeftProjectKey(true, 0),
  },
  {
    name: 'a replacement after an edited pair, interrupted after the rename: the old key, left out of the record, is never deleted',
    history: [{ t: 'create-key', slot: 0, spec: orgKey }, { t: 'drain', healthy: true }, { t: 'edit-secret', slot: 0, edit: 'pair' }, { t: 'reconcile', pick: 0, crashAt: 'after-key-update' }],
  },
  {
    name: 'an adoption interrupted after its Secret write, before status records the key: the Secret written again, not created',
    history: [{ t: 'adopt-key', slot: 0, spec: orgKey, how: 'pair', target: 0, rotate: false }, { t: 'reconcile', pick: 0, crashAt: 'after-secret-write' }],
  },
  {
    name: 'a forged mark naming the namespace\'s own connection, then the namespace deleted (with that connection\'s Secret): the deletion completes',
    history: [
      { t: 'create-key', slot: 2, spec: orgKey },
      { t: 'drain', healthy: false },
      { t: 'tamper', slot: 0, how: 'mark-forge', victim: 0, other: true },
      { t: 'delete-namespace', ns: 'ns-b' },
    ],
  },
  {
    name: 'a key recorded and interrupted before its rename, then a spec the policy refuses: the key still loses its tag',
    history: [
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'reconcile', pick: 0, crashAt: 'after-status-write' },
      { t: 'change-key', slot: 0, change: { what: 'roles-denied' } },
    ],
  },
  {
    name: 'a namespace deleted with a key made through its own OpsManagerConnection (the connection goes first)',
    history: [
      { t: 'create-key', slot: 2, spec: orgKey },
      { t: 'change-key', slot: 2, change: { what: 'connection', own: true } },
      { t: 'drain', healthy: true },
      { t: 'delete-namespace', ns: 'ns-b' },
    ],
  },
  {
    name: 'rotate: true through a namespace\'s own connection aimed at the default connection\'s credential',
    history: [
      { t: 'create-key', slot: 0, spec: orgKey },
      { t: 'delete-key', slot: 0 },
      { t: 'adopt-key', slot: 0, spec: orgKey, how: 'victim', target: 2, rotate: true },
      { t: 'change-key', slot: 0, change: { what: 'connection', own: true } },
    ],
  },
  ...ATTACKS,
];
