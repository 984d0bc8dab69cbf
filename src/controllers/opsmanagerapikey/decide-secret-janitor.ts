import type { V1ObjectMeta } from '@kubernetes/client-node';
import { ANNOTATION_CONNECTION, ANNOTATION_DELETION_POLICY, ANNOTATION_KEY_ID, OPS_MANAGER_API_KEY_KIND, SECRET_FINALIZER } from '../../api/types.ts';
import { isProtected } from './secret-builder.ts';

/**
 * The Secret janitor's decision (the only place it decides; secret-janitor.ts gathers and
 * acts). A Secret carrying SECRET_FINALIZER is released by its resource's own reconcile; this
 * is for one whose resource is gone without that having happened: removed under the
 * kube-apiserver's delete/finalizer race (kubernetes/kubernetes#77988), or its finalizer taken
 * off by hand. The key the Secret names may then be recorded nowhere else (renamed, no tag).
 * Proof of absence, in this order: the Secret carries our finalizer and a controlling
 * OpsManagerApiKey owner; that owner (its uid) is not in the informer's cache; a live GET of it
 * finds no object or one of another uid (a uid is never reused); the Secret read live still
 * carries our finalizer. Then: its key deleted (not under Retain, nor when another cached
 * resource records it), an Event about the Secret, the finalizer released. Pure.
 */
export interface SecretJanitorInput {
  /** The Secret as the cache holds it (metadata only). */
  cached: { metadata?: V1ObjectMeta };
  /** Whether the controlling owner, by uid, is in the informer's cache of OpsManagerApiKeys. */
  ownerCached: boolean;
  /** The Secret that owner reads now (its open create's, else spec.secret.name's): another name left this one behind. */
  ownerSecret?: string;
  /** The live GET of the owner: not read yet, or whether it found no object of that uid. */
  owner: { state: 'unread' } | { state: 'read'; gone: boolean };
  /** The live read of the Secret (its metadata and the ids its data holds; never the pair). */
  live: { state: 'unread' } | { state: 'gone' } | { state: 'read'; metadata: V1ObjectMeta; data: SecretIds };
  /** The connection the annotation names, resolved, and the key's organization. */
  connection: { state: 'unread' } | { state: 'read'; orgId: string };
  /** Key ids some resource in the cache records (status.keyId, previousKeyId, spec.adopt.keyId). */
  tracked: ReadonlySet<string>;
  /** Key ids an earlier attempt on this Secret deleted (its release failed since): not deleted, nor counted, again. */
  deleted: ReadonlySet<string>;
}

/** The ids in the Secret's data. */
export interface SecretIds {
  keyId?: string;
  orgId?: string;
  projectId?: string;
}

export type SecretJanitorStep =
  /** `orUnassignFrom`: a project key whose connection may not delete organization keys is taken out of its project. */
  | { kind: 'KeyDelete'; orgId: string; keyId: string; orUnassignFrom?: string }
  | { kind: 'Event'; type: 'Normal' | 'Warning'; reason: string; message: string }
  | { kind: 'Release' };

export type SecretJanitorDecision =
  | { kind: 'read'; read: 'owner' | 'secret' | 'connection' }
  /** Nothing to do: `why` says for the log. */
  | { kind: 'leave'; why: string }
  | { kind: 'act'; steps: SecretJanitorStep[] }
  /** Only a person can tell what to do; the Secret stays until they release it (releaseByHand). */
  | { kind: 'blocked'; why: string };

/** The Secret's controlling OpsManagerApiKey, from its ownerReferences. */
export function controllingOwner(meta: V1ObjectMeta | undefined): { name: string; uid: string } | undefined {
  const ref = (meta?.ownerReferences ?? []).find((r) => r.controller === true && r.kind === OPS_MANAGER_API_KEY_KIND);
  return ref ? { name: ref.name, uid: ref.uid } : undefined;
}


/** The connection the Secret's key was made through: the annotation's Secret, or (undefined) the default. */
export function connectionRef(meta: V1ObjectMeta | undefined): { name: string } | undefined {
  const name = meta?.annotations?.[ANNOTATION_CONNECTION];
  return name ? { name } : undefined;
}

/** Pure. */
export function decideSecretJanitor(i: SecretJanitorInput): SecretJanitorDecision {
  if (i.live.state === 'gone') return { kind: 'leave', why: 'the Secret is gone' };
  const meta = i.live.state === 'read' ? i.live.metadata : (i.cached.metadata ?? {});
  if (!isProtected(meta)) return { kind: 'leave', why: 'the Secret does not carry our finalizer' };
  const owner = controllingOwner(meta);
  if (!owner) return { kind: 'leave', why: 'the Secret has no controlling OpsManagerApiKey' };
  // spec.secret.name changed: status names the key this one holds (only an open create's Secret,
  // which the owner reads, may be the sole record of its key), and nothing else would let it go.
  if (i.ownerCached && i.ownerSecret !== undefined && i.ownerSecret !== meta.name) return { kind: 'act', steps: [{ kind: 'Release' }] };
  if (i.ownerCached) return { kind: 'leave', why: 'its resource exists: its reconcile releases the Secret' };
  if (i.owner.state === 'unread') return { kind: 'read', read: 'owner' };
  if (!i.owner.gone) return { kind: 'leave', why: 'its resource exists (the cache lags): its reconcile releases the Secret' };
  if (i.live.state === 'unread') return { kind: 'read', read: 'secret' };
  const data = i.live.data;
  const annotated = meta.annotations?.[ANNOTATION_KEY_ID];
  if (annotated && data.keyId && annotated !== data.keyId) {
    return { kind: 'blocked', why: `the Secret names two keys (annotation ${ANNOTATION_KEY_ID} ${annotated}, data keyId ${data.keyId}): edited by hand; neither is deleted` };
  }
  const keyId = data.keyId ?? annotated;
  const release: SecretJanitorStep = { kind: 'Release' };
  const gone = `its OpsManagerApiKey ${owner.name} (uid ${owner.uid}) was deleted without its finalizer running (kubernetes/kubernetes#77988, or the finalizer removed by hand)`;
  if (!keyId) return { kind: 'act', steps: [release] };
  if (meta.annotations?.[ANNOTATION_DELETION_POLICY] === 'Retain') {
    return { kind: 'act', steps: [{ kind: 'Event', type: 'Normal', reason: 'KeyRetained', message: `deletionPolicy Retain: key ${keyId} stays in Ops Manager; ${gone}; the Secret is released` }, release] };
  }
  if (i.tracked.has(keyId)) {
    return { kind: 'act', steps: [{ kind: 'Event', type: 'Normal', reason: 'KeyRetained', message: `key ${keyId} is recorded by another OpsManagerApiKey and stays in Ops Manager; ${gone}; the Secret is released` }, release] };
  }
  if (i.deleted.has(keyId)) return { kind: 'act', steps: [release] };
  if (!data.orgId && !data.projectId) return { kind: 'blocked', why: `the Secret's data names neither orgId nor projectId: key ${keyId} cannot be deleted` };
  if (i.connection.state === 'unread') return { kind: 'read', read: 'connection' };
  return {
    kind: 'act',
    steps: [
      { kind: 'KeyDelete', orgId: i.connection.orgId, keyId, ...(data.projectId && !data.orgId ? { orUnassignFrom: data.projectId } : {}) },
      { kind: 'Event', type: 'Warning', reason: 'OrphanKeyDeleted', message: `deleted key ${keyId}, named by this Secret: ${gone}; the Secret is released` },
      release,
    ],
  };
}

/**
 * The command that releases the Secret by hand, keeping any other finalizer: a JSON patch
 * removing ours, tested first so that a list changed meanwhile fails instead of losing one.
 */
export function releaseByHand(meta: V1ObjectMeta): string {
  const list = meta.finalizers ?? [];
  const at = list.indexOf(SECRET_FINALIZER);
  const ops = list.length <= 1 || at < 0
    ? [{ op: 'remove', path: '/metadata/finalizers' }]
    : [{ op: 'test', path: `/metadata/finalizers/${at}`, value: SECRET_FINALIZER }, { op: 'remove', path: `/metadata/finalizers/${at}` }];
  return `kubectl -n ${meta.namespace ?? ''} patch secret ${meta.name ?? ''} --type=json -p '${JSON.stringify(ops)}'`;
}
