import { parsePendingTag } from './pending-tag.ts';

/**
 * The janitor's decision (the only place it decides; janitor.ts gathers and acts). A tagged
 * key is deleted only on proof that its resource does not exist, gathered in this order:
 *
 * 1. the key carries the full tag (`ns=` and `cluster=`; the old form names neither and is left
 *    to the sweep of its resource), for this cluster and a namespace this operator handles;
 * 2. it was seen tagged in an earlier list at least `minAgeMs` ago (a create in flight is never
 *    judged, and neither is a key seen once);
 * 3. no resource recorded in the cache tracks it (status.keyId, previousKeyId: a description
 *    set by hand to look like a tag does not make a tracked key an orphan);
 * 4. a live list of that namespace (from the API server, not the cache) holds no object with
 *    its uid, nor one that tracks it (a uid is never reused);
 * 5. read again from Ops Manager after that list, it still carries the same tag: once the
 *    resource is gone nothing renames its keys, so a key renamed meanwhile (a Retain resource's
 *    finalizer names its kept key before it lets the resource go) is not touched.
 */
export interface JanitorInput {
  now: number;
  /** This operator's cluster identity (cluster-identity.ts). */
  cluster: string;
  /** Namespaces this operator handles; empty: all. */
  namespaces: readonly string[];
  minAgeMs: number;
  /** The organization's keys, as the list just read shows them. */
  keys: ReadonlyArray<{ id: string; desc: string }>;
  /** Key id -> when it was first seen tagged, in an earlier list (tagSightings). */
  seen: ReadonlyMap<string, number>;
  /** Key ids recorded by any resource in the cache. */
  tracked: ReadonlySet<string>;
  /** Namespace -> its OpsManagerApiKeys, listed live in this pass: their uids and the key ids they record. */
  live: ReadonlyMap<string, { uids: ReadonlySet<string>; keyIds: ReadonlySet<string> }>;
  /** Key id -> its description read again after the live lists (undefined: gone); only once asked for. */
  confirmed: ReadonlyMap<string, string | undefined>;
}

export interface Orphan {
  keyId: string;
  uid: string;
  namespace: string;
}

export type JanitorDecision =
  | { kind: 'list-live'; namespaces: string[] }
  | { kind: 'confirm'; keyIds: string[] }
  | { kind: 'act'; orphans: Orphan[] };

/** What the janitor remembers of an organization after a list: its keys with a full tag, and since when. Pure. */
export function tagSightings(keys: JanitorInput['keys'], seen: ReadonlyMap<string, number>, now: number): Map<string, number> {
  const next = new Map<string, number>();
  for (const key of keys) if (parsePendingTag(key.desc)?.where) next.set(key.id, seen.get(key.id) ?? now);
  return next;
}

/** Pure. */
export function decideJanitor(i: JanitorInput): JanitorDecision {
  const suspects: Orphan[] = [];
  for (const key of i.keys) {
    const tag = parsePendingTag(key.desc);
    if (!tag?.where) continue;
    const { namespace, cluster } = tag.where;
    if (cluster !== i.cluster || !handles(i.namespaces, namespace)) continue;
    const first = i.seen.get(key.id);
    if (first === undefined || i.now - first < i.minAgeMs || i.tracked.has(key.id)) continue;
    suspects.push({ keyId: key.id, uid: tag.uid, namespace });
  }
  const unlisted = [...new Set(suspects.map((s) => s.namespace).filter((ns) => !i.live.has(ns)))];
  if (unlisted.length > 0) return { kind: 'list-live', namespaces: unlisted.sort() };
  const absent = suspects.filter((s) => {
    const live = i.live.get(s.namespace);
    return live !== undefined && !live.uids.has(s.uid) && !live.keyIds.has(s.keyId);
  });
  const unconfirmed = absent.filter((s) => !i.confirmed.has(s.keyId)).map((s) => s.keyId);
  if (unconfirmed.length > 0) return { kind: 'confirm', keyIds: unconfirmed };
  const orphans = absent.filter((s) => {
    const desc = i.confirmed.get(s.keyId);
    return desc !== undefined && desc === i.keys.find((k) => k.id === s.keyId)?.desc;
  });
  return { kind: 'act', orphans };
}

function handles(namespaces: readonly string[], namespace: string): boolean {
  return namespaces.length === 0 || namespaces.includes(namespace);
}

/** The Event's message for one deleted orphan. */
export function orphanMessage(o: Orphan): string {
  return `deleted key ${o.keyId}, made for OpsManagerApiKey uid ${o.uid} in namespace ${o.namespace}, which no longer exists: it was removed while its key was being created and the operator was restarted before it could clean up (kubernetes/kubernetes#77988)`;
}
