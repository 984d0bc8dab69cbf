import type { OpsManagerApiKey } from '../../api/types.ts';
import { ForbiddenError } from '../../opsmanager/errors.ts';
import type { Connection } from './connection.ts';
import type { KeyControllerDeps } from './deps.ts';

/**
 * Deletes a key this resource no longer uses (an old or a never-confirmed one); a key already
 * gone counts as done (the client treats a 404 on DELETE as success). A project-scoped
 * connection may not delete org keys: the key is then at least removed from its project, and
 * an Event says that it remains in the organization.
 */
export async function retireKey(deps: KeyControllerDeps, obj: OpsManagerApiKey, conn: Connection, keyId: string, orgId: string): Promise<void> {
  try {
    await conn.client.deleteOrgKey(orgId, keyId);
  } catch (err) {
    const projectId = obj.spec.projectId;
    if (!(err instanceof ForbiddenError) || err.notOnAccessList || !projectId) throw err;
    await conn.client.unassignProjectKey(projectId, keyId);
    await deps.events.record(obj, 'Warning', 'KeyRemainsInOrganization', `key ${keyId} was removed from project ${projectId}, but the connection may not delete organization keys: it remains in organization ${orgId}`);
  }
}
