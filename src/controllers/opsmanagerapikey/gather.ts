import type { V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey } from '../../api/types.ts';
import type { Connection } from './connection.ts';
import type { Gathered, SecretView } from './decide.ts';
import type { KeyControllerDeps } from './deps.ts';
import { checkPolicy } from './policy.ts';
import { findPendingKeys, readRemoteKey } from './remote.ts';
import { buildSecret, checkTemplate, isOwnedBy, readSecret, secretMatches, secretName, TemplateError } from './secret-builder.ts';
import { ANNOTATION_ORG_ID, materialFromSecret } from './material.ts';

export interface World {
  g: Gathered;
  secret?: V1Secret;
  /** The organization the key lives in (project keys learn it from Ops Manager). */
  orgId?: string;
}

export function viewSecret(obj: OpsManagerApiKey, secret: V1Secret | undefined): SecretView {
  if (!secret) return { state: 'absent' };
  if (!isOwnedBy(secret, obj)) return { state: 'foreign' };
  const reading = readSecret(secret);
  let matchesDesired = true;
  if (reading.pairIntact) {
    try {
      matchesDesired = secretMatches(secret, buildSecret(obj, materialFromSecret(secret)));
    } catch {
      matchesDesired = true; // a template error is reported on its own
    }
  }
  return { state: 'ours', reading, matchesDesired };
}

/**
 * Reads the Secret: from the cache when it is there, live otherwise (a Secret we do not own is
 * not in the cache, and a miss may be informer lag). `live` says whether the API server answered.
 */
export async function loadSecret(deps: KeyControllerDeps, obj: OpsManagerApiKey, live: boolean): Promise<{ value: V1Secret | undefined; live: boolean }> {
  const ns = obj.metadata.namespace ?? '';
  const name = secretName(obj);
  if (!live) {
    const cached = deps.cachedSecret(ns, name);
    if (cached) return { value: cached, live: false };
  }
  return { value: await deps.secrets.get(ns, name), live: true };
}

/** Everything decide needs that does not require Ops Manager. */
export function localView(deps: KeyControllerDeps, obj: OpsManagerApiKey, secret: V1Secret | undefined): Gathered {
  let templateError: string | undefined;
  try {
    checkTemplate(obj);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    templateError = err.message;
  }
  const ns = obj.metadata.namespace ?? '';
  return {
    obj,
    now: new Date(deps.clock.now()),
    policy: checkPolicy(deps.policy, ns, deps.connections.usesDefault(obj), obj.spec.roles),
    ...(templateError ? { templateError } : {}),
    secret: viewSecret(obj, secret),
    remote: { state: 'unread' },
    pendingKeyIds: [],
  };
}

/** Whether deciding needs Ops Manager's view of the key named by the Secret. */
export function needsRemote(g: Gathered): boolean {
  if (g.obj.metadata.deletionTimestamp || g.obj.status?.pendingCreate) return false;
  return g.secret.state === 'ours' && g.secret.reading.pairIntact && g.secret.reading.keyId !== undefined;
}

/** Adds Ops Manager's side: the key the Secret names, and any keys left pending by a lost create. */
export async function remoteView(conn: Connection, local: Gathered, secret: V1Secret | undefined): Promise<World> {
  const obj = local.obj;
  const knownOrgId = obj.spec.orgId ?? secret?.metadata?.annotations?.[ANNOTATION_ORG_ID];
  const g: Gathered = { ...local };
  let orgId = knownOrgId;
  if (needsRemote(local) && local.secret.state === 'ours' && local.secret.reading.keyId) {
    g.remote = await readRemoteKey(conn.client, obj, local.secret.reading.keyId, knownOrgId);
    if (g.remote.state === 'present') orgId = g.remote.key.orgId ?? orgId;
  }
  if (obj.status?.pendingCreate) {
    const pending = await findPendingKeys(conn.client, obj);
    g.pendingKeyIds = pending.map((k) => k.id);
    orgId = orgId ?? pending.find((k) => k.orgId)?.orgId;
  }
  return { g, ...(secret ? { secret } : {}), ...(orgId ? { orgId } : {}) };
}
