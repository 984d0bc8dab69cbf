import type { V1Secret } from '@kubernetes/client-node';
import { FINALIZER, type OpsManagerApiKey, type OpsManagerApiKeySpec, type OpsManagerApiKeyStatus } from '../../../src/api/types.ts';
import { ALL_ROLES, TEST_CONNECTION, grantedAccess } from '../support/connection-fixtures.ts';
import type { Decision, Gathered, RemoteKey, Step } from '../../../src/controllers/opsmanagerapikey/plan.ts';

export const ORG = '5f0c3b7c2e9a1b0001a1b2c3';
export const PROJECT = '6a1b2c3d4e5f60718293a4b5';
export const NOW = new Date('2026-11-28T12:00:00Z');

export function key(spec: Partial<OpsManagerApiKeySpec> = {}, status?: OpsManagerApiKeyStatus, meta: Partial<OpsManagerApiKey['metadata']> = {}): OpsManagerApiKey {
  return {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'OpsManagerApiKey',
    metadata: { name: 'k', namespace: 'team-a', uid: 'uid-1', generation: 1, finalizers: [FINALIZER], ...meta },
    spec: { orgId: ORG, roles: ['ORG_READ_ONLY'], ...spec },
    ...(status ? { status } : {}),
  };
}

/** What status says once key-1 is recorded through the default connection. */
export const RECORDED: OpsManagerApiKeyStatus = { keyId: 'key-1', publicKey: 'abcdefgh', connection: 'ClusterOpsManagerConnection/om' };

export function remote(over: Partial<RemoteKey> = {}): RemoteKey {
  return { id: 'key-1', publicKey: 'abcdefgh', desc: 'team-a/k', roles: ['ORG_READ_ONLY'], accessList: [], ...over };
}

const RAW: V1Secret = { metadata: { name: 'k', namespace: 'team-a', resourceVersion: '7' }, data: {} };

/**
 * Our Secret. `legacyFinalizer`: it carries the finalizer an earlier version wrote; `deleting`:
 * being deleted; `publicKey`: the public key of its pair.
 */
export function ours(over: { keyId?: string; publicKey?: string; pairIntact?: boolean; matchesDesired?: boolean; complete?: boolean; legacyFinalizer?: boolean; deleting?: boolean; annotations?: Record<string, string> } = {}): Gathered['secret'] {
  const raw = !over.legacyFinalizer && !over.deleting && over.annotations === undefined ? RAW : {
    ...RAW,
    metadata: {
      ...RAW.metadata,
      ...(over.annotations ? { annotations: over.annotations } : {}),
      ...(over.legacyFinalizer ? { finalizers: ['omkeys.io/secret-protection'] } : {}),
      ...(over.deleting ? { deletionTimestamp: NOW } : {}),
    },
  };
  return {
    state: 'ours',
    raw,
    reading: { keyId: 'keyId' in over ? over.keyId : 'key-1', publicKey: over.publicKey ?? 'abcdefgh', pairIntact: over.pairIntact ?? true },
    matchesDesired: over.matchesDesired ?? true,
    complete: over.complete ?? true,
  };
}

/** Everything read, live: the state of a reconcile that decide can finish. */
export function gathered(obj: OpsManagerApiKey, over: Partial<Gathered> = {}): Gathered {
  return {
    obj,
    live: true,
    now: NOW,
    // As the old default policy was: every role but ORG_OWNER, adoption only with the private key.
    access: grantedAccess([ORG], [PROJECT], { roles: ALL_ROLES.filter((r) => r !== 'ORG_OWNER'), adoption: 'WithPrivateKey' }),
    connections: { spec: TEST_CONNECTION, recorded: TEST_CONNECTION },
    secret: ours(),
    connection: { state: 'read', name: TEST_CONNECTION, baseUrl: 'http://om.example', orgId: ORG, publicKey: 'opsmgrkey' },
    remote: { state: 'present', key: remote() },
    pending: { state: 'read', keyIds: [] },
    bindings: [],
    freshnessMs: 0,
    adopt: { state: 'unread' },
    adoptRivals: [],
    configMap: { state: 'absent' },
    ...over,
  };
}

/** A plan's steps, one short line each, for comparing whole sequences. */
export function stepLines(d: Decision): string[] {
  if (d.kind === 'read') return [`read ${d.reads.join(',')}`];
  return d.plan.steps.map(stepLine);
}

export function stepLine(s: Step): string {
  switch (s.kind) {
    case 'KeyDelete':
      return `KeyDelete ${s.keyId}${s.orUnassignFrom ? ` or unassign from ${s.orUnassignFrom}` : ''}`;
    case 'KeyUpdate':
      return `KeyUpdate ${typeof s.keyId === 'string' ? s.keyId : 'created'}${s.desc !== undefined ? ` desc=${s.desc}` : ''}${s.roles ? ` roles=${s.roles.join(',')}` : ''}`;
    case 'AccessListAdd':
      return `AccessListAdd ${s.entries.map((e) => ('ipAddress' in e ? e.ipAddress : e.cidrBlock)).join(',')}`;
    case 'AccessListRemove':
      return `AccessListRemove ${s.cidr}`;
    case 'ProjectAssign':
      return `ProjectAssign ${s.projectId} ${s.roles.join(',')}`;
    case 'Event':
      return `Event ${s.reason}`;
    case 'Create':
      return `Create ${'projectId' in s.scope ? 'project' : 'org'}`;
    default:
      return s.kind;
  }
}
