import { ANNOTATION_CREATE_ID, ANNOTATION_CREATE_PENDING, ANNOTATION_KEY_ID, ANNOTATION_ROTATE, type OpsManagerApiKey } from '../../api/types.ts';
import { isProtected, pendingTag, secretName } from './secret-builder.ts';
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
 * The key an open create published before it was interrupted: the Secret was written by that
 * create (it carries the mark's id), or, written by a version before that annotation, names a
 * key still carrying the tag (such a version renamed a key only once status recorded it).
 */
export function publishedNewKey(g: Gathered): string | undefined {
  const mark = openMark(g.obj);
  const inSecret = secretKeyId(g);
  if (!mark || inSecret === undefined || g.secret.state !== 'ours') return undefined;
  if (secretCreateId(g) === mark.id) return createdKeyOf(g, inSecret);
  const tagged = g.pending.state === 'read' && g.pending.keyIds.includes(inSecret);
  return tagged && secretCreateId(g) === undefined ? inSecret : undefined;
}

/**
 * Which key the open create's Secret names, should a hand have edited it since: the key holding
 * its public key (its pair intact), else the first of its annotation and its data that names a
 * key tagged for this resource or described as its spec says, else what its data says.
 */
function createdKeyOf(g: Gathered, inSecret: string): string {
  if (g.pending.state !== 'read') return inSecret;
  if (g.pending.holder !== undefined) return g.pending.holder;
  const made = new Set([...g.pending.keyIds, ...(g.pending.named ?? [])]);
  const annotated = g.secret.state === 'ours' ? g.secret.raw.metadata?.annotations?.[ANNOTATION_KEY_ID] : undefined;
  return [annotated, inSecret].find((id): id is string => id !== undefined && made.has(id)) ?? inSecret;
}

/** The id of the create whose key the Secret holds (ANNOTATION_CREATE_ID), if it says. */
export function secretCreateId(g: Gathered): string | undefined {
  return g.secret.state === 'ours' ? g.secret.raw.metadata?.annotations?.[ANNOTATION_CREATE_ID] : undefined;
}

/** Our Secret carries the operator's finalizer and is being deleted: it waits for a ReleaseSecret. */
export function secretAwaitingRelease(g: Gathered): boolean {
  return g.secret.state === 'ours' && g.secret.raw.metadata?.deletionTimestamp !== undefined && secretProtected(g);
}

export function secretProtected(g: Gathered): boolean {
  return g.secret.state === 'ours' && isProtected(g.secret.raw.metadata);
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
  /** The Secret the create writes: until status records the key, it is the key's record, whatever spec.secret.name says since. */
  secret?: string;
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

/** The Secret a reconcile reads: while a create is open, the one it writes, else the spec's. */
export function secretInView(obj: OpsManagerApiKey): string {
  return openMark(obj)?.secret ?? secretName(obj);
}
