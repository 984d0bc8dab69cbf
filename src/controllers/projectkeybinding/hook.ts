import type { Logger } from 'pino';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../../api/types.ts';
import type { OpsManagerClient } from '../../opsmanager/client.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../opsmanager/errors.ts';
import type { ConnectionPool } from '../opsmanagerapikey/connection.ts';
import type { NewKeyHook } from '../opsmanagerapikey/deps.ts';
import { checkPolicy, type KeyPolicy } from '../opsmanagerapikey/policy.ts';
import { assignmentsForNewKey } from './decide.ts';
import type { ProjectKeysCache } from './project-keys-cache.ts';

/**
 * Gives a freshly created key the project roles of every binding that references it, before
 * the key controller publishes its pair: a workload never holds a pair that lacks a project
 * it is bound to. A binding whose project refuses the key for good (unknown project, wrong
 * organization, rejected roles) is skipped: its own reconcile reports it, and one bad binding
 * must not stop the key from being provisioned. Any other failure is thrown, so the key
 * controller deletes the new key and tries again.
 */
export function bindingRolesHook(deps: {
  bindingsOf(namespace: string, keyName: string): ProjectKeyBinding[];
  connections: ConnectionPool;
  policy: KeyPolicy;
  projectKeys: ProjectKeysCache;
  logger: Logger;
}): NewKeyHook {
  return {
    async beforeSecret(obj: OpsManagerApiKey, key: { id: string; orgId: string }, client: OpsManagerClient): Promise<void> {
      const ns = obj.metadata.namespace ?? '';
      const bindings = deps.bindingsOf(ns, obj.metadata.name ?? '');
      const usesDefault = deps.connections.usesDefault(obj);
      const wanted = assignmentsForNewKey(obj, bindings, (b) => checkPolicy(deps.policy, ns, usesDefault, b.spec.roles));
      for (const a of wanted) {
        try {
          await client.assignProjectKey(a.projectId, key.id, a.roles);
          deps.projectKeys.noteAssigned(client, a.projectId, key.id, a.roles);
        } catch (err) {
          const permanent = err instanceof NotFoundError || err instanceof ConflictError || err instanceof InvalidRequestError;
          if (!permanent) throw err;
          deps.logger.warn({ namespace: ns, binding: a.binding, projectId: a.projectId, err: err.message }, 'new key not assigned to a bound project');
        }
      }
    },
  };
}
