import type { OpsManagerApiKey, ProjectKeyBinding, ProjectKeyBindingStatus } from '../../api/types.ts';
import type { Access } from '../shared/policy.ts';

export type KeyView = { state: 'absent' } | { state: 'present'; key: OpsManagerApiKey };

/** Ops Manager's view of one project: key id -> that key's roles in the project. */
export type ProjectView = { state: 'unread' } | { state: 'read'; assigned: ReadonlyMap<string, readonly string[]> };

export type ConnectionView =
  | { state: 'unread' }
  | { state: 'read' }
  /** Only while deleting: the connection cannot be resolved any more (its Secret went with the namespace). */
  | { state: 'unavailable'; message: string };

export interface BindingGathered {
  obj: ProjectKeyBinding;
  now: Date;
  key: KeyView;
  /** Other bindings in the namespace for the same key and project (deleting ones included). */
  siblings: readonly ProjectKeyBinding[];
  /** What the namespace may do through the key's connection (the default connection when the key is gone). */
  access: Access;
  /** The key's connection when the key exists, else the operator's default connection. */
  connection: ConnectionView;
  project: ProjectView;
}

/** `projectLive`: the project's key list from Ops Manager, not the shared list (a requested reconcile). */
export type BindingRead = 'connection' | 'project' | 'projectLive';

export type BindingStep =
  | { kind: 'AddFinalizer' }
  | { kind: 'RemoveFinalizer' }
  | { kind: 'StatusWrite'; status: ProjectKeyBindingStatus }
  | { kind: 'ProjectAssign'; projectId: string; keyId: string; roles: string[] }
  /** A key or project already gone (or never in this organization) counts as done. */
  | { kind: 'ProjectUnassign'; projectId: string; keyId: string }
  | { kind: 'Event'; type: 'Normal' | 'Warning'; reason: string; message: string };

export type BindingThen =
  | { kind: 'again' }
  | { kind: 'done' }
  | { kind: 'fail'; terminal: boolean; reason: string; message: string; retryAfterMs?: number };

export interface BindingPlan {
  name: 'AddFinalizer' | 'Finalize' | 'Wait' | 'Converge' | 'Failed';
  steps: BindingStep[];
  then: BindingThen;
}

export type BindingDecision = { kind: 'read'; reads: BindingRead[] } | { kind: 'act'; plan: BindingPlan };
