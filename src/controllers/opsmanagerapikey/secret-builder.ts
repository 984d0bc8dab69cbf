import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import {
  ANNOTATION_KEY_ID,
  API_VERSION,
  LABEL_MANAGED_BY,
  MANAGED_BY_VALUE,
  OPS_MANAGER_API_KEY_KIND,
  RESERVED_SECRET_KEYS,
  type OpsManagerApiKey,
} from '../../api/types.ts';
import { formatPendingTag } from './pending-tag.ts';

/** Beside ANNOTATION_KEY_ID on the Secret: the hash that lets the operator notice a hand-edited pair. */
export const ANNOTATION_PAIR_HASH = 'omkeys.io/pair-sha256';
/**
 * The digest of the data as the operator wrote it, and of the template it rendered it from:
 * with them, "this Secret is what we wrote and what the spec renders" is decidable from a
 * cache that holds only the Secret's metadata (see secret-facts.ts).
 */
export const ANNOTATION_DATA_HASH = 'omkeys.io/data-sha256';
export const ANNOTATION_TEMPLATE_HASH = 'omkeys.io/template-sha256';
/** Part of the template digest: a change of how templates render must change it, and so re-render every Secret. */
const RENDER_VERSION = 'v1';

export interface KeyMaterial {
  keyId: string;
  publicKey: string;
  privateKey: string;
  baseUrl: string;
  orgId?: string;
  projectId?: string;
}

export class TemplateError extends Error {
  readonly code = 'INVALID_TEMPLATE';
}

export function desiredDescription(obj: OpsManagerApiKey): string {
  return obj.spec.description ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/**
 * The description a key carries between its creation and the moment its pair is safe in the
 * Secret. If the create's answer is lost (crash, dropped connection), this tag is how the
 * key is found again and deleted, so no orphan survives. With the cluster's identity it also
 * names the namespace and the cluster, so that the janitor can prove the resource gone when
 * the resource itself was lost (pending-tag.ts).
 */
export function pendingTag(obj: OpsManagerApiKey, cluster?: string): string {
  const uid = obj.metadata.uid ?? '';
  const namespace = obj.metadata.namespace ?? '';
  return formatPendingTag(cluster && namespace ? { uid, where: { namespace, cluster } } : { uid });
}

export function secretName(obj: OpsManagerApiKey): string {
  return obj.spec.secret?.name ?? obj.metadata.name ?? '';
}

/** SHA-256 of the pair; stored beside it in the Secret so an edit of either half is noticed. */
export function pairHash(publicKey: string, privateKey: string): string {
  return createHash('sha256').update(`${publicKey}:${privateKey}`).digest('hex');
}

const PLACEHOLDER = /\{\{\s*\.([A-Za-z]+)\s*\}\}/g;

/** `{{ .publicKey }}`-style placeholders only: templates are data, never code. */
export function renderTemplateValue(template: string, values: KeyMaterial): string {
  const known: Record<string, string | undefined> = { ...values };
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    const v = known[name];
    if (v === undefined) {
      throw new TemplateError(`unknown placeholder {{ .${name} }} in spec.secret.template.data (known: publicKey, privateKey, baseUrl, keyId, orgId, projectId)`);
    }
    return v;
  });
}

/** Validates the template without key material, so a bad template is refused before a key is minted. */
export function checkTemplate(obj: OpsManagerApiKey): void {
  const probe: KeyMaterial = { keyId: 'k', publicKey: 'p', privateKey: 'x', baseUrl: 'u' };
  if (obj.spec.orgId) probe.orgId = 'o';
  if (obj.spec.projectId) probe.projectId = 'g';
  for (const v of Object.values(obj.spec.secret?.template?.data ?? {})) renderTemplateValue(v, probe);
}

/** SHA-256 of a Secret's data map (base64 values, as the API server keeps them), independent of key order. */
export function dataDigest(data: Record<string, string> | undefined): string {
  const entries: Array<[string, string]> = Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('base64')]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

function templateEntries(obj: OpsManagerApiKey): Array<[string, string]> {
  return Object.entries(obj.spec.secret?.template?.data ?? {}).filter(([k]) => !(RESERVED_SECRET_KEYS as readonly string[]).includes(k));
}

/** SHA-256 of what the spec's template renders the data from (its data entries; labels and annotations are compared as they are). */
export function templateDigest(obj: OpsManagerApiKey): string {
  const entries = templateEntries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify([RENDER_VERSION, entries])).digest('hex');
}

/**
 * The labels and annotations the operator writes on the Secret: the template's, ours over them.
 * `hashes` are those of the data written (pair and data digests).
 */
export function secretMetadata(
  obj: OpsManagerApiKey,
  keyId: string | undefined,
  hashes: { pair: string | undefined; data: string | undefined },
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const template = obj.spec.secret?.template;
  const annotations: Record<string, string> = { ...(template?.annotations ?? {}), [ANNOTATION_TEMPLATE_HASH]: templateDigest(obj) };
  if (keyId !== undefined) annotations[ANNOTATION_KEY_ID] = keyId;
  if (hashes.pair !== undefined) annotations[ANNOTATION_PAIR_HASH] = hashes.pair;
  if (hashes.data !== undefined) annotations[ANNOTATION_DATA_HASH] = hashes.data;
  return { labels: { ...(template?.labels ?? {}), [LABEL_MANAGED_BY]: MANAGED_BY_VALUE }, annotations };
}

/**
 * The whole desired Secret (string data); the caller decides whether to create or update it.
 * What it says is output: the operator never reads a key to act on back from it.
 */
export function buildSecret(obj: OpsManagerApiKey, km: KeyMaterial): V1Secret {
  const data: Record<string, string> = {};
  for (const [k, v] of templateEntries(obj)) data[k] = renderTemplateValue(v, km);
  data.publicKey = km.publicKey;
  data.privateKey = km.privateKey;
  data.baseUrl = km.baseUrl;
  data.keyId = km.keyId;
  if (km.orgId) data.orgId = km.orgId;
  if (km.projectId) data.projectId = km.projectId;
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
  const meta = secretMetadata(obj, km.keyId, { pair: pairHash(km.publicKey, km.privateKey), data: dataDigest(encoded) });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretName(obj),
      namespace: obj.metadata.namespace,
      labels: meta.labels,
      annotations: meta.annotations,
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: OPS_MANAGER_API_KEY_KIND,
          name: obj.metadata.name ?? '',
          uid: obj.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    data: encoded,
  };
}

/** Key material as our Secret holds it, to re-render the Secret without a new key. */
export function materialFromSecret(secret: V1Secret): KeyMaterial {
  // The cache's copy has no data: re-rendering from it would write an empty pair.
  if (secret.data === undefined) throw new Error('internal: key material asked of a Secret without data (a cached copy)');
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

export function decodeSecretData(secret: V1Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** Whether `secret` is controlled by `obj` (a Secret of the same name owned by anyone else is never touched). */
export function isOwnedBy(secret: V1Secret, obj: OpsManagerApiKey): boolean {
  return (secret.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === obj.metadata.uid);
}

/** What can be read back from our Secret: the key it holds, and whether its pair is intact. */
export interface SecretReading {
  keyId?: string;
  publicKey?: string;
  /** False when a half is missing or the pair no longer matches the hash written with it. */
  pairIntact: boolean;
}

export function readSecret(secret: V1Secret): SecretReading {
  const data = decodeSecretData(secret);
  const hash = secret.metadata?.annotations?.[ANNOTATION_PAIR_HASH];
  const keyId = data.keyId ?? secret.metadata?.annotations?.[ANNOTATION_KEY_ID];
  const intact = data.publicKey !== undefined && data.privateKey !== undefined && hash === pairHash(data.publicKey, data.privateKey);
  return { keyId, publicKey: data.publicKey, pairIntact: intact };
}

/** Whether `actual` matches `desired` once the operator's own digest annotations are left out of the comparison. */
export function secretMatchesBarDigests(actual: V1Secret, desired: V1Secret): boolean {
  const annotations = { ...desired.metadata?.annotations };
  delete annotations[ANNOTATION_DATA_HASH];
  delete annotations[ANNOTATION_TEMPLATE_HASH];
  return secretMatches(actual, { ...desired, metadata: { ...desired.metadata, annotations } });
}

/** True when the Secret already carries exactly what `desired` would write (no update needed). */
export function secretMatches(actual: V1Secret, desired: V1Secret): boolean {
  const sameMap = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
    const ea = Object.entries(a ?? {}).sort();
    const eb = Object.entries(b ?? {}).sort();
    return JSON.stringify(ea) === JSON.stringify(eb);
  };
  const subset = (want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean =>
    Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
  return (
    sameMap(actual.data, desired.data) &&
    subset(desired.metadata?.labels, actual.metadata?.labels) &&
    subset(desired.metadata?.annotations, actual.metadata?.annotations)
  );
}
