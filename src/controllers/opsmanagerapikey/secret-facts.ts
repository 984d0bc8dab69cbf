import type { V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey } from '../../api/types.ts';
import { ANNOTATION_DATA_HASH, ANNOTATION_PAIR_HASH, dataDigest, readSecret, secretMetadata, type SecretReading } from './secret-builder.ts';

/**
 * What the cache keeps of a managed Secret's data, derived when the Secret arrives: no value
 * of it, only its digest and what the reconcile reads without the pair (the key id, the
 * public key, which status shows anyway, and whether the pair still matches its hash).
 */
export interface SecretFacts {
  reading: SecretReading;
  /** SHA-256 of the data map as the API server sent it (dataDigest). */
  dataDigest: string;
}

// A symbol: never serialized, so neither written back to the API server nor logged.
const FACTS = Symbol('omkeys.secretFacts');
type WithFacts = V1Secret & { [FACTS]?: SecretFacts };

/**
 * The informer's transform for the operator's own Secrets: the facts above are attached and
 * `data` is dropped, in place (the list-watch may hold the same object). A private key then
 * lives in memory only while a reconcile that rewrites its Secret holds a live read of it.
 */
export function dropSecretData(secret: V1Secret): V1Secret {
  const s = secret as WithFacts;
  if (s[FACTS] && s.data === undefined) return s;
  s[FACTS] = { reading: readSecret(secret), dataDigest: dataDigest(secret.data) };
  delete s.data;
  delete s.stringData;
  return s;
}

/** The facts of a Secret from the cache; undefined for a Secret read live (with its data). */
export function cachedFacts(secret: V1Secret): SecretFacts | undefined {
  return (secret as WithFacts)[FACTS];
}

/**
 * Whether a cached Secret is exactly what the operator wrote and what the spec renders now:
 * its data is unchanged since our write (the data digest annotation), it was rendered from
 * the spec's template (the template digest, in secretMetadata) out of the key material the data
 * itself holds, and the labels and annotations are there. False is not "differs": only a live
 * read of the data can tell, and re-render (a Secret written before these annotations, a
 * hand edit, a template change).
 */
export function cachedSecretMatches(obj: OpsManagerApiKey, secret: V1Secret, facts: SecretFacts): boolean {
  const annotations = secret.metadata?.annotations ?? {};
  if (annotations[ANNOTATION_DATA_HASH] !== facts.dataDigest) return false;
  // The pair's hash was checked against the pair itself when the facts were derived (pairIntact).
  const want = secretMetadata(obj, facts.reading.keyId, { pair: annotations[ANNOTATION_PAIR_HASH], data: facts.dataDigest });
  const subset = (w: Record<string, string>, have: Record<string, string> | undefined): boolean => Object.entries(w).every(([k, v]) => have?.[k] === v);
  return subset(want.labels, secret.metadata?.labels) && subset(want.annotations, annotations);
}
