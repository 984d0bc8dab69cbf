import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ApiextensionsV1Api, loadAllYaml, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { waitFor } from './process.ts';

/** Applies every CRD in `dir` and waits until each is Established and served by discovery, as envtest does. */
export async function installCrds(kc: KubeConfig, dir: string, timeoutMs = 60_000): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds: V1CustomResourceDefinition[] = [];
  if (!existsSync(dir)) return [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    // loadAllYaml maps wire names (x-kubernetes-validations, default, ...) to the typed client's
    // property names; a plain YAML parse would have them silently dropped on serialisation.
    for (const doc of loadAllYaml(readFileSync(path.join(dir, file), 'utf8'))) {
      const obj = doc as V1CustomResourceDefinition | null;
      if (obj?.kind === 'CustomResourceDefinition') crds.push(obj);
    }
  }
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    try {
      const existing = await api.readCustomResourceDefinition({ name });
      crd.metadata = { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion };
      await api.replaceCustomResourceDefinition({ name, body: crd });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      await api.createCustomResourceDefinition({ body: crd });
    }
  }
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await waitFor(`CRD ${name} Established`, async () => {
      const got = await api.readCustomResourceDefinition({ name });
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, timeoutMs);
    const version = crd.spec.versions.find((v) => v.served)?.name ?? '';
    await waitFor(`${name} in discovery`, async () => {
      const res = await fetchDiscovery(kc, `/apis/${crd.spec.group}/${version}`);
      return res.includes(`"${crd.spec.names.plural}"`);
    }, timeoutMs);
  }
  return crds.map((c) => c.metadata?.name ?? '');
}

async function fetchDiscovery(kc: KubeConfig, p: string): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const opts: { headers?: Record<string, string> } & Record<string, unknown> = {};
  await kc.applyToHTTPSOptions(opts);
  const { default: https } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.get(`${cluster.server}${p}`, { ...opts, rejectUnauthorized: !cluster.skipTLSVerify }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : ''));
    });
    req.on('error', reject);
  });
}

export function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}
