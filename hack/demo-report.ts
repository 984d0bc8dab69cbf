// What `make demo` shows: resources, the Secret (private key redacted), how to poke at it.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, OPS_MANAGER_API_KEY_PLURAL, PROJECT_KEY_BINDING_PLURAL, VERSION, type Condition } from '../src/api/types.ts';
import { statusOf } from '../tools/envtest/crds.ts';

export interface DemoResource {
  kind: 'OpsManagerApiKey' | 'ProjectKeyBinding';
  name: string;
  namespace: string;
}

export interface ResourceState {
  resource: DemoResource;
  generation: number;
  ready?: Condition;
  conditions: Condition[];
  publicKey?: string;
  secretName?: string;
  roles: string[];
}

/** Shows the start of a secret and hides the rest, so a reader can match it without learning it. */
export function redact(value: string): string {
  return value.length <= 8 ? '****' : `${value.slice(0, 4)}****`;
}

export async function readState(kc: KubeConfig, r: DemoResource): Promise<ResourceState | undefined> {
  const plural = r.kind === 'OpsManagerApiKey' ? OPS_MANAGER_API_KEY_PLURAL : PROJECT_KEY_BINDING_PLURAL;
  let obj: { metadata?: { generation?: number }; status?: { conditions?: Condition[]; publicKey?: string; secretName?: string; roles?: string[] } };
  try {
    obj = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: r.namespace, plural, name: r.name })) as typeof obj;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
  const conditions = obj.status?.conditions ?? [];
  return {
    resource: r,
    generation: obj.metadata?.generation ?? 0,
    ready: conditions.find((c) => c.type === 'Ready'),
    conditions,
    publicKey: obj.status?.publicKey,
    secretName: obj.status?.secretName,
    roles: obj.status?.roles ?? [],
  };
}

/** Ready=True for the current generation. */
export function isReady(s: ResourceState | undefined): boolean {
  return s?.ready?.status === 'True' && s.ready.observedGeneration === s.generation;
}

export function describeState(r: DemoResource, s: ResourceState | undefined): string {
  const head = `${r.kind}/${r.name}`;
  if (!s) return `${head}: not found`;
  if (s.conditions.length === 0) return `${head}: no status yet (not reconciled)`;
  return `${head}: ${s.conditions.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`).join(', ')}`;
}

export function resourceTable(states: ResourceState[]): string {
  const rows = states.map((s) => [
    `${s.resource.kind === 'OpsManagerApiKey' ? 'omkey' : 'pkb'}/${s.resource.name}`,
    s.ready?.status ?? '-',
    s.publicKey ?? '-',
    s.roles.join(',') || '-',
    s.secretName ?? '-',
  ]);
  const all = [['RESOURCE', 'READY', 'PUBLIC KEY', 'ROLES (in Ops Manager)', 'SECRET'], ...rows];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) => `  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd()).join('\n');
}

/**
 * The Secret's keys and values, decoded; the private key, and any other value equal to it
 * (a template's MCLI_PRIVATE_API_KEY), redacted.
 */
export async function secretReport(kc: KubeConfig, namespace: string, name: string): Promise<{ text: string; publicKey: string; privateKey: string; keyId: string }> {
  const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name });
  const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  const privateKey = data.privateKey ?? '';
  const width = Math.max(...Object.keys(data).map((k) => k.length));
  const lines = Object.keys(data)
    .sort()
    .map((k) => {
      const v = data[k] ?? '';
      const shown = privateKey && v.includes(privateKey) ? `${redact(privateKey)}   (redacted; ${privateKey.length} characters)` : v;
      return `    ${k.padEnd(width)}  ${shown}`;
    });
  const owner = secret.metadata?.ownerReferences?.[0];
  const header = `  Secret ${namespace}/${name} (type ${secret.type ?? 'Opaque'}, owned by ${owner ? `${owner.kind}/${owner.name}` : 'nobody'})`;
  return { text: [header, ...lines].join('\n'), publicKey: data.publicKey ?? '', privateKey, keyId: data.keyId ?? '' };
}
