import path from 'node:path';
import { ControlPlane } from '../../tools/envtest/control-plane.ts';
import { installCrds } from '../../tools/envtest/crds.ts';
import { TestEnv } from '../../tools/envtest/env.ts';
import { Kube } from '../../test/integration/support/kube.ts';
import { OperatorProcess, repoRoot } from '../../test/integration/support/operator-process.ts';
import { startSimulator, type SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { ResourceTracker } from './tracker.ts';

export interface BenchEnv {
  plane: ControlPlane;
  env: TestEnv;
  sim: SimHandle;
  op: OperatorProcess;
  kube: Kube;
  tracker: ResourceTracker;
  /** The operator settings it was started with (OMKEYS_*), for the report. */
  operatorEnv: Record<string, string>;
  /** The processes whose CPU the bench reports. */
  pids(): Record<string, number | undefined>;
  close(): Promise<void>;
}

/**
 * A fresh control plane with the CRDs, the simulator in this process (so faults and stats are
 * direct calls) and the operator as its own process under deploy/rbac.yaml, exactly as the
 * integration tests run it; plus a watch-based tracker started before any object exists.
 */
export async function startBenchEnv(opts: { binDir: string; operatorEnv: Record<string, string>; log: (s: string) => void }): Promise<BenchEnv> {
  const t0 = performance.now();
  const plane = new ControlPlane({ binDir: opts.binDir });
  try {
    await plane.start();
  } catch (err) {
    console.error(plane.logs(60));
    throw err;
  }
  const env = new TestEnv(plane);
  await installCrds(env.kc, path.join(repoRoot, 'crds'));
  opts.log(`control plane + CRDs ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${plane.dir})`);
  const tracker = new ResourceTracker(env.kc);
  await tracker.start();
  const sim = await startSimulator({ admin: true });
  let op: OperatorProcess;
  try {
    op = await OperatorProcess.start(env, sim, { env: opts.operatorEnv });
  } catch (err) {
    tracker.stop();
    await sim.close();
    await plane.stop();
    throw err;
  }
  opts.log(`operator pid ${op.pid ?? '?'} started (log ${op.logPath}); simulator ${sim.url}`);
  return {
    plane,
    env,
    sim,
    op,
    kube: new Kube(env),
    tracker,
    operatorEnv: opts.operatorEnv,
    pids: () => ({ operator: op.pid, ...plane.pids() }),
    close: async () => {
      tracker.stop();
      await op.stop();
      await sim.close();
      await plane.stop({ keepDir: process.env.OMKEYS_KEEP_CP === '1' });
    },
  };
}
