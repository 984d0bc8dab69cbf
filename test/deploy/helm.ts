// Runs the real helm (built by hack/build-helm.sh) on charts/omkeys.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './compiled.ts';
import type { Obj } from './manifest-checks.ts';
import { toolBin } from './tool-bins.ts';

export const chartDir = path.join(repoRoot, 'charts', 'omkeys');

export interface Run { code: number; out: string; stdout: string }

/** helm (Helm 4; `tool: 'helm3'` for Helm 3) with `args`; never throws for a non-zero exit (the result says it). */
export async function helm(args: string[], opts: { kubeconfig?: string; timeoutMs?: number; tool?: 'helm' | 'helm3' } = {}): Promise<Run> {
  // Helm keeps its caches and repository config under these; none of the developer's are read.
  const home = mkdtempSync(path.join(os.tmpdir(), 'omkeys-helm-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
  if (opts.kubeconfig) env.KUBECONFIG = opts.kubeconfig;
  try {
    const { stdout, stderr } = await promisify(execFile)(toolBin(opts.tool ?? 'helm'), args, { cwd: repoRoot, env, encoding: 'utf8', maxBuffer: 16 << 20, timeout: opts.timeoutMs ?? 120_000 });
    return { code: 0, out: stdout + stderr, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: (e.stdout ?? '') + (e.stderr ?? e.message ?? ''), stdout: e.stdout ?? '' };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Runs `fn` with the values written to a file for `-f`, so nested values need no --set escaping.
 * As JSON: Helm reads YAML 1.1, where a plain `yes` or `y` would turn into a boolean.
 */
export async function withValuesFile<T>(values: Record<string, unknown>, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-values-'));
  try {
    const file = path.join(dir, 'values.yaml');
    writeFileSync(file, JSON.stringify(values));
    return await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const release = { name: 'omkeys', namespace: 'mongodb-ops' };

/** `helm template` of the chart; throws with helm's output when it fails. */
export async function renderText(values: Record<string, unknown> = {}, rel = release): Promise<string> {
  const r = await withValuesFile(values, (f) => helm(['template', rel.name, chartDir, '--namespace', rel.namespace, '-f', f]));
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}):\n${r.out}`);
  return r.stdout;
}

/** The rendered objects (empty documents dropped), parsed as the API server reads YAML. */
export async function renderObjects(values: Record<string, unknown> = {}, rel = release): Promise<Obj[]> {
  return parseDocs(await renderText(values, rel));
}

export function parseDocs(text: string): Obj[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((d) => {
      if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
      return d.toJS() as Obj | null;
    })
    .filter((d): d is Obj => d !== null);
}

/** Every optional value turned on (the same set the server dry-run and the unit tests use). */
export const everyOptionalValue: Record<string, unknown> = {
  connection: {
    create: true,
    baseUrl: 'https://om.example:8443',
    caSecret: { name: 'om-ca' },
    policy: { grants: [{ namespaces: { names: ['a'], selector: { matchLabels: { team: 'a' } } }, organizations: ['5f0000000000000000000009'], roles: ['ORG_MEMBER'], maxKeys: 5, adoption: 'Rotate' }] },
  },
  watchNamespaces: ['a', 'b'],
  connectionSecretNamespaces: ['vault'],
  namespacedConnectionHosts: ['om.example'],
  imagePullSecrets: [{ name: 'regcred' }],
  podAnnotations: { 'example.com/enabled': 'yes', 'example.com/x': 'y' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ops', effect: 'NoSchedule' }],
  podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
  serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' }, additionalLabels: { team: 'platform' } },
};
