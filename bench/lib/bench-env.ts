import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ControlPlane } from '../../tools/envtest/control-plane.ts';
import { installCrds } from '../../tools/envtest/crds.ts';
import { TestEnv } from '../../tools/envtest/env.ts';
import { compileOperator, type CompiledOperator } from '../../test/deploy/compiled.ts';
import { Kube } from '../../test/integration/support/kube.ts';
import { OperatorProcess, repoRoot } from '../../test/integration/support/operator-process.ts';
import { startSimulator, type SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { imageRuntime } from './image-runtime.ts';
import { MemoryCgroup, type CgroupPlacement } from './memory-cgroup.ts';
import { ResourceTracker } from './tracker.ts';

export interface BenchEnv {
  plane: ControlPlane;
  env: TestEnv;
  sim: SimHandle;
  op: OperatorProcess;
  kube: Kube;
  tracker: ResourceTracker;
  /** The environment it was started with: the image's ENV (NODE_ENV, NODE_OPTIONS) and the OMKEYS_* settings. */
  operatorEnv: Record<string, string>;
  /** Whether the operator runs inside a memory cgroup with the pod's limit, and if not why. */
  placement: CgroupPlacement;
  /** That cgroup, to read its peak and change its limit between a stop and a start. */
  cgroup?: MemoryCgroup;
  /** How the operator runs: `node <flags> dist/main.js` in a copy laid out like the image's /app. */
  operatorCommand: string;
  /** Where the operator's process writes CPU profiles (--cpu-prof) and heap snapshots; also its cwd. */
  operatorDir: string;
  /** When the bench started (performance.now()), for the whole run's time. */
  startedAt: number;
  /** The processes whose CPU the bench reports. */
  pids(): Record<string, number | undefined>;
  close(): Promise<void>;
}

export interface BenchEnvOptions {
  binDir: string;
  operatorEnv: Record<string, string>;
  log: (s: string) => void;
  /** Write a V8 CPU profile of every operator process into this directory (node --cpu-prof). */
  cpuProfDir?: string;
  /** Extra node flags for experiments (e.g. --max-old-space-size=256): not how the image runs it. */
  nodeArgs?: string[];
  /** The memory cgroup's limit: the chart's (the default), another for an experiment, or null: none. */
  memoryLimitMiB?: number | null;
  startedAt: number;
}

/**
 * A fresh control plane with the CRDs, the simulator in this process (so faults and stats are
 * direct calls) and the operator compiled (`npm run build`) and run as the image runs it,
 * `node dist/main.js` with the Dockerfile's ENV (NODE_ENV, NODE_OPTIONS), as its own process under
 * deploy/rbac.yaml, inside a memory cgroup with the chart's limit where cgroups are writable
 * (as a kubelet runs the pod); plus a watch-based tracker started before any object exists.
 * `--heapsnapshot-signal` only acts on SIGUSR2.
 */
export async function startBenchEnv(opts: BenchEnvOptions): Promise<BenchEnv> {
  const t0 = performance.now();
  const [compiled, plane] = await Promise.all([compileOperator(), startPlane(opts.binDir)]);
  const env = new TestEnv(plane);
  await installCrds(env.kc, path.join(repoRoot, 'crds'));
  opts.log(`operator compiled (${compiled.mainJs}); control plane + CRDs ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${plane.dir})`);
  const tracker = new ResourceTracker(env.kc);
  await tracker.start();
  const sim = await startSimulator({ admin: true });
  // The image's ENV as the Dockerfile sets it (NODE_OPTIONS included); the flags here are inert until used.
  const image = imageRuntime(repoRoot);
  const operatorEnv = { ...image.env, ...opts.operatorEnv };
  const nodeArgs = ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${compiled.root}`, ...(opts.nodeArgs ?? [])];
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  const limitMiB = opts.memoryLimitMiB === undefined ? image.memoryLimitMiB : opts.memoryLimitMiB;
  const made = limitMiB === null ? { reason: 'the bench was asked for none (--memory-limit none)' } : MemoryCgroup.create(limitMiB);
  const cgroup = made instanceof MemoryCgroup ? made : undefined;
  const placement: CgroupPlacement = cgroup ? { placed: true, kind: cgroup.kind, dir: cgroup.dir, limitMiB: cgroup.limitMiB } : { placed: false, reason: 'reason' in made ? made.reason : '' };
  const node = { file: process.execPath, args: [...nodeArgs, 'dist/main.js'] };
  const command = { ...(cgroup ? cgroup.wrap(node) : node), cwd: compiled.root };
  let op: OperatorProcess;
  try {
    op = await OperatorProcess.start(env, sim, { env: operatorEnv, command });
  } catch (err) {
    cgroup?.remove();
    tracker.stop();
    await sim.close();
    await plane.stop();
    compiled.remove();
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
    operatorEnv,
    placement,
    ...(cgroup ? { cgroup } : {}),
    operatorCommand: `node ${node.args.join(' ')} (cwd: a copy of the build laid out as the image's /app; ${cgroup ? `in a ${cgroup.kind} memory cgroup of ${cgroup.limitMiB} MiB` : 'no memory cgroup'})`,
    operatorDir: compiled.root,
    startedAt: opts.startedAt,
    pids: () => ({ operator: op.pid, ...plane.pids() }),
    close: async () => {
      tracker.stop();
      await op.stop();
      cgroup?.remove();
      await sim.close();
      await plane.stop({ keepDir: process.env.OMKEYS_KEEP_CP === '1' });
      removeBuild(compiled);
    },
  };
}

async function startPlane(binDir: string): Promise<ControlPlane> {
  const plane = new ControlPlane({ binDir });
  try {
    await plane.start();
  } catch (err) {
    console.error(plane.logs(60));
    throw err;
  }
  return plane;
}

function removeBuild(compiled: CompiledOperator): void {
  if (process.env.OMKEYS_KEEP_CP !== '1') compiled.remove();
}
