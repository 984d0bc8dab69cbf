import type { OpsManagerApiKey } from '../../api/types.ts';
import { collect } from '../../opsmanager/client.ts';
import { NotFoundError } from '../../opsmanager/errors.ts';
import type { ApiKey } from '../../opsmanager/types.ts';
import type { Connection } from '../shared/connections.ts';
import type { GatherDeps } from './gather.ts';
import type { AdoptView, Gathered } from './plan.ts';
import { toRemoteKey } from './remote.ts';

/** What adopting spec.adopt.keyId rests on: the key, the private key the user gave and whether the pair works, and rivals. */
export async function readAdopt(deps: GatherDeps, conn: Connection, obj: OpsManagerApiKey, orgId: string): Promise<Pick<Gathered, 'adopt' | 'adoptRivals'>> {
  const spec = obj.spec.adopt;
  if (!spec) return { adopt: { state: 'absent' }, adoptRivals: [] };
  let key: ApiKey;
  try {
    key = await conn.client.getOrgKey(orgId, spec.keyId);
  } catch (err) {
    if (err instanceof NotFoundError) return { adopt: { state: 'absent' }, adoptRivals: [] };
    throw err;
  }
  const accessList = (await collect(conn.client.listAccessList(orgId, key.id))).map((e) => e.cidrBlock);
  const byProject = new Map<string, string[]>();
  for (const r of key.roles) if (r.groupId) byProject.set(r.groupId, [...(byProject.get(r.groupId) ?? []), r.roleName]);
  const view: Extract<AdoptView, { state: 'read' }> = {
    state: 'read',
    key: toRemoteKey(obj, key, accessList),
    projectRoles: [...byProject].map(([projectId, roles]) => ({ projectId, roles: [...new Set(roles)].sort() })),
  };
  const ref = spec.privateKeySecretRef;
  if (ref) {
    const secret = await deps.secrets.get(obj.metadata.namespace ?? '', ref.name);
    const raw = secret?.data?.[ref.key];
    if (!secret) view.pair = { state: 'secretMissing' };
    else if (raw === undefined) view.pair = { state: 'keyMissing' };
    else {
      const privateKey = Buffer.from(raw, 'base64').toString('utf8').trim();
      const valid = await deps.connections.pairAuthenticates(conn, { publicKey: key.publicKey, privateKey }, { orgId, keyId: key.id });
      view.pair = { state: 'checked', valid, privateKey };
    }
  }
  if (await isConnectionCredential(deps, conn, obj.metadata.namespace ?? '', key.publicKey)) view.isCredential = true;
  return { adopt: view, adoptRivals: rivals(deps.cache.allKeys(), obj, spec.keyId) };
}

/** Other resources tracking the key, or adopting it and created earlier (the older claim wins). */
function rivals(all: readonly OpsManagerApiKey[], obj: OpsManagerApiKey, keyId: string): string[] {
  const older = (o: OpsManagerApiKey): boolean => {
    const a = o.metadata.creationTimestamp ?? '';
    const b = obj.metadata.creationTimestamp ?? '';
    return a !== b ? a < b : `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}` < `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  };
  return all
    .filter((o) => o.metadata.uid !== obj.metadata.uid)
    .filter((o) => o.status?.keyId === keyId || o.status?.previousKeyId === keyId || (o.spec.adopt?.keyId === keyId && older(o)))
    .map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);
}

/**
 * Whether `publicKey` is the credential of the connection in use or of any cluster connection:
 * adopting it through a namespace's own connection would otherwise let that namespace replace,
 * and so delete, the credential every other namespace depends on. A connection whose credential
 * cannot be read now is left out (its key is not known here).
 */
async function isConnectionCredential(deps: GatherDeps, conn: Connection, namespace: string, publicKey: string): Promise<boolean> {
  if (conn.publicKey === publicKey) return true;
  for (const name of deps.connections.catalog.clusterNames()) {
    try {
      if ((await deps.connections.resolve(namespace, name)).publicKey === publicKey) return true;
    } catch {
      // Unresolvable now: nothing to compare with.
    }
  }
  return false;
}
