// The chaos run's world: a fresh control plane, the simulator in this process (faults and its
// request log are direct calls) and the compiled operator under supervisors, as the image runs it.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { OperatorSupervisor } from '../../hack/operator-supervisor.ts';
import { compileOperator, repoRoot, type CompiledOperator } from '../../test/deploy/compiled.ts';
import { Kube } from '../../test/integration/support/kube.ts';
import { applyFile } from '../../test/integration/support/manifests.ts';
import { ControlPlane } from '../../tools/envtest/control-plane.ts';
import { installCrds, statusOf } from '../../tools/envtest/crds.ts';
import { TestEnv } from '../../tools/envtest/env.ts';
import { freePort, waitFor } from '../../tools/envtest/process.ts';
import { startSimulator, type SimHandle } from '../../tools/opsmanager-sim/server.ts';
import { dockerfileEnv } from '../lib/image-runtime.ts';
import { applyClusterConnection, applyCredentials, TEST_CONNECTION, testGrant } from '../../test/integration/support/connections.ts';

export const OPERATOR_NAMESPACE = 'omkeys-system';
export const LEASE_NAME = 'omkeys-leader';
const CONNECTION_SECRET = 'om-default-connection';

/** The operator settings of the run (everything else is the image's default). */
export const OPERATOR_SETTINGS: Record<string, string> = {
  OMKEYS_LEADER_ELECTION: 'true',
  OMKEYS_LEADER_ELECTION_NAMESPACE: OPERATOR_NAMESPACE,
  // A killed leader's Lease blocks its successor this long: the shortest the operator accepts,
  // so that 100 kills fit the time box; renew deadline and retry period scale with it.
  OMKEYS_LEADER_ELECTION_LEASE_DURATION: '3s',
  // Timeouts are injected on purpose; 30 s each would only slow the run down, not test more.
  OMKEYS_OM_TIMEOUT: '5s',
  // No periodic resync during the run: what the operator repairs, it repairs from events, so a
  // resync cannot hide a missed repair.
  OMKEYS_RESYNC_PERIOD: '1h',
  // Debug: every Ops Manager call and retry is logged, so a violation can be traced, and there
  // is more text in which a private key could leak.
  OMKEYS_LOG_LEVEL: 'debug',
};

/** One operator replica: a supervisor that restarts the compiled operator within a second. */
const IMAGE_ENV = dockerfileEnv(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));

export class Replica {
  starts = 0;
  /** Read at every start, so a scenario may change them for the next incarnation. */
  readonly settings: Record<string, string> = { ...OPERATOR_SETTINGS };
  readonly supervisor: OperatorSupervisor;
  readonly logPath: string;

  constructor(readonly name: string, readonly httpUrl: string, opts: { dir: string; compiled: CompiledOperator; kubeconfig: string; httpPort: number }) {
    this.logPath = path.join(opts.dir, `operator-${name}.log`);
    this.supervisor = new OperatorSupervisor({
      repoRoot: opts.compiled.root,
      // As in the image: WORKDIR /app, CMD ["node", "dist/main.js"].
      command: { file: process.execPath, args: ['dist/main.js'], cwd: opts.compiled.root },
      pidFile: path.join(opts.dir, `operator-${name}.pid`),
      logPath: this.logPath,
      restartDelayMs: 300,
      maxRestartDelayMs: 1000,
      env: () => {
        this.starts++;
        return Promise.resolve({
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          // The image's environment (NODE_ENV, NODE_OPTIONS), as the Dockerfile sets it.
          ...IMAGE_ENV,
          KUBECONFIG: opts.kubeconfig,
          OMKEYS_HTTP_PORT: String(opts.httpPort),
          OMKEYS_HTTP_HOST: '127.0.0.1',
          // The Lease holder names the replica and the incarnation.
          POD_NAME: this.identity(),
          POD_NAMESPACE: OPERATOR_NAMESPACE,
          ...this.settings,
        });
      },
    });
  }

  identity(): string {
    return `${this.name}-${this.starts}`;
  }

  get pid(): number | undefined {
    return this.supervisor.pid;
  }

  /** SIGKILL, as the OOM killer or a node failure would; the supervisor starts it again. */
  kill(): number | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return undefined;
    }
    return pid;
  }

  /** VmRSS of the current process in KiB (read from /proc). */
  rssKiB(): number | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200;
    } catch {
      return false;
    }
  }

  logText(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }
}

export interface ChaosWorld {
  dir: string;
  plane: ControlPlane;
  env: TestEnv;
  kube: Kube;
  sim: SimHandle;
  replicas: Replica[];
  /** Starts one more replica (a standby while another leads). */
  addReplica(): Promise<Replica>;
  /** The Lease's holder identity (undefined while the API server does not answer). */
  leaseHolder(): Promise<string | undefined>;
  /** Waits until some replica holds the Lease and runs its controllers; returns it. */
  waitForLeader(timeoutMs: number): Promise<Replica>;
  close(): Promise<void>;
}

export async function startWorld(opts: { binDir: string; dir: string; distRoot?: string; log: (s: string) => void }): Promise<ChaosWorld> {
  const stack: Array<() => Promise<void> | void> = [];
  const closeAll = async (): Promise<void> => {
    for (const f of stack.reverse()) await Promise.resolve(f()).catch(() => undefined);
    stack.length = 0;
  };
  try {
    const plane = new ControlPlane({ binDir: opts.binDir, dir: path.join(opts.dir, 'control-plane') });
    stack.push(() => plane.stop({ keepDir: true }));
    await plane.start();
    const env = new TestEnv(plane);
    await installCrds(env.kc, path.join(compiledRepoRoot(), 'crds'));
    // Exactly the rights of the shipped ServiceAccount.
    await applyFile(env.kc, path.join(compiledRepoRoot(), 'deploy', 'rbac.yaml'));
    opts.log(`control plane, CRDs and deploy/rbac.yaml ready (${plane.dir})`);
    // The garbage collector learns of CRDs only at its next discovery sync (30 s), and until
    // then a deleted key's Secret stays: restarted, it reads them at once. Waited for while the
    // operator compiles.
    await plane.restartControllerManager();
    const gcReady = garbageCollectorKnowsCrds(env);
    const t0 = performance.now();
    const compiled: CompiledOperator = opts.distRoot
      ? { root: opts.distRoot, mainJs: path.join(opts.distRoot, 'dist', 'main.js'), remove: () => undefined }
      : await compileOperator();
    stack.push(() => compiled.remove());
    // Also when the time box ends the run with process.exit.
    process.once('exit', () => compiled.remove());
    opts.log(`operator compiled (npm run build) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${compiled.mainJs}`);
    await gcReady;
    opts.log('the garbage collector knows the CRDs');
    const sim = await startSimulator({ admin: true });
    stack.push(() => sim.close());
    await writeConnection(env, sim);
    // One long-lived token, as a projected ServiceAccount token: a restart must not need the API server.
    const kubeconfig = path.join(opts.dir, 'operator.kubeconfig');
    const saKc = await env.serviceAccountKubeConfig(OPERATOR_NAMESPACE, 'omkeys', 24 * 3600);
    writeFileSync(kubeconfig, saKc.exportConfig(), { mode: 0o600 });
    const replicas: Replica[] = [];
    const addReplica = async (): Promise<Replica> => {
      const httpPort = await freePort();
      const r = new Replica(String.fromCharCode(97 + replicas.length), `http://127.0.0.1:${httpPort}`, { dir: opts.dir, compiled, kubeconfig, httpPort });
      replicas.push(r);
      stack.push(() => r.supervisor.stop(5000));
      await r.supervisor.start();
      return r;
    };
    const leases = env.kc.makeApiClient(CoordinationV1Api);
    const leaseHolder = async (): Promise<string | undefined> => {
      try {
        return (await leases.readNamespacedLease({ name: LEASE_NAME, namespace: OPERATOR_NAMESPACE })).spec?.holderIdentity ?? undefined;
      } catch {
        return undefined;
      }
    };
    const waitForLeader = (timeoutMs: number): Promise<Replica> =>
      waitFor('a replica to lead', async () => {
        const holder = await leaseHolder();
        const r = replicas.find((x) => x.identity() === holder);
        // The holder's current incarnation leads once its own log says the controllers started.
        return r && (await r.ready()) && (await leaderMetric(r)) ? r : undefined;
      }, timeoutMs, 100);
    await addReplica();
    await waitForLeader(60_000);
    opts.log(`operator replica a leads (log ${replicas[0]!.logPath}); simulator ${sim.url}`);
    return { dir: opts.dir, plane, env, kube: new Kube(env), sim, replicas, addReplica, leaseHolder, waitForLeader, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** `omkeys_leader 1` on the replica's /metrics: its controllers run. */
export async function leaderMetric(r: Replica): Promise<boolean> {
  try {
    const text = await (await fetch(`${r.httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    return /^omkeys_leader 1$/m.test(text);
  } catch {
    return false;
  }
}

function compiledRepoRoot(): string {
  return path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
}

/** Waits until the garbage collector deletes an object whose OpsManagerApiKey owner does not exist. */
async function garbageCollectorKnowsCrds(env: TestEnv): Promise<void> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const name = 'chaos-gc-probe';
  const ownerReferences = [{ apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', name: 'never-existed', uid: randomUUID() }];
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, ownerReferences } } });
  await waitFor('the garbage collector to know the CRDs', async () => {
    try {
      await core.readNamespacedConfigMap({ namespace: 'default', name });
      return false;
    } catch (err) {
      return statusOf(err) === 404;
    }
  }, 120_000, 250);
}

/** The default connection: the simulator's Organization Owner key, in the operator's namespace. */
/** The default ClusterOpsManagerConnection: the simulator's admin key, the test harness's policy (support/connections.ts). */
async function writeConnection(env: TestEnv, sim: SimHandle): Promise<void> {
  await applyCredentials(env.kc, OPERATOR_NAMESPACE, CONNECTION_SECRET, { publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey });
  await applyClusterConnection(env.kc, TEST_CONNECTION, {
    baseUrl: sim.url,
    credentialsSecretRef: { namespace: OPERATOR_NAMESPACE, name: CONNECTION_SECRET },
    default: true,
    policy: { grants: [testGrant(sim)] },
  });
}

/** Fresh namespaces `chaos-<prefix>-<i>-<random>` for one scenario. */
export async function createNamespaces(world: ChaosWorld, prefix: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await world.env.newNamespace(`chaos-${prefix}-${i}`));
  return out;
}
