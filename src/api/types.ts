// TypeScript mirror of the omkeys.io/v1alpha1 API (docs/api-reference.md). The CRD schemas in crds/ are
// the source of truth for validation; these types describe what the API server stores.

export const GROUP = 'omkeys.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const OPS_MANAGER_API_KEY_KIND = 'OpsManagerApiKey';
export const OPS_MANAGER_API_KEY_PLURAL = 'opsmanagerapikeys';
export const PROJECT_KEY_BINDING_KIND = 'ProjectKeyBinding';
export const PROJECT_KEY_BINDING_PLURAL = 'projectkeybindings';
export const CLUSTER_CONNECTION_KIND = 'ClusterOpsManagerConnection';
export const CLUSTER_CONNECTION_PLURAL = 'clusteropsmanagerconnections';
export const NAMESPACED_CONNECTION_KIND = 'OpsManagerConnection';
export const NAMESPACED_CONNECTION_PLURAL = 'opsmanagerconnections';
export type ConnectionKind = typeof CLUSTER_CONNECTION_KIND | typeof NAMESPACED_CONNECTION_KIND;

/** Label put on every Secret the operator writes; also how it recognises its own Secrets. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'omkeys';
/** Finalizer that holds a resource until its Ops Manager side has been cleaned up. */
export const FINALIZER = 'omkeys.io/finalizer';
/**
 * Finalizer that earlier versions put on the Secrets they wrote. This version never writes it
 * and takes it off every Secret it finds carrying it, so that no Secret waits for the operator.
 */
export const LEGACY_SECRET_FINALIZER = 'omkeys.io/secret-protection';
/** Annotation on the Secret naming the Ops Manager key id whose pair it holds. */
export const ANNOTATION_KEY_ID = 'omkeys.io/key-id';
/**
 * Internal annotation on an OpsManagerApiKey: a create about to be sent to Ops Manager (JSON:
 * id, startedAt, the connection, and what it answers). Open until status.createSettled holds
 * its value. Written with the finalizer in one write, before the key exists. A hint, not a
 * record: a namespace editor can forge or remove it, and the most it makes the operator do is
 * list and delete keys tagged with this resource's own uid (docs/security.md).
 */
export const ANNOTATION_CREATE_PENDING = 'omkeys.io/create-pending';
/** Annotation on an OpsManagerApiKey: any new value rotates the key once (status.lastRotationRequest). */
export const ANNOTATION_ROTATE = 'omkeys.io/rotate';
/**
 * Flux's annotation (set by `flux reconcile`): any new value makes the next reconcile read Ops
 * Manager, skipping the freshness shortcut; status.lastHandledReconcileAt then holds it.
 */
export const ANNOTATION_RECONCILE_REQUESTED = 'reconcile.fluxcd.io/requestedAt';

/** Secret keys the operator always writes; templates may not override them. */
export const RESERVED_SECRET_KEYS = ['publicKey', 'privateKey', 'baseUrl', 'keyId', 'orgId', 'projectId'] as const;
export type ReservedSecretKey = (typeof RESERVED_SECRET_KEYS)[number];

export const ORG_ROLES = ['ORG_OWNER', 'ORG_MEMBER', 'ORG_GROUP_CREATOR', 'ORG_READ_ONLY'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];
export const GROUP_ROLES = [
  'GROUP_OWNER',
  'GROUP_READ_ONLY',
  'GROUP_AUTOMATION_ADMIN',
  'GROUP_BACKUP_ADMIN',
  'GROUP_MONITORING_ADMIN',
  'GROUP_USER_ADMIN',
  'GROUP_DATA_ACCESS_ADMIN',
  'GROUP_DATA_ACCESS_READ_WRITE',
  'GROUP_DATA_ACCESS_READ_ONLY',
  'GROUP_CHARTS_ADMIN',
] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  /** RFC 3339 timestamp. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The part of metav1.ObjectMeta the operator reads and writes. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
}

export interface AccessListEntry {
  ipAddress?: string;
  cidrBlock?: string;
}

export interface SecretTemplate {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Extra Secret keys; values may use placeholders such as `{{ .publicKey }}`. */
  data?: Record<string, string>;
}

export interface SecretSpec {
  /** Defaults to metadata.name. */
  name?: string;
  template?: SecretTemplate;
}

export interface RotationSpec {
  /** Go duration, e.g. `720h`. */
  every: string;
  /** Go duration, shorter than `every`. */
  gracePeriod?: string;
}

export type DeletionPolicy = 'Delete' | 'Retain';

export interface OpsManagerApiKeySpec {
  /** Exactly one of orgId/projectId; 24 hex; immutable. */
  orgId?: string;
  projectId?: string;
  /** 1-250 characters; defaults to `<namespace>/<name>`. */
  description?: string;
  roles: string[];
  accessList?: AccessListEntry[];
  secret?: SecretSpec;
  rotation?: RotationSpec;
  /** The connection keys are made through; absent: the ClusterOpsManagerConnection marked `default: true`. */
  connectionRef?: ConnectionRef;
  /** Defaulted to `Delete` by the API server. */
  deletionPolicy?: DeletionPolicy;
  /** Take over an existing key; immutable. */
  adopt?: AdoptSpec;
  /** Also write the ConfigMap the MongoDB Enterprise Kubernetes Operator reads. */
  opsManagerConfigMap?: { name: string; projectName?: string };
}

export interface AdoptSpec {
  /** 24 hex. */
  keyId: string;
  /** A same-namespace Secret holding the key's private key; exactly one of this or `rotate`. */
  privateKeySecretRef?: { name: string; key: string };
  /** The private key is lost: take the key over and replace it at once. */
  rotate?: boolean;
}

export interface OpsManagerApiKeyStatus {
  observedGeneration?: number;
  keyId?: string;
  publicKey?: string;
  /** As Ops Manager reports them. */
  roles?: string[];
  /** As Ops Manager reports them, in CIDR form (`192.0.2.10/32`). */
  accessList?: string[];
  secretName?: string;
  rotatedAt?: string;
  nextRotationAt?: string;
  previousKeyId?: string;
  previousKeyRevokeAt?: string;
  /** Internal: the value of the last create-pending mark (annotation omkeys.io/create-pending) that was settled. */
  createSettled?: string;
  /**
   * The Ops Manager connection through which keyId and previousKeyId were made
   * (`ClusterOpsManagerConnection/<name>` or `OpsManagerConnection/<name>`): they are only ever acted on through it.
   */
  connection?: string;
  /** Projects whose roles an adopted key kept (they passed the policy): no binding is needed for them. */
  keptProjectIds?: string[];
  /** The value of the omkeys.io/rotate annotation handled last. */
  lastRotationRequest?: string;
  /** The value of the reconcile.fluxcd.io/requestedAt annotation handled last (as Flux records it). */
  lastHandledReconcileAt?: string;
  conditions?: Condition[];
}

export interface OpsManagerApiKey {
  apiVersion: typeof API_VERSION;
  kind: typeof OPS_MANAGER_API_KEY_KIND;
  metadata: ObjectMeta;
  spec: OpsManagerApiKeySpec;
  status?: OpsManagerApiKeyStatus;
}

export interface ProjectKeyBindingSpec {
  /** An OpsManagerApiKey in the same namespace. */
  apiKeyRef: { name: string };
  /** 24 hex. */
  projectId: string;
  /** GROUP_* only. */
  roles: string[];
}

export interface ProjectKeyBindingStatus {
  observedGeneration?: number;
  keyId?: string;
  roles?: string[];
  /** The value of the reconcile.fluxcd.io/requestedAt annotation handled last (as Flux records it). */
  lastHandledReconcileAt?: string;
  conditions?: Condition[];
}

export interface ProjectKeyBinding {
  apiVersion: typeof API_VERSION;
  kind: typeof PROJECT_KEY_BINDING_KIND;
  metadata: ObjectMeta;
  spec: ProjectKeyBindingSpec;
  status?: ProjectKeyBindingStatus;
}

export interface ConnectionRef {
  kind: ConnectionKind;
  name: string;
}

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export type AdoptionGrant = 'None' | 'WithPrivateKey' | 'Rotate';

/** What the namespaces it names may do through a cluster connection (default deny: what is not named is refused). */
export interface ConnectionGrant {
  namespaces: { names?: string[]; selector?: LabelSelector };
  organizations?: string[];
  projects?: string[];
  roles?: string[];
  maxKeys?: number;
  adoption?: AdoptionGrant;
}

export interface ConnectionStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface ClusterOpsManagerConnectionSpec {
  baseUrl: string;
  credentialsSecretRef: { namespace: string; name: string };
  caSecretRef?: { namespace: string; name: string; key?: string };
  insecureSkipTlsVerify?: boolean;
  default?: boolean;
  policy?: { grants?: ConnectionGrant[] };
}

export interface ClusterOpsManagerConnection {
  apiVersion: typeof API_VERSION;
  kind: typeof CLUSTER_CONNECTION_KIND;
  metadata: ObjectMeta;
  spec: ClusterOpsManagerConnectionSpec;
  status?: ConnectionStatus;
}

export interface OpsManagerConnectionSpec {
  /** https:// only. */
  baseUrl: string;
  credentialsSecretRef: { name: string };
  caSecretRef?: { name: string; key?: string };
}

export interface OpsManagerConnection {
  apiVersion: typeof API_VERSION;
  kind: typeof NAMESPACED_CONNECTION_KIND;
  metadata: ObjectMeta;
  spec: OpsManagerConnectionSpec;
  status?: ConnectionStatus;
}
