import type { V1Secret } from '@kubernetes/client-node';
import { decodeSecretData, type KeyMaterial } from './secret-builder.ts';

/** The organization a key belongs to, kept on the Secret because a project key's org is not in its spec. */
export const ANNOTATION_ORG_ID = 'omkeys.io/org-id';

/** Key material as our Secret holds it, to re-render the Secret without a new key. */
export function materialFromSecret(secret: V1Secret): KeyMaterial {
  const d = decodeSecretData(secret);
  return {
    keyId: d.keyId ?? '',
    publicKey: d.publicKey ?? '',
    privateKey: d.privateKey ?? '',
    baseUrl: d.baseUrl ?? '',
    ...(d.orgId ? { orgId: d.orgId } : {}),
    ...(d.projectId ? { projectId: d.projectId } : {}),
  };
}
