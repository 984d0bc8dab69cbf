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
  /** The data is exactly what the operator last wrote: its digest equals the data digest annotation. */
  asWritten: boolean;
}

// A symbol: never serialized, so neither written back to the API server nor logged.
const FACTS = Symbol('omkeys.secretFacts');
type WithFacts = V1Secret & { [FACTS]?: SecretFacts };

/**
 * The informer's transform for the operator's own Secrets: a copy without `data`, carrying the
 * facts above. A private key then lives in memory only while a reconcile that rewrites its
 * Secret holds a live read of it.
 */
export function dropSecretData(secret: V1Secret): V1Secret {
  if (cachedFacts(secret)) return secret;
  const annotations = secret.metadata?.annotations ?? {};
  const facts: SecretFacts = { reading: readSecret(secret), asWritten: annotations[ANNOTATION_DATA_HASH] === dataDigest(secret.data) };
  // A new object rather than `delete`: an object literal keeps V8's compact layout.
  const out: WithFacts = { apiVersion: secret.apiVersion, kind: secret.kind, metadata: secret.metadata, type: secret.type };
  if (secret.immutable !== undefined) out.immutable = secret.immutable;
  out[FACTS] = facts;
  return out;
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
  if (!facts.asWritten) return false;
  // The pair's hash was checked against the pair itself, and the data's against the data, when
  // the facts were derived: both annotations are taken as they are.
  const want = secretMetadata(obj, facts.reading.keyId, { pair: annotations[ANNOTATION_PAIR_HASH], data: annotations[ANNOTATION_DATA_HASH] });
  const subset = (w: Record<string, string>, have: Record<string, string> | undefined): boolean => Object.entries(w).every(([k, v]) => have?.[k] === v);
  return subset(want.labels, secret.metadata?.labels) && subset(want.annotations, annotations);
}
