// How the image runs the operator, read from the files that define it, so the bench runs it the same way.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The runtime stage's ENV of a Dockerfile (the last FROM onwards): `ENV A=1 B="x y"`, as Docker
 * reads it (double-quoted values may hold spaces). The legacy `ENV A 1` form is read too.
 */
export function dockerfileEnv(text: string): Record<string, string> {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim());
  const from = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  const env: Record<string, string> = {};
  for (const line of lines.slice(Math.max(0, from))) {
    const m = /^ENV\s+(.*)$/i.exec(line);
    if (!m?.[1]) continue;
    const rest = m[1].trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
      const [k = '', ...v] = rest.split(/\s+/);
      env[k] = v.join(' ');
      continue;
    }
    for (const kv of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      const raw = kv[2] ?? '';
      env[kv[1] ?? ''] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    }
  }
  return env;
}

/** A Kubernetes quantity of memory (`384Mi`, `1Gi`, `400M`, `402653184`) in MiB. */
export function quantityMiB(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (!m?.[1]) throw new Error(`not a memory quantity: ${q}`);
  const factor: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return (Number(m[1]) * (factor[m[2] ?? ''] ?? NaN)) / 1024 ** 2;
}

/** `resources.limits.memory` of the chart's values.yaml (the only `limits:` block there). */
export function chartMemoryLimit(valuesYaml: string): string {
  const m = /^resources:\n(?:[ \t]+.*\n)*?[ \t]+limits:\n(?:[ \t]+.*\n)*?[ \t]+memory:\s*(\S+)/m.exec(valuesYaml);
  if (!m?.[1]) throw new Error('no resources.limits.memory in the chart values');
  return m[1];
}

export interface ImageRuntime {
  /** The runtime stage's ENV (NODE_ENV, NODE_OPTIONS): the operator process gets exactly these. */
  env: Record<string, string>;
  /** The pod's memory limit as the chart sets it. */
  memoryLimit: string;
  memoryLimitMiB: number;
}

export function imageRuntime(root: string): ImageRuntime {
  const env = dockerfileEnv(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  const memoryLimit = chartMemoryLimit(readFileSync(path.join(root, 'charts', 'omkeys', 'values.yaml'), 'utf8'));
  return { env, memoryLimit, memoryLimitMiB: quantityMiB(memoryLimit) };
}
