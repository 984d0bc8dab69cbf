import { ANNOTATION_CREATE_PENDING, ANNOTATION_ROTATE, type OpsManagerApiKey } from '../../api/types.ts';
import { pendingTag } from './secret-builder.ts';
import { parseDuration } from '../shared/duration.ts';
import type { Gathered } from './plan.ts';

// Facts about a Gathered value that several decisions share. Pure.

/** Keys a deletion removes from Ops Manager: its own (unless Retain), a grace-period key, keys of a lost create. */
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
 * The key whose pair workloads use, as a deletion sees it: while a create interrupted after
 * its Secret write is open, the new key (still tagged, named by the Secret); else the current one.
 */
export function keyInUse(g: Gathered): string | undefined {
  return publishedNewKey(g) ?? currentKeyId(g);
}

/**
 * The key an open create published before it was interrupted: the Secret names a key still
 * carrying the tag (a key loses it only after status records it, which settles the mark).
 */
export function publishedNewKey(g: Gathered): string | undefined {
  const inSecret = secretKeyId(g);
  const tagged = g.pending.state === 'read' && inSecret !== undefined && g.pending.keyIds.includes(inSecret);
  return tagged && openMark(g.obj) !== undefined ? inSecret : undefined;
}

/**
 * The key this resource holds: the one status records (outside an interrupted create, which
 * the sweep settles first, status and Secret agree unless the Secret was edited by hand), else
 * the one its Secret names.
 */
export function currentKeyId(g: Gathered): string | undefined {
  return g.obj.status?.keyId ?? secretKeyId(g);
}

export function secretKeyId(g: Gathered): string | undefined {
  return g.secret.state === 'ours' ? g.secret.reading.keyId : undefined;
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

/** Taking over an existing key is under way: asked for, and no key of ours is recorded or in a Secret yet. */
export function adopting(g: Gathered): boolean {
  return g.obj.spec.adopt !== undefined && !g.obj.status?.keyId && g.secret.state !== 'ours';
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
  let mark: CreateMark;
  try {
    mark = JSON.parse(raw) as CreateMark;
  } catch {
    // Mangled by hand: still a create that may have happened, so it is swept like any other.
    mark = { id: raw, tag: pendingTag(obj), startedAt: '' };
  }
  return { ...mark, tag: pendingTag(obj), value: raw };
}
