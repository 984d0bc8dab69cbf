import type { ControlPlane } from '../../tools/envtest/control-plane.ts';
import { GROUP, LABEL_MANAGED_BY, MANAGED_BY_VALUE, OPS_MANAGER_API_KEY_PLURAL, PROJECT_KEY_BINDING_PLURAL, VERSION } from '../../src/api/types.ts';

/** What one object of a kind weighs as the API server lists it, on a sample: what an informer that keeps it whole holds. */
export interface ObjectSize {
  kind: string;
  sampled: number;
  /** Mean JSON bytes per object, and the part of it in metadata.managedFields and in data (Secrets). */
  bytes: number;
  managedFieldsBytes: number;
  dataBytes: number;
}

interface Item { metadata?: { managedFields?: unknown }; data?: unknown }

const KINDS: Array<{ kind: string; path: string }> = [
  { kind: 'OpsManagerApiKey', path: `/apis/${GROUP}/${VERSION}/${OPS_MANAGER_API_KEY_PLURAL}` },
  { kind: 'ProjectKeyBinding', path: `/apis/${GROUP}/${VERSION}/${PROJECT_KEY_BINDING_PLURAL}` },
  { kind: 'Secret (managed)', path: `/api/v1/secrets?labelSelector=${encodeURIComponent(`${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`)}` },
];

export async function objectSizes(plane: ControlPlane, sample = 200): Promise<ObjectSize[]> {
  const out: ObjectSize[] = [];
  for (const k of KINDS) {
    const res = await plane.get(`${k.path}${k.path.includes('?') ? '&' : '?'}limit=${sample}`);
    const items = (JSON.parse(res.body) as { items?: Item[] }).items ?? [];
    const n = Math.max(1, items.length);
    const len = (x: unknown): number => (x === undefined ? 0 : Buffer.byteLength(JSON.stringify(x)));
    out.push({
      kind: k.kind,
      sampled: items.length,
      bytes: Math.round(items.reduce((s, i) => s + len(i), 0) / n),
      managedFieldsBytes: Math.round(items.reduce((s, i) => s + len(i.metadata?.managedFields), 0) / n),
      dataBytes: Math.round(items.reduce((s, i) => s + len(i.data), 0) / n),
    });
  }
  return out;
}
