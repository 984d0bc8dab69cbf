import type { V1ConfigMap } from '@kubernetes/client-node';
import type { OpsManagerApiKeyStatus } from '../../api/types.ts';
import { buildConfigMap, configMapFingerprint, configMapMatches } from './config-map-builder.ts';
import { sameSet } from '../shared/same-json.ts';
import { canonicalCidr, diffAccessList, wantedCidrs } from './access-list.ts';
import { keyDelete } from './decide-cleanup.ts';
import { currentKeyId } from './facts.ts';
import type { Gathered, Plan, Read, RemoteKey, Step } from './plan.ts';
import { buildSecret, desiredDescription, materialFromSecret, secretName } from './secret-builder.ts';
import { plannedCheckMs, readyStatus, statusChanged } from './status.ts';

/**
 * Makes an existing key match the spec: roles and description, access list, the Secret's
 * rendering, and the retirement of a previous key whose grace period is over; then says so in
 * status. When the spec did not change since the last success, a difference is a hand edit in
 * Ops Manager (drift): it is put back and a Warning Event says so.
 */
export function convergePlan(g: Gathered): Plan {
  if (g.remote.state !== 'present') throw new Error('internal: converge needs the remote key');
  return convergeTo(g, g.remote.key, { beforeStatus: [...secretRepair(g), ...configMapSync(g)], base: { ...g.obj.status } });
}

/** The ConfigMap for the MongoDB operator (spec.opsManagerConfigMap), written when it is missing or differs. */
export function configMapSync(g: Gathered): Step[] {
  const desired = desiredConfigMap(g);
  if (!desired) return [];
  if (g.configMap.state === 'ours' && configMapMatches(g.configMap.raw, desired)) return [];
  const current = g.configMap.state === 'ours' ? g.configMap.raw : undefined;
  return [{ kind: 'ConfigMapWrite', ...(current ? { current } : {}), desired }];
}

export function desiredConfigMap(g: Gathered): V1ConfigMap | undefined {
  const spec = g.obj.spec.opsManagerConfigMap;
  if (!spec || g.connection.state !== 'read') return undefined;
  return buildConfigMap(g.obj, spec.name, { baseUrl: g.connection.baseUrl, orgId: g.connection.orgId, projectName: spec.projectName ?? g.projectName ?? '' });
}

/**
 * The steps that make `remote` equal to the spec, then `beforeStatus` (the Secret's writes),
 * the retirement of a previous key that is due, and the status from `base`. Shared with adoption.
 */
export function convergeTo(g: Gathered, remote: RemoteKey, opts: { beforeStatus: Step[]; base: OpsManagerApiKeyStatus; name?: Plan['name'] }): Plan {
  const { obj, now } = g;
  if (g.connection.state !== 'read') throw new Error('internal: converge needs the connection');
  const key: RemoteKey = { ...remote };
  const orgId = g.connection.orgId;
  const steps: Step[] = [];
  const changes: string[] = [];

  const rolesDiffer = !sameSet(key.roles, obj.spec.roles);
  const desc = desiredDescription(obj);
  if (rolesDiffer) changes.push(`roles ${key.roles.join(',') || '(none)'} -> ${[...obj.spec.roles].join(',')}`);
  if (rolesDiffer && obj.spec.projectId) {
    steps.push({ kind: 'ProjectAssign', projectId: obj.spec.projectId, keyId: key.id, roles: [...obj.spec.roles], tolerateRefusal: false });
  }
  const patchRoles = rolesDiffer && !obj.spec.projectId;
  if (key.desc !== desc) changes.push('description');
  if (patchRoles || key.desc !== desc) {
    steps.push({ kind: 'KeyUpdate', orgId, keyId: key.id, ...(key.desc !== desc ? { desc } : {}), ...(patchRoles ? { roles: [...obj.spec.roles] } : {}) });
  }
  key.roles = [...obj.spec.roles].sort();
  key.desc = desc;

  const diff = diffAccessList(obj.spec.accessList, key.accessList);
  if (diff.add.length > 0) {
    changes.push(`access list +${diff.add.map((e) => ('ipAddress' in e ? e.ipAddress : e.cidrBlock)).join(',')}`);
    steps.push({ kind: 'AccessListAdd', orgId, keyId: key.id, entries: diff.add });
  }
  for (const cidr of diff.remove) {
    changes.push(`access list -${cidr}`);
    steps.push({ kind: 'AccessListRemove', orgId, keyId: key.id, cidr });
  }
  key.accessList = wantedCidrs(obj.spec.accessList).map(canonicalCidr);
  for (const projectId of unboundProjects(g, key, opts.base)) {
    changes.push(`taken out of project ${projectId} (no ProjectKeyBinding gives it roles there)`);
    steps.push({ kind: 'ProjectUnassign', projectId, keyId: key.id });
  }
  if (changes.length > 0) steps.push(changeEvent(g, changes));

  steps.push(...opts.beforeStatus);
  const base = opts.base;
  steps.push(...retireDue(g, base));
  const status = readyStatus(obj, key, secretName(obj), now, base);
  if (statusChanged(obj, status)) steps.push({ kind: 'StatusWrite', status });
  const requeue = plannedCheckMs(status, now);
  const cm = desiredConfigMap(g);
  const then = {
    kind: 'done' as const,
    synced: true,
    bindings: bindingsFingerprint(g),
    ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}),
    ...(cm ? { configMap: configMapFingerprint(cm) } : {}),
  };
  return { name: opts.name ?? 'Converge', steps, then };
}

/**
 * Projects where the key holds roles that nothing asks for any more: no binding of it (live or
 * being deleted: its finalizer takes its own roles away) and no adoption that kept them. A key's
 * project roles so converge to its bindings whichever of the two controllers ran last (a create
 * that gave a binding's roles to a new key after that binding's finalizer had run, say).
 */
function unboundProjects(g: Gathered, remote: RemoteKey, base: OpsManagerApiKeyStatus): string[] {
  const wanted = new Set([...g.bindings.map((b) => b.spec.projectId), ...(base.keptProjectIds ?? [])]);
  return (remote.projectRoles ?? []).map((p) => p.projectId).filter((id) => !wanted.has(id));
}

/** The projects of the key's bindings, as one string: a change of them means its roles must be looked at again. */
export function bindingsFingerprint(g: Gathered): string {
  return [...new Set(g.bindings.map((b) => b.spec.projectId))].sort().join(',');
}

/**
 * Ops Manager was checked moments ago and nothing of the resource changed: only the Secret is
 * compared with what it must hold, so a hand edit of its labels or template keys is put back
 * at once. Not a sync of its own: the next reconcile after the window reads Ops Manager again.
 */
export function inSyncPlan(g: Gathered): Plan {
  const requeue = plannedCheckMs(g.obj.status ?? {}, g.now);
  return { name: 'InSync', steps: secretRepair(g), then: { kind: 'done', synced: false, ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) } };
}

/** A Secret to re-render must be read with its data first (the cache holds only its metadata). */
export function repairReads(g: Gathered): Read[] {
  return g.secret.state === 'ours' && !g.secret.matchesDesired && !g.secret.complete ? ['secret'] : [];
}

function secretRepair(g: Gathered): Step[] {
  if (g.secret.state !== 'ours' || g.secret.matchesDesired) return [];
  if (!g.secret.complete) throw new Error('internal: re-rendering a Secret needs its data read (repairReads)');
  const write: Step = { kind: 'SecretWrite', current: g.secret.raw, desired: buildSecret(g.obj, materialFromSecret(g.secret.raw)) };
  // An upgrade adds the digest annotations to every older Secret once: one write each, and no
  // Event, which at 10,000 keys would be 10,000 more writes saying nothing a user changed.
  if (g.secret.onlyDigestsDiffer) return [write];
  return [
    write,
    { kind: 'Event', type: 'Normal', reason: 'SecretRepaired', message: `Secret ${secretName(g.obj)} re-rendered from the spec (labels, annotations or template keys differed)` },
  ];
}

/** The previous key goes once its grace period is over; `base` loses it then. */
function retireDue(g: Gathered, base: OpsManagerApiKeyStatus): Step[] {
  const prev = g.obj.status?.previousKeyId;
  if (!prev) return [];
  const revokeAt = g.obj.status?.previousKeyRevokeAt ? Date.parse(g.obj.status.previousKeyRevokeAt) : 0;
  if (prev !== currentKeyId(g) && revokeAt > g.now.getTime()) return [];
  delete base.previousKeyId;
  delete base.previousKeyRevokeAt;
  // Status naming the "previous" key as its current one: nothing to delete.
  if (prev === currentKeyId(g)) return [];
  return [keyDelete(g, prev), { kind: 'Event', type: 'Normal', reason: 'PreviousKeyRevoked', message: `previous key ${prev} deleted after its grace period` }];
}

function changeEvent(g: Gathered, changes: string[]): Step {
  // Drift: Ops Manager differs from a spec this generation was Ready with (a failure or a stall observes it too).
  const ready = g.obj.status?.conditions?.find((c) => c.type === 'Ready');
  const drift = ready?.status === 'True' && ready.observedGeneration === g.obj.metadata.generation;
  return drift
    ? { kind: 'Event', type: 'Warning', reason: 'DriftCorrected', message: `changed by hand in Ops Manager, put back: ${changes.join('; ')}` }
    : { kind: 'Event', type: 'Normal', reason: 'Updated', message: `Ops Manager key updated: ${changes.join('; ')}` };
}
