/**
 * The description a key carries between its create and the moment status records it (see
 * docs/crash-safety.md). Two forms:
 *
 * - `omkeys-pending:<uid>`, written before the operator knew its cluster: found only by the
 *   sweep of the resource with that uid.
 * - `omkeys-pending:<uid> ns=<namespace> cluster=<cluster id>`: also what the janitor needs to
 *   prove the resource gone (decide-janitor.ts): where to look (the namespace, a namespace
 *   this operator may not handle) and in which cluster (another cluster may have the same
 *   namespaces). At most 15 + 36 + 4 + 63 + 9 + 64 = 191 characters: Ops Manager keeps 250.
 */
export const PENDING_PREFIX = 'omkeys-pending:';

export interface PendingTag {
  uid: string;
  /** Both or neither: the old form has neither. */
  where?: { namespace: string; cluster: string };
}

const UID = '[A-Za-z0-9-]{1,64}';
const FORM = new RegExp(`^${PENDING_PREFIX}(${UID})(?: ns=([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?) cluster=(${UID}))?$`);

export function formatPendingTag(tag: PendingTag): string {
  return tag.where ? `${PENDING_PREFIX}${tag.uid} ns=${tag.where.namespace} cluster=${tag.where.cluster}` : `${PENDING_PREFIX}${tag.uid}`;
}

/** The tag a description is, or undefined: anything else, even with the prefix, is no tag of ours. */
export function parsePendingTag(desc: string): PendingTag | undefined {
  const m = FORM.exec(desc);
  if (!m?.[1]) return undefined;
  const namespace = m[2];
  const cluster = m[4];
  return namespace !== undefined && cluster !== undefined ? { uid: m[1], where: { namespace, cluster } } : { uid: m[1] };
}

/** Whether `desc` is the pending tag of the resource with this uid, in either form. */
export function isPendingTagOf(desc: string, uid: string | undefined): boolean {
  return uid !== undefined && uid !== '' && parsePendingTag(desc)?.uid === uid;
}
