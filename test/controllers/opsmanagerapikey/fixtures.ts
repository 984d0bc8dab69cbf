import { FINALIZER, type OpsManagerApiKey, type OpsManagerApiKeySpec, type OpsManagerApiKeyStatus } from '../../../src/api/types.ts';
import type { Gathered, RemoteKey } from '../../../src/controllers/opsmanagerapikey/decide.ts';

export const ORG = '5f0c3b7c2e9a1b0001a1b2c3';
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

export function remote(over: Partial<RemoteKey> = {}): RemoteKey {
  return { id: 'key-1', publicKey: 'abcdefgh', desc: 'team-a/k', roles: ['ORG_READ_ONLY'], accessList: [], orgId: ORG, ...over };
}

export function gathered(obj: OpsManagerApiKey, over: Partial<Gathered> = {}): Gathered {
  return {
    obj,
    now: NOW,
    policy: { allowed: true },
    secret: { state: 'ours', reading: { keyId: 'key-1', publicKey: 'abcdefgh', pairIntact: true }, matchesDesired: true },
    remote: { state: 'present', key: remote() },
    pendingKeyIds: [],
    ...over,
  };
}
