// Heap held by a cache of N managed Secrets (default 10,000), as the operator's informer holds
// them: whole (data included) or through its transform (dropSecretData: metadata and facts).
// `node --expose-gc --import tsx bench/secret-cache-heap.ts [--secrets 10000]`; prints one JSON object.
// Each Secret is what the operator writes (buildSecret), as the API server sends it back (JSON,
// with uid, resourceVersion, creationTimestamp; managedFields dropped as the informer does).
import { parseArgs } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey } from '../src/api/types.ts';
import { buildSecret } from '../src/controllers/opsmanagerapikey/secret-builder.ts';
import { dropSecretData } from '../src/controllers/opsmanagerapikey/secret-facts.ts';

const { values } = parseArgs({ options: { secrets: { type: 'string', default: '10000' } } });
const n = Number(values.secrets);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const mib = (b: number): number => Math.round((b / 1024 / 1024) * 10) / 10;

function wire(i: number): string {
  const obj: OpsManagerApiKey = {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'OpsManagerApiKey',
    metadata: { name: `bench-key-${i}`, namespace: `bench-${i % 25}`, uid: crypto.randomUUID(), generation: 1 },
    spec: { orgId: '5f0c3b7c2e9a1b0001a1b2c3', roles: ['ORG_READ_ONLY'] },
  };
  const s = buildSecret(obj, { keyId: `${i.toString(16).padStart(24, '0')}`, publicKey: Math.random().toString(36).slice(2, 10), privateKey: crypto.randomUUID(), baseUrl: 'http://127.0.0.1:39999', orgId: '5f0c3b7c2e9a1b0001a1b2c3' });
  s.metadata = { ...s.metadata, uid: crypto.randomUUID(), resourceVersion: String(100_000 + i), creationTimestamp: new Date() };
  return JSON.stringify(s);
}

function heldBy(transform: (s: V1Secret) => V1Secret): number {
  const texts = Array.from({ length: n }, (_, i) => wire(i));
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const store = new Map<string, V1Secret>();
  for (const t of texts) {
    const s = transform(JSON.parse(t) as V1Secret);
    store.set(`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s);
  }
  // The texts stay alive until after the reading: only the parsed objects count.
  gc?.();
  const used = process.memoryUsage().heapUsed - before;
  texts.length = 0;
  if (store.size !== n) throw new Error('lost objects');
  return used;
}

const whole = heldBy((s) => s);
const metadataOnly = heldBy(dropSecretData);
console.log(JSON.stringify({ secrets: n, wholeMiB: mib(whole), metadataAndFactsMiB: mib(metadataOnly), perSecretBytes: { whole: Math.round(whole / n), metadataAndFacts: Math.round(metadataOnly / n) } }));
