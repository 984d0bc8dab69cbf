import { readFileSync } from 'node:fs';
import { KubernetesObjectApi, loadAllYaml, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { statusOf } from '../../../tools/envtest/crds.ts';

/** Creates or replaces every object of a multi-document YAML file, like `kubectl apply` for tests. */
export async function applyFile(kc: KubeConfig, file: string, substitute: Record<string, string> = {}): Promise<KubernetesObject[]> {
  let text = readFileSync(file, 'utf8');
  for (const [k, v] of Object.entries(substitute)) text = text.replaceAll(`\${${k}}`, v);
  const objs = (loadAllYaml(text) as Array<KubernetesObject | null>).filter((o): o is KubernetesObject => !!o?.kind);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const out: KubernetesObject[] = [];
  for (const obj of objs) {
    try {
      out.push(await api.create(obj));
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const existing = await api.read(obj as KubernetesObject & { metadata: { name: string; namespace: string } });
      out.push(await api.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: existing.metadata?.resourceVersion } }));
    }
  }
  return out;
}
