import type { KubernetesObject, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Controller, type ControllerDeps, type ControllerSpec, type ReconcileResult } from '../../runtime/controller.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { OwnWrites } from '../../runtime/own-writes.ts';

/** The owners (`namespace/name`) of an object whose controlling ownerReference is of `kind`. */
function ownerKeys(obj: KubernetesObject, kind: string): string[] {
  const ns = obj.metadata?.namespace ?? '';
  return (obj.metadata?.ownerReferences ?? []).filter((r) => r.kind === kind && r.controller === true).map((r) => `${ns}/${r.name}`);
}

export interface ControllerBuild {
  name: string;
  primary: Informer<KubernetesObject>;
  reconcile(key: string, log: Logger): Promise<ReconcileResult | void>;
  /** Objects (Secrets, ConfigMaps) controlled by the primary kind: a change to one reconciles its owner. */
  owned?: Array<{ informer: Informer<V1Secret> | Informer<V1ConfigMap>; ownerKind: string }>;
  /** Other kinds whose changes map to primary keys (`changed`: see ControllerSpec.watches). */
  watches?: ControllerSpec<KubernetesObject>['watches'];
  /** Watched namespaces; anything elsewhere is never enqueued (see ControllerSpec.inScope). */
  inScope?: (namespace: string) => boolean;
  ownWrites?: OwnWrites;
  concurrency: number;
  resyncPeriodMs: number;
}

/** The one way both controllers are put together: primary kind, owned Secrets, watched kinds. */
export function buildController(b: ControllerBuild, runtime: ControllerDeps): Controller<KubernetesObject> {
  const watches = [...(b.watches ?? [])];
  for (const o of b.owned ?? []) watches.unshift({ informer: o.informer, map: (obj: KubernetesObject) => ownerKeys(obj, o.ownerKind) });
  return new Controller(
    {
      name: b.name,
      primary: b.primary,
      reconcile: (key, log) => b.reconcile(key, log),
      watches,
      concurrency: b.concurrency,
      resyncPeriodMs: b.resyncPeriodMs,
      ...(b.inScope ? { inScope: b.inScope } : {}),
      ...(b.ownWrites ? { ownWrites: b.ownWrites } : {}),
    },
    runtime,
  );
}
