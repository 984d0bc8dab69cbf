import type { KubernetesObject } from '@kubernetes/client-node';
import { ConditionType } from '../api/conditions.ts';
import type { OpsManagerApiKey } from '../api/types.ts';
import type { ProvisionReason } from '../controllers/opsmanagerapikey/decide-provision.ts';
import type { Tally } from '../controllers/opsmanagerapikey/plan.ts';
import type { ChangeKind, Informer } from '../runtime/informer.ts';
import type { Metrics, ReplaceReason } from '../runtime/metrics.ts';

/** Why a key was replaced, as the reason label says it; a new ProvisionReason must be given one here. */
const REPLACED_BECAUSE: Record<Exclude<ProvisionReason, 'Initial'>, ReplaceReason> = {
  SecretDeleted: 'secret_lost',
  PairEdited: 'pair_edited',
  KeyDeletedInOpsManager: 'deleted_in_opsmanager',
  Rotation: 'rotation',
  OnDemand: 'on_demand',
  // Adopting a key whose private key is lost replaces it because someone asked to.
  Adopted: 'on_demand',
};

/** Adds what a carried-out step counts for to the counters (act's onCounted). */
export function countTally(metrics: Metrics, tally: Tally): void {
  if (tally.kind === 'OrphanDeleted') metrics.orphansSwept.inc();
  else if (tally.why === 'Initial') metrics.keysCreated.inc();
  else metrics.keysReplaced.inc({ reason: REPLACED_BECAUSE[tally.why] });
}

/**
 * Keeps the per-key gauges equal to the informer's cache of OpsManagerApiKeys: set from each
 * object's status as it changes, removed with the object, so there is one series per resource
 * and no more. Only labels namespace and name: nothing from the spec, the Secret or Ops Manager.
 * Runs on a standby too (its informers are warm), which is why alerts join on omkeys_leader.
 */
export function watchKeyMetrics(opts: { informer: Informer<KubernetesObject>; metrics: Metrics; inScope: (namespace: string) => boolean }): void {
  const { informer, metrics, inScope } = opts;
  informer.onChange((obj: KubernetesObject, kind: ChangeKind) => {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    if (!name || !inScope(namespace)) return;
    const labels = { namespace, name };
    if (kind === 'delete') {
      for (const g of perKey(metrics)) g.remove(labels);
      return;
    }
    // Custom objects arrive as plain JSON, which is what OpsManagerApiKey describes.
    const status = (obj as unknown as OpsManagerApiKey).status;
    const ready = status?.conditions?.find((c) => c.type === ConditionType.Ready)?.status === 'True';
    metrics.keyReady.set(labels, ready ? 1 : 0);
    const stalled = status?.conditions?.find((c) => c.type === ConditionType.Stalled)?.status === 'True';
    if (stalled) metrics.keyStalled.set(labels, 1);
    else metrics.keyStalled.remove(labels);
    setTime(metrics.keyCreatedTime, labels, status?.rotatedAt);
    setTime(metrics.keyNextRotationTime, labels, status?.nextRotationAt);
    setTime(metrics.keyGraceRevokeTime, labels, status?.previousKeyRevokeAt);
  });
}

function perKey(m: Metrics): Array<Metrics['keyReady']> {
  return [m.keyReady, m.keyStalled, m.keyCreatedTime, m.keyNextRotationTime, m.keyGraceRevokeTime];
}

/** A time the status does not hold (or cannot be read) is no series at all, rather than a misleading 0. */
function setTime(gauge: Metrics['keyReady'], labels: { namespace: string; name: string }, iso: string | undefined): void {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  if (Number.isNaN(ms)) gauge.remove(labels);
  else gauge.set(labels, ms / 1000);
}
