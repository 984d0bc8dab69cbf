import { ANNOTATION_RECONCILE_REQUESTED, type ObjectMeta } from '../../api/types.ts';

/**
 * The value of Flux's reconcile.fluxcd.io/requestedAt annotation (what `flux reconcile` and
 * `kubectl annotate` set), if any. Every status that states the outcome of a reconcile records
 * it as status.lastHandledReconcileAt, as Flux's own controllers do.
 */
export function reconcileRequestValue(meta: ObjectMeta): string | undefined {
  const value = meta.annotations?.[ANNOTATION_RECONCILE_REQUESTED];
  return value === undefined || value === '' ? undefined : value;
}

/** A requested reconcile not handled yet: it reads Ops Manager, whatever was read moments ago. */
export function reconcileRequested(meta: ObjectMeta, status: { lastHandledReconcileAt?: string } | undefined): boolean {
  const value = reconcileRequestValue(meta);
  return value !== undefined && value !== status?.lastHandledReconcileAt;
}

/** The status field that says the request was handled (nothing when there is none). */
export function handledRequest(meta: ObjectMeta): { lastHandledReconcileAt?: string } {
  const value = reconcileRequestValue(meta);
  return value === undefined ? {} : { lastHandledReconcileAt: value };
}
