import type { KubernetesObject } from '@kubernetes/client-node';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../../api/types.ts';
import type { OwnWrites } from '../../runtime/own-writes.ts';
import type { Controller, ControllerDeps } from '../../runtime/controller.ts';
import type { Informer } from '../../runtime/informer.ts';
import { buildController } from '../shared/controller-builder.ts';
import { keyAsBindingsSee } from './assignments.ts';
import { ProjectKeyBindingReconciler, type BindingReconcilerDeps } from './reconciler.ts';

/** Bindings by the key they reference (`namespace/keyName`), kept current from the binding informer. */
export class BindingIndex {
  private readonly byKey = new Map<string, Map<string, ProjectKeyBinding>>();
  private readonly keyOf = new Map<string, string>();

  constructor(informer: Informer<KubernetesObject>) {
    informer.onChange((o, kind) => {
      const b = o as unknown as ProjectKeyBinding;
      const id = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
      const prev = this.keyOf.get(id);
      if (prev !== undefined) this.byKey.get(prev)?.delete(id);
      if (prev !== undefined && this.byKey.get(prev)?.size === 0) this.byKey.delete(prev);
      this.keyOf.delete(id);
      if (kind === 'delete') return;
      const k = `${b.metadata.namespace ?? ''}/${b.spec?.apiKeyRef?.name ?? ''}`;
      let m = this.byKey.get(k);
      if (!m) {
        m = new Map();
        this.byKey.set(k, m);
      }
      m.set(id, b);
      this.keyOf.set(id, k);
    });
  }

  bindingsOf(namespace: string, keyName: string): ProjectKeyBinding[] {
    return [...(this.byKey.get(`${namespace}/${keyName}`)?.values() ?? [])];
  }

  /** Work-queue keys of the bindings that reference a key. */
  keysOf(namespace: string, keyName: string): string[] {
    return [...(this.byKey.get(`${namespace}/${keyName}`)?.keys() ?? [])];
  }

  siblings(obj: ProjectKeyBinding): ProjectKeyBinding[] {
    return this.bindingsOf(obj.metadata.namespace ?? '', obj.spec.apiKeyRef.name).filter((b) => b.metadata.name !== obj.metadata.name && b.spec.projectId === obj.spec.projectId);
  }
}

/**
 * The ProjectKeyBinding controller: reconciles on binding changes, on changes of the key a
 * binding references (Ready, new key id, deletion: no polling; not on the key's other writes,
 * see keyAsBindingsSee), and on changes of the other
 * bindings of the same key (a conflict resolves when the older one goes). Its index tells the
 * key controller which project roles a new key needs.
 */
export function createBindingController(opts: {
  bindings: Informer<KubernetesObject>;
  keys: Informer<KubernetesObject>;
  deps: Omit<BindingReconcilerDeps, 'cache'>;
  runtime: ControllerDeps;
  inScope?: (namespace: string) => boolean;
  /** Echoes of this controller's writes are not enqueued (see runtime/own-writes.ts). */
  ownWrites?: OwnWrites;
  concurrency: number;
  resyncPeriodMs: number;
}): { controller: Controller<KubernetesObject>; reconciler: ProjectKeyBindingReconciler; index: BindingIndex } {
  // Created before the Controller so that the index is current when its handlers map events.
  const index = new BindingIndex(opts.bindings);
  const reconciler = new ProjectKeyBindingReconciler({
    ...opts.deps,
    cache: {
      binding: (ns, name) => opts.bindings.get(ns, name) as unknown as ProjectKeyBinding | undefined,
      key: (ns, name) => opts.keys.get(ns, name) as unknown as OpsManagerApiKey | undefined,
      siblings: (obj) => index.siblings(obj),
    },
  });
  const keyRefOf = (o: KubernetesObject): string[] => index.keysOf(o.metadata?.namespace ?? '', o.metadata?.name ?? '');
  // Only the same key and project: a conflict resolves when the older binding goes.
  const siblingsOf = (o: KubernetesObject): string[] => {
    const b = o as unknown as ProjectKeyBinding;
    if (!b.spec?.apiKeyRef) return [];
    return index.siblings(b).map((s) => `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`);
  };
  const controller = buildController(
    {
      name: 'projectkeybinding',
      primary: opts.bindings,
      reconcile: (key, log) => reconciler.reconcile(key, log),
      watches: [
        { informer: opts.keys, map: keyRefOf, changed: (obj: KubernetesObject, old: KubernetesObject) => keyAsBindingsSee(obj as unknown as OpsManagerApiKey) !== keyAsBindingsSee(old as unknown as OpsManagerApiKey) },
        { informer: opts.bindings, map: siblingsOf },
      ],
      concurrency: opts.concurrency,
      resyncPeriodMs: opts.resyncPeriodMs,
      ...(opts.inScope ? { inScope: opts.inScope } : {}),
      ...(opts.ownWrites ? { ownWrites: opts.ownWrites } : {}),
    },
    opts.runtime,
  );
  return { controller, reconciler, index };
}
