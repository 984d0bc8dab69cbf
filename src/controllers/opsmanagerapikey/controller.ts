import type { KubernetesObject, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../../api/types.ts';
import { OPS_MANAGER_API_KEY_KIND } from '../../api/types.ts';
import type { Controller, ControllerDeps } from '../../runtime/controller.ts';
import type { Informer } from '../../runtime/informer.ts';
import type { OwnWrites } from '../../runtime/own-writes.ts';
import { buildController } from '../shared/controller-builder.ts';
import { OpsManagerApiKeyReconciler, type KeyReconcilerDeps } from './reconciler.ts';

export function createKeyController(opts: {
  keys: Informer<KubernetesObject>;
  secrets: Informer<V1Secret>;
  /** The operator's own ConfigMaps (spec.opsManagerConfigMap); a change to one reconciles its owner. */
  configMaps?: Informer<V1ConfigMap>;
  /** Bindings of a key, from the binding controller's index: a new key gets their project roles first. */
  bindingsOf(namespace: string, keyName: string): readonly ProjectKeyBinding[];
  /** The bindings' informer: a binding being deleted, or gone, has its key look at its project roles again. */
  bindings?: Informer<KubernetesObject>;
  deps: Omit<KeyReconcilerDeps, 'cache'>;
  runtime: ControllerDeps;
  inScope?: (namespace: string) => boolean;
  /** Echoes of this controller's writes are not enqueued (see runtime/own-writes.ts). */
  ownWrites?: OwnWrites;
  concurrency: number;
  resyncPeriodMs: number;
}): { controller: Controller<KubernetesObject>; reconciler: OpsManagerApiKeyReconciler } {
  const reconciler = new OpsManagerApiKeyReconciler({
    ...opts.deps,
    cache: {
      // Custom objects arrive as plain JSON (timestamps are strings), which is what OpsManagerApiKey describes.
      key: (ns, name) => opts.keys.get(ns, name) as unknown as OpsManagerApiKey | undefined,
      secret: (ns, name) => opts.secrets.get(ns, name),
      bindingsOf: (ns, name) => opts.bindingsOf(ns, name),
      configMap: (ns, name) => opts.configMaps?.get(ns, name),
      allKeys: () => opts.keys.list() as unknown as OpsManagerApiKey[],
    },
  });
  const controller = buildController(
    {
      name: 'opsmanagerapikey',
      primary: opts.keys,
      reconcile: (key, log) => reconciler.reconcile(key, log),
      owned: [
        { informer: opts.secrets, ownerKind: OPS_MANAGER_API_KEY_KIND },
        ...(opts.configMaps ? [{ informer: opts.configMaps, ownerKind: OPS_MANAGER_API_KEY_KIND }] : []),
      ],
      ...(opts.bindings ? { watches: [{ informer: opts.bindings, map: keyOfDeletingBinding }] } : {}),
      concurrency: opts.concurrency,
      resyncPeriodMs: opts.resyncPeriodMs,
      ...(opts.inScope ? { inScope: opts.inScope } : {}),
      ...(opts.ownWrites ? { ownWrites: opts.ownWrites } : {}),
    },
    opts.runtime,
  );
  return { controller, reconciler };
}

/** The key a binding being deleted (or gone: its last state was being deleted) refers to; nothing for a live binding. */
function keyOfDeletingBinding(obj: KubernetesObject): string[] {
  const b = obj as unknown as ProjectKeyBinding;
  return b.metadata.deletionTimestamp ? [`${b.metadata.namespace ?? ''}/${b.spec.apiKeyRef.name}`] : [];
}
