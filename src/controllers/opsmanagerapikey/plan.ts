import type { V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey, OpsManagerApiKeyStatus, ProjectKeyBinding } from '../../api/types.ts';
import type { AccessListInput } from '../../opsmanager/types.ts';
import type { Access } from '../shared/policy.ts';
import type { ProvisionReason } from './decide-provision.ts';
import type { CreateMark } from './facts.ts';
import type { SecretReading } from './secret-builder.ts';

/** The Ops Manager key as far as this resource cares: roles in its own scope only. */
export interface RemoteKey {
  id: string;
  publicKey: string;
  desc: string;
  /** Org roles for an org key, roles in spec.projectId for a project key. */
  roles: string[];
  /** Canonical CIDRs. */
  accessList: string[];
  /** Its roles in projects outside its own scope (bindings', or kept by an adoption), when the read shows them. */
  projectRoles?: Array<{ projectId: string; roles: string[] }>;
}

export type SecretView =
  | { state: 'absent' }
  | { state: 'foreign' }
  /**
   * `raw` is kept for a rewrite (its resourceVersion and key material); decide never logs it.
   * `complete`: `raw` holds the data (a live read). From the cache it holds only metadata, and
   * `matchesDesired` false means "cannot tell without the data": a rewrite reads it first.
   */
  | {
      state: 'ours';
      raw: V1Secret;
      reading: SecretReading;
      matchesDesired: boolean;
      complete: boolean;
      /**
       * Read live, and all that differs are the operator's own digest annotations (a Secret
       * written by a version before them): rewritten without an Event, since nothing a user
       * set or sees was put back.
       */
      onlyDigestsDiffer?: boolean;
    };

export type RemoteView = { state: 'unread' } | { state: 'absent' } | { state: 'present'; key: RemoteKey };

/** What the last successful reconcile of this resource saw, kept in memory by the reconciler. */
export interface LastSync {
  generation?: number;
  keyId?: string;
  at: number;
  /** The ConfigMap data written or found right, so a hand edit of it is not skipped as an echo. */
  configMap?: string;
  /** The projects of the key's live bindings then: a binding gone since makes the next reconcile read Ops Manager. */
  bindings?: string;
}

export type AdoptView =
  | { state: 'unread' }
  | { state: 'absent' }
  | {
      state: 'read';
      key: RemoteKey;
      /** The key's roles in every project (kept on the new key when the adopted one is replaced). */
      projectRoles: ReadonlyArray<{ projectId: string; roles: string[] }>;
      /** The key is the credential of a connection the operator knows (the one in use, or a cluster connection). */
      isCredential?: boolean;
      /** With privateKeySecretRef: the Secret's state, and whether the pair authenticated. */
      pair?: { state: 'secretMissing' | 'keyMissing' } | { state: 'checked'; valid: boolean; privateKey: string };
    };

export type ConfigMapView = { state: 'absent' } | { state: 'foreign' } | { state: 'ours'; raw: V1ConfigMap };

/** Everything decide may base a decision on, and which parts of it have been read. */
export interface Gathered {
  obj: OpsManagerApiKey;
  /** The resource and its Secret were read from the API server in this reconcile, not from the cache. */
  live: boolean;
  now: Date;
  /** What the namespace may do through the spec's connection (its policy); decide applies it to the key and its bindings. */
  access: Access;
  /** The spec's and status's connections by concrete name (`default` made the default connection of the moment). */
  connections: { spec: string; recorded: string };
  templateError?: string;
  secret: SecretView;
  /**
   * Ops Manager connection resolved (`name`: which, see facts.ts workingConnection); with it the
   * organization the key lives in, and the public key of the connection's own credential.
   */
  connection: { state: 'unread' } | { state: 'read'; name: string; baseUrl: string; orgId: string; publicKey: string };
  /** The key the Secret names, read from Ops Manager. */
  remote: RemoteView;
  /**
   * Keys carrying this resource's pending-create tag; `holder`: the one of them that holds the
   * public key of our intact Secret (the Secret chooses among this resource's own keys only).
   */
  pending: { state: 'unread' } | { state: 'read'; keyIds: string[]; holder?: string };
  /** Bindings of this key, from the cache: a new key gets their project roles before its pair is published. */
  bindings: readonly ProjectKeyBinding[];
  lastSync?: LastSync;
  /** The key named by spec.adopt, and (with privateKeySecretRef) its private key and whether the pair authenticates. */
  adopt: AdoptView;
  /** Other OpsManagerApiKeys in the cache that track (or are adopting) the key spec.adopt names. */
  adoptRivals: readonly string[];
  /** The ConfigMap named by spec.opsManagerConfigMap, from the cache. */
  configMap: ConfigMapView;
  /** The project of a project key, as Ops Manager names it (read with the connection). */
  projectName?: string;
  /** How long after a success a reconcile with nothing changed may skip Ops Manager reads. 0: never. */
  freshnessMs: number;
  /** This cluster's identity, once known: a new key's tag then names it and the namespace (pending-tag.ts). */
  cluster?: string;
}

/**
 * What gather can be asked to add. `live` re-reads the resource and its Secret from the API
 * server; `secret` only the Secret, with its data (the cache holds none).
 */
export type Read = 'live' | 'secret' | 'connection' | 'remote' | 'pending' | 'adopt';

/** A key created by this plan: its fields are filled in when the Create step has run. */
export interface Created {
  id: string;
  publicKey: string;
  privateKey: string;
}

/** A value known only once the plan's Create step has run. */
export type AfterCreate<T> = T | ((created: Created) => T);
export type KeyRef = string | { created: true };
export const CREATED: KeyRef = { created: true };

/**
 * What a step stands for in the operator's counters (operator/key-metrics.ts), decided with
 * the plan; act reports it only once the step was carried out, so counts are of what happened.
 */
export type Tally = { kind: 'KeyMinted'; why: ProvisionReason } | { kind: 'OrphanDeleted' };

type StepBody =
  | { kind: 'AddFinalizer' }
  | { kind: 'RemoveFinalizer' }
  /**
   * Records, with the finalizer, that a create is about to be sent (annotation
   * omkeys.io/create-pending; the tag is how a lost answer is found again): one write.
   */
  | { kind: 'PendingMark'; mark: CreateMark }
  | { kind: 'StatusWrite'; status: AfterCreate<OpsManagerApiKeyStatus> }
  | { kind: 'Create'; scope: { orgId: string } | { projectId: string }; desc: string; roles: string[] }
  | { kind: 'AccessListAdd'; orgId: string; keyId: KeyRef; entries: AccessListInput[] }
  | { kind: 'AccessListRemove'; orgId: string; keyId: string; cidr: string }
  | { kind: 'KeyUpdate'; orgId: string; keyId: KeyRef; desc?: string; roles?: string[] }
  /** Takes the key out of a project no binding (and no adoption) gives it roles in any more. */
  | { kind: 'ProjectUnassign'; projectId: string; keyId: string }
  /** `tolerateRefusal`: a project that refuses the key for good is skipped (its binding reports it). */
  | { kind: 'ProjectAssign'; projectId: string; keyId: KeyRef; roles: string[]; tolerateRefusal: boolean }
  /**
   * Deleting a key already gone counts as done. `orUnassignFrom`: a project-scoped connection
   * may not delete organization keys; the key is then at least taken out of that project.
   */
  | { kind: 'KeyDelete'; orgId: string; keyId: string; orUnassignFrom?: string }
  | { kind: 'SecretWrite'; current?: V1Secret; desired: AfterCreate<V1Secret> }
  /** deletionPolicy Retain: the Secret loses its ownerReference to this resource, so garbage collection keeps it. */
  | { kind: 'ReleaseSecret'; current: V1Secret; ownerUid: string }
  /** Takes the finalizer earlier versions wrote (LEGACY_SECRET_FINALIZER) off our Secret: no Secret waits for us. */
  | { kind: 'StripSecretFinalizer'; current: V1Secret }
  | { kind: 'ConfigMapWrite'; current?: V1ConfigMap; desired: V1ConfigMap }
  | { kind: 'Event'; type: 'Normal' | 'Warning'; reason: string; message: AfterCreate<string> };

export type Step = StepBody & { counts?: Tally };


export type PlanName =
  | 'AddFinalizer' | 'Finalize' | 'Blocked' | 'SweepPending' | 'StripSecretFinalizer' | 'ConnectionChanged'
  | 'Provision' | 'Adopt' | 'Converge' | 'InSync' | 'Failed';

export type Then =
  /** Decide again, from the objects the writes returned. */
  | { kind: 'again' }
  /** `configMap`: the fingerprint of the ConfigMap this plan leaves right (kept for the freshness shortcut). */
  | { kind: 'done'; requeueAfterMs?: number; synced: boolean; configMap?: string; bindings?: string }
  /** The resource cannot be made Ready now: `terminal` waits for a change, otherwise backoff. */
  | { kind: 'fail'; terminal: boolean; reason: string; message: string; retryAfterMs?: number };

export interface Plan {
  name: PlanName;
  steps: Step[];
  then: Then;
}

export type Decision = { kind: 'read'; reads: Read[] } | { kind: 'act'; plan: Plan };
