import type { V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey } from '../../api/types.ts';
import type { CustomObjects } from '../../kube/custom-objects.ts';
import type { Secrets } from '../../kube/secrets.ts';
import type { OpsManagerClient } from '../../opsmanager/client.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ConnectionPool } from './connection.ts';
import type { KeyPolicy } from './policy.ts';

/** Where Events go; the runtime's recorder de-duplicates and never throws. */
export interface EventTarget {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventSink {
  record(obj: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

/**
 * Called with a freshly created key before its pair reaches the Secret, so that whatever else
 * the key needs (project roles from ProjectKeyBindings) is in place before any workload can
 * use it. It may throw; the new key is then cleaned up and the provisioning retried.
 */
export interface NewKeyHook {
  beforeSecret(obj: OpsManagerApiKey, key: { id: string; orgId: string }, client: OpsManagerClient): Promise<void>;
}

export interface KeyControllerDeps {
  keys: CustomObjects<OpsManagerApiKey>;
  secrets: Secrets;
  /** Cached lookups (informers); the reconciler re-reads live before any drastic step. */
  cachedKey(namespace: string, name: string): OpsManagerApiKey | undefined;
  cachedSecret(namespace: string, name: string): V1Secret | undefined;
  connections: ConnectionPool;
  policy: KeyPolicy;
  events: EventSink;
  clock: Clock;
  newKeyHooks?: NewKeyHook[];
  /**
   * A reconcile triggered within this long of a successful one, with the resource's
   * generation and Secret unchanged, skips the Ops Manager reads (the periodic resync still
   * reads, as it comes later than this). 0 disables.
   */
  freshnessMs: number;
  /** Test-only crash points: called at the dangerous moments of a create (see docs/crash-safety.md). */
  failpoint?: (name: 'after-pending-mark' | 'after-create' | 'after-secret-write') => void;
}
