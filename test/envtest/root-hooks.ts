import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'mocha';
import { ControlPlane } from '../../tools/envtest/control-plane.ts';
import { installCrds } from '../../tools/envtest/crds.ts';
import { TestEnv, setTestEnv, testEnv } from '../../tools/envtest/env.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let plane: ControlPlane | undefined;

// Mocha root hooks: one control plane for the whole integration run, a report of its logs when a test fails.
export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    this.timeout(240_000);
    const binDir = process.env.OMKEYS_CP_BIN;
    if (!binDir) throw new Error('OMKEYS_CP_BIN is not set: run `make integration` (it builds the control plane first)');
    const started = Date.now();
    plane = new ControlPlane({ binDir });
    try {
      await plane.start();
    } catch (err) {
      console.error(plane.logs(120));
      throw err;
    }
    const env = new TestEnv(plane);
    await installCrds(env.kc, path.join(repoRoot, 'crds'));
    setTestEnv(env);
    console.log(`  control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${plane.dir})`);
  },

  async afterEach(this: Context): Promise<void> {
    if (this.currentTest?.state === 'failed' && plane) {
      console.error(`\n  control-plane logs after failure of "${this.currentTest.fullTitle()}":\n${plane.logs(40)}`);
    }
    await testEnv().cleanupNamespaces();
  },

  async afterAll(this: Context): Promise<void> {
    this.timeout(60_000);
    setTestEnv(undefined);
    await plane?.stop({ keepDir: process.env.OMKEYS_KEEP_CP === '1' });
  },
};
