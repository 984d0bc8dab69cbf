import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The operator compiled the way the Dockerfile does it, laid out like the image's /app. */
export interface CompiledOperator {
  /** Stands for /app: package.json, node_modules (a link to the repository's), dist/. */
  root: string;
  mainJs: string;
  remove(): void;
}

/**
 * Runs `npm run build` (tsc -p tsconfig.build.json) with its output in a temporary directory
 * instead of dist/, so tests neither need nor disturb a developer's dist/.
 */
export async function compileOperator(): Promise<CompiledOperator> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'omkeys-build-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    await promisify(execFile)(npm, ['run', '--silent', 'build', '--', '--outDir', path.join(root, 'dist')], { cwd: repoRoot, encoding: 'utf8' });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
  copyFileSync(path.join(repoRoot, 'package.json'), path.join(root, 'package.json'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return {
    root,
    mainJs: path.join(root, 'dist', 'main.js'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
