import { keyDelete, releaseSteps } from './decide-cleanup.ts';
import { openMark, publishedNewKey } from './facts.ts';
import type { Decision, Gathered, Step } from './plan.ts';

/**
 * The resource is gone without its finalizer having run, while a create of its may have been
 * sent: kube-apiserver lets a DELETE that read the object before the pending mark (which adds
 * the finalizer) remove it after the mark was written (kubernetes/kubernetes#77988). `g.obj`
 * is the last copy this reconcile wrote, proven gone by a live read (no object of that uid: a
 * uid is never reused). Every key carrying its tag was made for it and can be published
 * nowhere that lasts (the Secret goes with its owner), so all are deleted: what the finalizer
 * would have done with them. No write to the resource: there is none. Pure.
 */
export function decideVanished(g: Gathered): Decision {
  if (!openMark(g.obj)) return { kind: 'act', plan: { name: 'Vanished', steps: [], then: { kind: 'done', synced: false } } };
  // The Secret is read again too: the view of the reconcile predates its create's Secret write.
  if (g.connection.state !== 'read' || g.pending.state !== 'read') return { kind: 'read', reads: ['connection', 'pending', 'secret'] };
  // The key the create already published (renamed, so no longer tagged) is named by the Secret it wrote.
  const published = publishedNewKey(g);
  const orphans = [...new Set([...g.pending.keyIds, ...(published !== undefined ? [published] : [])])];
  const steps: Step[] = orphans.map((id) => ({ ...keyDelete(g, id), counts: { kind: 'OrphanDeleted' } }));
  if (orphans.length > 0) {
    const message = `the resource was deleted while its key was being created, without its finalizer running (kubernetes/kubernetes#77988): deleted ${orphans.length} key(s) made for it: ${orphans.join(', ')}`;
    steps.push({ kind: 'Event', type: 'Warning', reason: 'OrphanKeyDeleted', message });
  }
  // Its owner is gone: garbage collection deletes it, and it must not wait for us.
  steps.push(...releaseSteps(g));
  return { kind: 'act', plan: { name: 'Vanished', steps, then: { kind: 'done', synced: false } } };
}
