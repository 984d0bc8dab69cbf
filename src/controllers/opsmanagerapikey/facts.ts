import { ANNOTATION_ROTATE } from '../../api/types.ts';
import { parseDuration } from '../shared/duration.ts';
import type { Gathered } from './plan.ts';

// Facts about a Gathered value that several decisions share. Pure.

/** Keys a deletion removes from Ops Manager: its own (unless Retain), a grace-period key, keys of a lost create. */
export function finalizeKeyIds(g: Gathered): string[] {
  const current = currentKeyId(g);
  const ids = new Set<string>(g.pending.state === 'read' ? g.pending.keyIds : []);
  const prev = g.obj.status?.previousKeyId;
  if (prev && prev !== current) ids.add(prev);
  if (current && g.obj.spec.deletionPolicy !== 'Retain') ids.add(current);
  if (current && g.obj.spec.deletionPolicy === 'Retain') ids.delete(current);
  return [...ids];
}

export function currentKeyId(g: Gathered): string | undefined {
  return secretKeyId(g) ?? g.obj.status?.keyId;
}

export function secretKeyId(g: Gathered): string | undefined {
  return g.secret.state === 'ours' ? g.secret.reading.keyId : undefined;
}

export function rotationDue(g: Gathered): boolean {
  const every = g.obj.spec.rotation?.every;
  const since = g.obj.status?.rotatedAt;
  if (!every || !since) return false;
  return Date.parse(since) + parseDuration(every) <= g.now.getTime();
}


/** The omkeys.io/rotate value not handled yet, if any: each new value rotates the key once. */
export function rotationRequest(g: Gathered): string | undefined {
  const value = g.obj.metadata.annotations?.[ANNOTATION_ROTATE];
  return value !== undefined && value !== '' && value !== g.obj.status?.lastRotationRequest ? value : undefined;
}

/** Taking over an existing key is under way: asked for, and no key of ours is recorded or in a Secret yet. */
export function adopting(g: Gathered): boolean {
  return g.obj.spec.adopt !== undefined && !g.obj.status?.keyId && g.secret.state !== 'ours';
}
