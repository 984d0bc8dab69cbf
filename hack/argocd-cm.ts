// Renders the argocd-cm snippet that ships in the chart (charts/omkeys/argocd/argocd-cm.yaml)
// from the customizations under argocd/resource_customizations, which stay the source: they are
// laid out as Argo CD's own tree so they can be proposed upstream unchanged.
// Usage: npx tsx hack/argocd-cm.ts [--write]   prints the snippet, or writes it into the chart
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const customizationsDir = path.join(repoRoot, 'argocd', 'resource_customizations', 'omkeys.io');
export const snippetPath = path.join(repoRoot, 'charts', 'omkeys', 'argocd', 'argocd-cm.yaml');

/** The kinds and their actions, in the order they appear in the snippet. */
export const customized: Array<{ kind: string; actions: string[] }> = [
  { kind: 'OpsManagerApiKey', actions: ['rotate'] },
  { kind: 'ProjectKeyBinding', actions: [] },
  { kind: 'ClusterOpsManagerConnection', actions: [] },
  { kind: 'OpsManagerConnection', actions: [] },
];

function script(...parts: string[]): string {
  return readFileSync(path.join(customizationsDir, ...parts), 'utf8');
}

/** A YAML literal block (`|`) holding text, each line indented by `pad` spaces. */
function block(text: string, pad: number): string {
  if (!text.endsWith('\n')) throw new Error('scripts must end with a newline');
  const p = ' '.repeat(pad);
  return '|\n' + text.slice(0, -1).split('\n').map((l) => (l === '' ? '' : p + l)).join('\n') + '\n';
}

export function renderArgocdCm(): string {
  let out = `# Argo CD health checks for omkeys.io resources and the "rotate" action of OpsManagerApiKey.
# Generated from argocd/resource_customizations/ by \`npx tsx hack/argocd-cm.ts --write\`; a test
# keeps the two equal. Merge it into Argo CD's own ConfigMap:
#   kubectl -n argocd patch configmap argocd-cm --patch-file argocd-cm.yaml
# or list it under \`patches:\` of the kustomization that installs Argo CD. docs/argocd.md explains it.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
`;
  for (const { kind } of customized) {
    out += `  resource.customizations.health.omkeys.io_${kind}: ${block(script(kind, 'health.lua'), 4)}`;
  }
  for (const { kind, actions } of customized) {
    if (actions.length === 0) continue;
    out += `  resource.customizations.actions.omkeys.io_${kind}: |\n`;
    out += `    discovery.lua: ${block(script(kind, 'actions', 'discovery.lua'), 6)}`;
    out += '    definitions:\n';
    for (const a of actions) out += `      - name: ${a}\n        action.lua: ${block(script(kind, 'actions', a, 'action.lua'), 10)}`;
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) writeFileSync(snippetPath, renderArgocdCm());
  else process.stdout.write(renderArgocdCm());
}
