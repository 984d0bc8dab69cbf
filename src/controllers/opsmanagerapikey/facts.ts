import { ANNOTATION_CREATE_PENDING, ANNOTATION_ROTATE, LEGACY_SECRET_FINALIZER, type OpsManagerApiKey } from '../../api/types.ts';
import { pendingTag } from './secret-builder.ts';
import { parseDuration } from '../shared/duration.ts';
import { refName } from '../shared/connection-catalog.ts';
import type { Gathered } from './plan.ts';

// Facts about a Gathered value that several decisions share. Pure.

/**
 * Keys a deletion removes from Ops Manager: every key carrying this resource's tag, status's
 * grace-period key, and its current key unless Retain. Only status and the tag name them.
 */
export function finalizeKeyIds(g: Gathered): string[] {
  const tagged = g.pending.state === 'read' ? g.pending.keyIds : [];
  const current = keyInUse(g);
  const ids = new Set<string>(tagged);
  for (const id of [g.obj.status?.keyId, g.obj.status?.previousKeyId]) if (id && id !== current) ids.add(id);
  if (current && g.obj.spec.deletionPolicy !== 'Retain') ids.add(current);
  if (current && g.obj.spec.deletionPolicy === 'Retain') ids.delete(current);
  return [...ids];
}

/**
 * The key whose pair workloads use, as a deletion sees it: while a create interrupted after its
 * Secret write is open, the new key (still tagged, holding the Secret's public key); else the
 * one status records.
 */
export function keyInUse(g: Gathered): string | undefined {
  return heldNewKey(g) ?? currentKeyId(g);
}

/**
 * The key an open create published before it was interrupted: among the keys tagged with this
 * resource's uid (only the operator made those, for this resource), the one holding the public
 * key of the Secret's intact pair. The Secret can choose among this resource's own keys only.
 */
export function heldNewKey(g: Gathered): string | undefined {
  if (!openMark(g.obj) || g.pending.state !== 'read') return undefined;
  return g.pending.holder;
}

/** The key this resource holds: the one status records. The Secret is output, never a record. */
export function currentKeyId(g: Gathered): string | undefined {
  return g.obj.status?.keyId;
}

/** Our Secret still carries the finalizer an earlier version put on it: it is taken off. */
export function secretHasLegacyFinalizer(g: Gathered): boolean {
  return g.secret.state === 'ours' && (g.secret.raw.metadata?.finalizers ?? []).includes(LEGACY_SECRET_FINALIZER);
}

/** The connection the spec asks for: `<Kind>/<name>` from spec.connectionRef, or `default`. */
export function specConnection(obj: OpsManagerApiKey): string {
  return refName(obj.spec.connectionRef);
}

/**
 * The connection status's keys were made through (a status written before it was recorded:
 * the spec's). They are only ever acted on through it.
 */
export function recordedConnection(obj: OpsManagerApiKey): string {
  return obj.status?.connection ?? specConnection(obj);
}

/**
 * Status names a key (current or grace) made through another connection than the spec's now
 * (names as gather made them concrete: `default` is the default connection of the moment).
 */
export function connectionChanged(g: Pick<Gathered, 'obj' | 'connections'>): boolean {
  const st = g.obj.status;
  if (!st?.keyId && !st?.previousKeyId) return false;
  return g.connections.recorded !== g.connections.spec;
}

/**
 * The connection a reconcile reads and writes through: an open create's (its tagged keys are
 * there), else the one status's keys were made through, else the spec's.
 */
export function workingConnection(obj: OpsManagerApiKey): string {
  const st = obj.status;
  const usual = st?.keyId || st?.previousKeyId ? recordedConnection(obj) : specConnection(obj);
  // The mark is a hint a namespace editor can forge: its connection is used only when it is one
  // the spec or status names, so that a forged one can neither point the sweep elsewhere nor
  // make a deletion wait for ever on a connection that does not exist.
  const marked = openMark(obj)?.connection;
  return marked !== undefined && (marked === specConnection(obj) || marked === recordedConnection(obj)) ? marked : usual;
}

export function rotationDue(g: Gathered): boolean {
  const every = g.obj.spec.rotation?.every;
  const since = g.obj.status?.rotatedAt;
  if (!every || !since) return false;
  return Date.parse(since) + parseDuration(every) <= g.now.getTime();
}


/** The omkeys.io/rotate value not handled yet, if any: each new value rotates the key once. */
export function rotationRequest(g: Gathered): string | undefined {
  const value = g.obj.metadata.annotations?.[ANNOTATION_ROTATE];
  return value !== undefined && value !== '' && value !== g.obj.status?.lastRotationRequest ? value : undefined;
}

/** Taking over an existing key is under way: asked for, and status records no key yet. */
export function adopting(g: Gathered): boolean {
  return g.obj.spec.adopt !== undefined && !g.obj.status?.keyId;
}

/** A create about to be sent to Ops Manager, as the annotation omkeys.io/create-pending records it. */
export interface CreateMark {
  /** Unique per create of this resource. */
  id: string;
  /** The description the key carries until its pair is safe (see pendingTag). */
  tag: string;
  startedAt: string;
  /** The omkeys.io/rotate value the create answers. */
  rotationRequest?: string;
  /** The connection the key is created through (connectionName): its tagged keys are looked for there. */
  connection?: string;
}

/** The annotation's value for a mark; status.createSettled holds the same string once it is settled. */
export function markValue(mark: CreateMark): string {
  return JSON.stringify(mark);
}

/**
 * The create-pending mark, if one is open: written, and not settled in status. Settled means
 * status.createSettled holds exactly the annotation's value, a comparison that tools without a
 * JSON parser (Argo CD's health scripts) can make too.
 */
export function openMark(obj: OpsManagerApiKey): (CreateMark & { value: string }) | undefined {
  const raw = obj.metadata.annotations?.[ANNOTATION_CREATE_PENDING];
  if (!raw || raw === obj.status?.createSettled) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  // Mangled by hand: still a create that may have happened, so it is swept like any other.
  const mark: Partial<CreateMark> = typeof parsed === 'object' && parsed !== null ? parsed : { id: raw };
  // Only the fields this version reads, and of the right type: the rest of a forged value is ignored.
  const connection = typeof mark.connection === 'string' ? { connection: mark.connection } : {};
  const request = typeof mark.rotationRequest === 'string' ? { rotationRequest: mark.rotationRequest } : {};
  const startedAt = typeof mark.startedAt === 'string' ? mark.startedAt : '';
  return { id: typeof mark.id === 'string' ? mark.id : raw, startedAt, ...request, ...connection, tag: pendingTag(obj), value: raw };
}
