import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';

/**
 * What the controllers need of the Kubernetes API, and nothing more: the real adapters in
 * src/kube implement it, and tests pass recording fakes. Writes are whole-object PUTs that
 * carry the resourceVersion they were based on, so a stale write fails with 409.
 */
export interface ObjectStore<T> {
  /** Throws a 404-coded error when the object does not exist. */
  get(namespace: string, name: string): Promise<T>;
  replace(obj: T): Promise<T>;
  replaceStatus(obj: T): Promise<T>;
}

export interface SecretStore {
  /** undefined when there is no such Secret. */
  get(namespace: string, name: string): Promise<V1Secret | undefined>;
  create(secret: V1Secret): Promise<V1Secret>;
  /** Replaces `current` (its resourceVersion) with `desired`, keeping labels and annotations the operator does not own. */
  update(current: V1Secret, desired: V1Secret): Promise<V1Secret>;
  /**
   * Takes `finalizer` off the Secret (a patch tested against the finalizers `current` shows,
   * so a cached copy without data will do); undefined when the Secret is gone already.
   */
  removeFinalizer(current: V1Secret, finalizer: string): Promise<V1Secret | undefined>;
  /**
   * Takes the ownerReference to `ownerUid` off the Secret, so that garbage collection leaves it
   * when its owner goes (deletionPolicy Retain): one patch that carries `current`'s
   * resourceVersion (a Secret changed since fails with 409); undefined when it is gone already.
   */
  releaseOwner(current: V1Secret, ownerUid: string): Promise<V1Secret | undefined>;
}

/** The same, for the ConfigMaps the operator writes. */
export interface ConfigMapStore {
  get(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  create(cm: V1ConfigMap): Promise<V1ConfigMap>;
  update(current: V1ConfigMap, desired: V1ConfigMap): Promise<V1ConfigMap>;
}

/** What an Event is about. */
export interface EventTarget {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** Where Events go; the runtime's recorder de-duplicates and never throws. */
export interface EventSink {
  record(obj: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

/**
 * Called before each step of a plan is carried out, with the step's kind. Tests use it to
 * crash the operator at any write boundary; the product passes none, or a failpoint hook.
 */
export type StepHook = (controller: string, step: string) => void;
