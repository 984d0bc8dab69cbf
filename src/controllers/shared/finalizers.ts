import { FINALIZER, type ObjectMeta } from '../../api/types.ts';

export function hasFinalizer(meta: ObjectMeta): boolean {
  return (meta.finalizers ?? []).includes(FINALIZER);
}

export function withFinalizer<T extends { metadata: ObjectMeta }>(obj: T): T {
  if (hasFinalizer(obj.metadata)) return obj;
  return { ...obj, metadata: { ...obj.metadata, finalizers: [...(obj.metadata.finalizers ?? []), FINALIZER] } };
}

export function withoutFinalizer<T extends { metadata: ObjectMeta }>(obj: T): T {
  return { ...obj, metadata: { ...obj.metadata, finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== FINALIZER) } };
}
