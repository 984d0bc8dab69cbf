import { testEnv, type TestEnv } from '../../../tools/envtest/env.ts';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { Kube } from './kube.ts';
import { OperatorProcess, type OperatorOptions } from './operator-process.ts';

export interface Suite {
  env: TestEnv;
  sim: SimHandle;
  op: OperatorProcess;
  kube: Kube;
  /** Private keys created during the suite: scanned for in logs, Events and status at the end. */
  privateKeys: Set<string>;
}

/**
 * A simulator and an operator process for one describe block (started in `before`, stopped in
 * `after`); every test still gets its own namespace from the harness.
 */
export function useOperator(opts: OperatorOptions = {}): () => Suite {
  let suite: Suite | undefined;
  let firstNamespace = 0;
  before(async function () {
    this.timeout(120_000);
    const env = testEnv();
    firstNamespace = env.history.length;
    const sim = await startSimulator({ admin: true });
    const op = await OperatorProcess.start(env, sim, opts);
    suite = { env, sim, op, kube: new Kube(env), privateKeys: new Set() };
  });
  // A failing test gets the operator log's path from the root hooks (test/envtest/root-hooks.ts).
  after(async function () {
    this.timeout(150_000);
    // This suite's operator finishes the clean-up of this suite's namespaces (with its own
    // simulator) before it stops, so no half-deleted resource is left for the next suite.
    if (suite) {
      await suite.env.cleanupNamespaces();
      const stuck = await suite.env.waitForNamespacesGone(suite.env.history.slice(firstNamespace), 90_000);
      if (stuck.length > 0) console.error(`  namespaces still terminating after the suite (finalizers stripped): ${stuck.join(', ')}`);
    }
    await suite?.op.stop();
    await suite?.sim.close();
  });
  return () => {
    if (!suite) throw new Error('suite not started');
    return suite;
  };
}
