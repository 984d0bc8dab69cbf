import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey } from '../../api/types.ts';
import { OPS_MANAGER_API_KEY_KIND } from '../../api/types.ts';
import type { OwnWrites } from '../../runtime/own-writes.ts';
import { Controller, type ControllerDeps } from '../../runtime/controller.ts';
import type { ManagedInformer } from '../../runtime/informer.ts';
import type { KeyControllerDeps } from './deps.ts';
import { OpsManagerApiKeyReconciler } from './reconciler.ts';

/** Our Secrets map back to the OpsManagerApiKey that controls them. */
export function secretOwnerKeys(secret: V1Secret): string[] {
  const ns = secret.metadata?.namespace ?? '';
  return (secret.metadata?.ownerReferences ?? [])
    .filter((r) => r.kind === OPS_MANAGER_API_KEY_KIND && r.controller === true)
    .map((r) => `${ns}/${r.name}`);
}

export function createKeyController(opts: {
  keys: ManagedInformer<KubernetesObject>;
  secrets: ManagedInformer<V1Secret>;
  deps: Omit<KeyControllerDeps, 'cachedKey' | 'cachedSecret'>;
  runtime: ControllerDeps;
  /** Several watched namespaces share a cluster-wide watch; objects elsewhere are ignored. */
  inScope?: (namespace: string) => boolean;
  /** Echoes of this controller's writes are not enqueued (see runtime/own-writes.ts). */
  ownWrites?: OwnWrites;
  concurrency: number;
  resyncPeriodMs: number;
}): { controller: Controller<KubernetesObject>; reconciler: OpsManagerApiKeyReconciler } {
  const reconciler = new OpsManagerApiKeyReconciler({
    ...opts.deps,
    // Custom objects arrive as plain JSON (timestamps are strings), which is what OpsManagerApiKey describes.
    cachedKey: (ns, name) => opts.keys.get(ns, name) as unknown as OpsManagerApiKey | undefined,
    cachedSecret: (ns, name) => opts.secrets.get(ns, name),
  });
  const controller = new Controller(
    {
      name: 'opsmanagerapikey',
      primary: opts.keys,
      reconcile: async (key, log) => {
        if (opts.inScope && !opts.inScope(key.slice(0, key.indexOf('/')))) return;
        return reconciler.reconcile(key, log);
      },
      watches: [{ informer: opts.secrets, map: (s: V1Secret) => secretOwnerKeys(s) }],
      concurrency: opts.concurrency,
      resyncPeriodMs: opts.resyncPeriodMs,
      ...(opts.ownWrites ? { ownWrites: opts.ownWrites } : {}),
    },
    opts.runtime,
  );
  return { controller, reconciler };
}
