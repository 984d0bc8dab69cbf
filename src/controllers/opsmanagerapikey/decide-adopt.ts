import { Reason, formatTime as iso } from '../../api/conditions.ts';
import { blockedPlan } from './decide-cleanup.ts';
import { configMapSync, convergeTo } from './decide-converge.ts';
import { provisionPlan } from './decide-provision.ts';
import { adoptionVerdict } from '../shared/policy.ts';
import type { Gathered, Plan, RemoteKey, Step } from './plan.ts';
import { buildSecret, secretName } from './secret-builder.ts';
import { judged } from './status.ts';

/**
 * Taking over a key that already exists (spec.adopt). Nothing is changed in Ops Manager until
 * the key is known to be this organization's, tracked by no other resource, and (with
 * privateKeySecretRef) its pair authenticates; then it is made equal to the spec and its pair
 * written to the managed Secret. With `rotate: true` (the private key is lost) it is replaced at
 * once by a new key that keeps its project roles, and retired after the grace period.
 */
export function adoptPlan(g: Gathered): Plan {
  const spec = g.obj.spec.adopt;
  const orgId = g.connection.state === 'read' ? g.connection.orgId : '';
  if (!spec || g.adopt.state === 'unread') throw new Error('internal: adoption needs the adopted key read');
  if (g.adopt.state === 'absent') {
    const message = `key ${spec.keyId} to adopt was not found in organization ${orgId} (a key of another organization cannot be adopted through this one); nothing was changed`;
    return blockedPlan(g, 'KeyProvisioned', Reason.AdoptionKeyNotFound, message, false);
  }
  if (g.adoptRivals.length > 0) {
    const message = `key ${spec.keyId} is already managed by OpsManagerApiKey ${g.adoptRivals.join(', ')}; nothing was changed`;
    return blockedPlan(g, 'KeyProvisioned', Reason.AdoptionConflict, message, false);
  }
  const refusal = adoptionRefusal(g, g.adopt.key, g.adopt.projectRoles);
  if (refusal) return blockedPlan(g, 'KeyProvisioned', refusal.reason, `${refusal.message}; nothing was changed`, true);
  if (spec.rotate) return provisionPlan(g, 'Adopted');
  const ref = spec.privateKeySecretRef;
  const pair = g.adopt.pair;
  if (!ref || !pair || pair.state !== 'checked') {
    const what = pair?.state === 'keyMissing' ? `has no key ${ref?.key ?? ''}` : 'was not found';
    return blockedPlan(g, 'KeyProvisioned', Reason.AdoptionSecretInvalid, `Secret ${ref?.name ?? ''} (adopt.privateKeySecretRef) ${what}; nothing was changed`, false);
  }
  const key = g.adopt.key;
  if (!pair.valid) {
    const message = `the private key in Secret ${ref.name} (key ${ref.key}) does not authenticate as key ${key.id} (public key ${key.publicKey}); nothing was changed`;
    return blockedPlan(g, 'KeyProvisioned', Reason.AdoptionPairInvalid, message, false);
  }
  const { spec: s } = g.obj;
  const baseUrl = g.connection.state === 'read' ? g.connection.baseUrl : '';
  const material = { keyId: key.id, publicKey: key.publicKey, privateKey: pair.privateKey, baseUrl, ...(s.orgId ? { orgId: s.orgId } : {}), ...(s.projectId ? { projectId: s.projectId } : {}) };
  // The takeover is recorded (Secret, then status) before anything changes in Ops Manager: a
  // crash in between must leave the key either untouched or tracked, never changed and forgotten.
  const connection = g.connection.state === 'read' ? { connection: g.connection.name } : {};
  const kept = g.adopt.projectRoles.map((p) => p.projectId).filter((id) => id !== g.obj.spec.projectId);
  const keptIds = kept.length > 0 ? { keptProjectIds: kept } : {};
  const taking = `adopting key ${key.publicKey} (${key.id}): its pair goes to Secret ${secretName(g.obj)}, then the key is made equal to the spec`;
  const fields = { ...g.obj.status, keyId: key.id, publicKey: key.publicKey, secretName: secretName(g.obj), rotatedAt: iso(g.now), ...connection, ...keptIds };
  const recorded = judged(g.obj, fields, { kind: 'working', reason: Reason.Progressing, message: taking }, g.now);
  const takeover: Step[] = [
    // A Secret of ours already there (a crash after this write, or one forged) is rewritten: status is not written yet.
    { kind: 'SecretWrite', ...(g.secret.state === 'ours' ? { current: g.secret.raw } : {}), desired: buildSecret(g.obj, material) },
    { kind: 'StatusWrite', status: recorded },
    { kind: 'Event', type: 'Normal', reason: 'KeyAdopted', message: `Ops Manager key ${key.publicKey} (${key.id}) adopted; its pair is now in Secret ${secretName(g.obj)}` },
  ];
  const converge = convergeTo({ ...g, obj: { ...g.obj, status: recorded } }, key, { beforeStatus: configMapSync(g), base: recorded, name: 'Adopt' });
  return { ...converge, steps: [...takeover, ...converge.steps] };
}

/**
 * Why this key may not be taken over here, if it may not: the credential of the connection
 * itself (AdoptionRefused); by the connection's policy (PolicyDenied): the form of adoption
 * (`rotate: true` proves nothing: key ids are not secret), and project roles the key would keep.
 */
function adoptionRefusal(g: Gathered, key: RemoteKey, projectRoles: ReadonlyArray<{ projectId: string; roles: string[] }>): { reason: string; message: string } | undefined {
  const ns = g.obj.metadata.namespace ?? '';
  const credential = g.adopt.state === 'read' && g.adopt.isCredential === true;
  if (credential || (g.connection.state === 'read' && key.publicKey === g.connection.publicKey)) {
    return { reason: Reason.AdoptionRefused, message: `key ${key.id} is the credential of an Ops Manager connection the operator uses; it is never adopted` };
  }
  const form = g.obj.spec.adopt?.rotate ? 'Rotate' : 'WithPrivateKey';
  const verdict = adoptionVerdict(g.access, ns, form, g.obj.spec, projectRoles);
  return verdict.allowed ? undefined : { reason: verdict.reason, message: verdict.message };
}
