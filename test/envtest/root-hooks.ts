import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'mocha';
import { ControlPlane } from '../../tools/envtest/control-plane.ts';
import { installCrds } from '../../tools/envtest/crds.ts';
import { TestEnv, setTestEnv, testEnv } from '../../tools/envtest/env.ts';
import { keepLogsOnlyOnFailure, logStarted, logStopped, logsWrittenSince, runLogDir } from './run-logs.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let plane: ControlPlane | undefined;
let testStartedAt = 0;

function printLogPaths(what: string, files: readonly string[]): void {
  console.error(`\n  ${what}; logs written meanwhile:\n${files.map((f) => `    ${f}`).join('\n')}`);
}

// Mocha root hooks: one control plane for the whole integration run; its logs (and the
// operators') go to files, and only their paths are printed, when a test fails.
export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    this.timeout(240_000);
    const binDir = process.env.OMKEYS_CP_BIN;
    if (!binDir) throw new Error('OMKEYS_CP_BIN is not set: run `make integration` (it builds the control plane first)');
    const started = Date.now();
    if (this.test?.parent) keepLogsOnlyOnFailure(this.test.parent);
    plane = new ControlPlane({ binDir, logDir: runLogDir() });
    for (const f of plane.logFiles()) logStarted(f);
    try {
      await plane.start();
    } catch (err) {
      printLogPaths('the control plane did not start', plane.logFiles());
      throw err;
    }
    const env = new TestEnv(plane);
    await installCrds(env.kc, path.join(repoRoot, 'crds'));
    setTestEnv(env);
    console.log(`  control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${plane.dir})`);
  },

  beforeEach(): void {
    testStartedAt = Date.now();
  },

  async afterEach(this: Context): Promise<void> {
    if (this.currentTest?.state === 'failed') {
      printLogPaths(`"${this.currentTest.fullTitle()}" failed`, logsWrittenSince(testStartedAt));
    }
    await testEnv().cleanupNamespaces();
  },

  async afterAll(this: Context): Promise<void> {
    this.timeout(60_000);
    setTestEnv(undefined);
    await plane?.stop({ keepDir: process.env.OMKEYS_KEEP_CP === '1' });
    for (const f of plane?.logFiles() ?? []) logStopped(f);
  },
};
