import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { testEnv } from '../../../tools/envtest/env.ts';
import { repoRoot } from './operator-process.ts';

export interface KubectlResult { code: number; out: string }

/** The pinned kubectl (from the control-plane bin dir) as the test API server's admin; never throws for a non-zero exit. */
export async function kubectl(args: string[], stdin?: string): Promise<KubectlResult> {
  const env = testEnv();
  const run = promisify(execFile)(path.join(env.binDir, 'kubectl'), ['--kubeconfig', env.kubeconfigPath, ...args], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (stdin !== undefined) run.child.stdin?.end(stdin);
  try {
    const { stdout, stderr } = await run;
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}
