import { recordedConnection } from '../opsmanagerapikey/facts.ts';
import { DEFAULT_CONNECTION } from '../shared/connection-catalog.ts';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../../api/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { ConnectionError, type Connection, type ConnectionPool } from '../shared/connections.ts';
import type { BindingGathered, BindingRead } from './plan.ts';
import type { ProjectKeysCache } from './project-keys-cache.ts';

export interface BindingGatherDeps {
  cache: {
    binding(namespace: string, name: string): ProjectKeyBinding | undefined;
    key(namespace: string, name: string): OpsManagerApiKey | undefined;
    /** Other bindings in the namespace for the same key and project. */
    siblings(obj: ProjectKeyBinding): ProjectKeyBinding[];
  };
  connections: ConnectionPool;
  clock: Clock;
  projectKeys: ProjectKeysCache;
}

export interface BindingSession {
  g: BindingGathered;
  conn?: Connection;
}

/** Everything the caches hold. */
export function gatherLocal(deps: BindingGatherDeps, obj: ProjectKeyBinding): BindingSession {
  const ns = obj.metadata.namespace ?? '';
  const key = deps.cache.key(ns, obj.spec.apiKeyRef.name);
  return {
    g: {
      obj,
      now: new Date(deps.clock.now()),
      key: key ? { state: 'present', key } : { state: 'absent' },
      siblings: deps.cache.siblings(obj),
      access: deps.connections.catalog.access(ns, connectionOf(key)),
      connection: { state: 'unread' },
      project: { state: 'unread' },
    },
  };
}

/** The connection (the key's, or the default one when the key is gone) and the project's key list, as decide asked. */
export async function gatherMore(deps: BindingGatherDeps, s: BindingSession, reads: readonly BindingRead[]): Promise<BindingSession> {
  let { g, conn } = s;
  const deleting = g.obj.metadata.deletionTimestamp !== undefined;
  if (!conn && g.connection.state === 'unread') {
    // The connection that made the key status names: the key is only ever acted on through it.
    try {
      conn = await deps.connections.resolve(g.obj.metadata.namespace ?? '', connectionOf(g.key.state === 'present' ? g.key.key : undefined), { forCleanup: deleting });
      g = { ...g, connection: { state: 'read' } };
    } catch (err) {
      if (!(deleting && err instanceof ConnectionError)) throw err;
      g = { ...g, connection: { state: 'unavailable', message: err.message } };
    }
  }
  const live = reads.includes('projectLive');
  if (conn && (live || reads.includes('project'))) {
    // Decide looks up the key's id and the one the binding's status names, nothing else.
    const key = g.key.state === 'present' ? g.key.key : undefined;
    const keyIds = [...new Set([key?.status?.keyId, g.obj.status?.keyId].filter((id): id is string => !!id))];
    // An organization key's connection reads that organization's key list for it at each resync.
    const orgId = key?.spec.orgId;
    const opts = { ...(orgId ? { orgId } : {}), fresh: live };
    const assigned = await deps.projectKeys.rolesOf(conn.client, g.obj.spec.projectId, keyIds, opts);
    g = { ...g, project: { state: 'read', assigned } };
  }
  return { g, ...(conn ? { conn } : {}) };
}

/** The connection the key was made through, only ever acted on through it; without the key, the default one. */
function connectionOf(key: OpsManagerApiKey | undefined): string {
  return key ? recordedConnection(key) : DEFAULT_CONNECTION;
}
