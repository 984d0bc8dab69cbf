// Phase 4 of `make bench`: keys + ProjectKeyBindings to Ready, once the binding controller exists.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../test/integration/support/operator-process.ts';

export const BINDING_CONTROLLER_DIR = 'src/controllers/projectkeybinding';

/** Whether the ProjectKeyBinding controller has landed (committed), and the evidence either way. */
export function bindingControllerLanded(): { landed: boolean; evidence: string } {
  let log = '';
  try {
    log = execFileSync('git', ['log', '--oneline', '-1', '--', BINDING_CONTROLLER_DIR], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: fall back to the working tree.
  }
  const present = existsSync(path.join(repoRoot, BINDING_CONTROLLER_DIR));
  if (log && present) return { landed: true, evidence: `git log -- ${BINDING_CONTROLLER_DIR}: ${log}` };
  return { landed: false, evidence: `no commit touches ${BINDING_CONTROLLER_DIR}${present ? ' (directory exists, uncommitted)' : ''}` };
}
