import type { V1Secret } from '@kubernetes/client-node';
import type { SecretStore } from '../../src/controllers/shared/ports.ts';
import { KubeApiError } from './fake-kube-errors.ts';
import type { FakeKube, KubeObject } from './fake-kube.ts';

/**
 * The operator's Secret adapter over a FakeKube, with src/kube/core-objects.ts semantics:
 * `update` keeps the labels, annotations and finalizers it does not set and carries current's
 * resourceVersion; `removeFinalizer` is a JSON patch tested against the finalizers `current`
 * shows. `call` answers asynchronously and, for a write, refuses a crashed instance's.
 */
export function fakeSecretStore(kube: FakeKube, call: <T>(write: boolean, fn: () => T) => Promise<T>): SecretStore {
  return {
    get: (ns, name) => call(false, () => kube.get('Secret', ns, name) as V1Secret | undefined),
    create: (s) => call(true, () => kube.create('Secret', s as KubeObject, 'operator') as V1Secret),
    update: (current, desired) =>
      call(true, () => {
        const [cm, dm] = [current.metadata, desired.metadata];
        const finalizers = [...new Set([...(cm?.finalizers ?? []), ...(dm?.finalizers ?? [])])];
        const metadata = { ...dm, resourceVersion: cm?.resourceVersion, labels: { ...cm?.labels, ...dm?.labels }, annotations: { ...cm?.annotations, ...dm?.annotations }, ...(finalizers.length > 0 ? { finalizers } : {}) };
        return kube.replace('Secret', { ...desired, metadata } as KubeObject, 'operator') as V1Secret;
      }),
    removeFinalizer: (current, finalizer) =>
      call(true, () => {
        const live = kube.get('Secret', current.metadata?.namespace ?? '', current.metadata?.name ?? '');
        if (!live) return undefined;
        const list = live.metadata?.finalizers ?? [];
        if (JSON.stringify(list) !== JSON.stringify(current.metadata?.finalizers ?? [])) throw new KubeApiError(422, 'the JSON patch test failed: finalizers changed');
        return kube.replace('Secret', { ...live, metadata: { ...live.metadata, finalizers: list.filter((f) => f !== finalizer) } }, 'operator') as V1Secret;
      }),
    releaseOwner: (current, ownerUid) =>
      call(true, () => {
        const live = kube.get('Secret', current.metadata?.namespace ?? '', current.metadata?.name ?? '');
        if (!live) return undefined;
        if (live.metadata?.resourceVersion !== current.metadata?.resourceVersion) throw new KubeApiError(409, 'the object has been modified');
        const ownerReferences = (live.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
        return kube.replace('Secret', { ...live, metadata: { ...live.metadata, ownerReferences } }, 'operator') as V1Secret;
      }),
  };
}
