import type { OpsManagerApiKey, ProjectKeyBinding } from '../../api/types.ts';
import type { CustomObjects } from '../../kube/custom-objects.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ConnectionPool } from '../opsmanagerapikey/connection.ts';
import type { EventSink } from '../opsmanagerapikey/deps.ts';
import type { KeyPolicy } from '../opsmanagerapikey/policy.ts';
import type { ProjectKeysCache } from './project-keys-cache.ts';

export interface BindingControllerDeps {
  bindings: CustomObjects<ProjectKeyBinding>;
  cachedBinding(namespace: string, name: string): ProjectKeyBinding | undefined;
  cachedKey(namespace: string, name: string): OpsManagerApiKey | undefined;
  /** Other bindings in the namespace for the same key and project. */
  siblings(obj: ProjectKeyBinding): ProjectKeyBinding[];
  connections: ConnectionPool;
  policy: KeyPolicy;
  events: EventSink;
  clock: Clock;
  projectKeys: ProjectKeysCache;
}
