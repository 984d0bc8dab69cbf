// The real tools the deploy tests run, each built from its Go module by its hack/build-*.sh into
// the cache outside the clone. `make test` builds them first and passes their paths; run alone,
// a test builds a missing one itself (printing the build's progress) or reuses the cache.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './compiled.ts';

const tools = {
  helm: { env: 'OMKEYS_HELM', script: 'build-helm.sh' },
  helm3: { env: 'OMKEYS_HELM3', script: 'build-helm3.sh' },
  promtool: { env: 'OMKEYS_PROMTOOL', script: 'build-promtool.sh' },
  'lua-test': { env: 'OMKEYS_LUA_TEST', script: 'build-lua-test.sh' },
  'oci-registry': { env: 'OMKEYS_OCI_REGISTRY', script: 'build-oci-registry.sh' },
  kstatus: { env: 'OMKEYS_KSTATUS', script: 'build-kstatus.sh' },
} as const;

export type Tool = keyof typeof tools;

/** Upper bound for a hook that may have to build a tool from cold (helm: several minutes on 2 cores). */
export const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;

const resolved = new Map<Tool, string>();

export function toolBin(tool: Tool): string {
  const known = resolved.get(tool) ?? process.env[tools[tool].env];
  if (known) return known;
  const out = execFileSync(path.join(repoRoot, 'hack', tools[tool].script), { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = out.trim().split('\n').pop() ?? '';
  if (!bin) throw new Error(`hack/${tools[tool].script} printed no path`);
  resolved.set(tool, bin);
  return bin;
}
