import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import type { TestEnv } from '../../../tools/envtest/env.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { logStarted, logStopped, runLogPath } from '../../envtest/run-logs.ts';
import { applyFile } from './manifests.ts';
import { applyCredentials, setDefaultPolicy, testGrant } from './connections.ts';
import type { ConnectionGrant } from '../../../src/api/types.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const OPERATOR_NAMESPACE = 'omkeys-system';
const DEFAULT_CONNECTION_SECRET = 'om-default-connection';

export interface OperatorOptions {
  /** Extra OMKEYS_* settings (e.g. OMKEYS_FAILPOINTS, OMKEYS_NAMESPACED_CONNECTION_HOSTS). */
  env?: Record<string, string>;
  /** Use this key pair for the default connection instead of the simulator's admin key. */
  defaultKey?: { publicKey: string; privateKey: string };
  /** The default ClusterOpsManagerConnection's policy; default: testGrant(sim) (support/connections.ts). */
  grants?: ConnectionGrant[];
  /** Run this instead of `node --import tsx src/main.ts`, e.g. the compiled `[process.execPath, 'dist/main.js']`; cwd stays the repository root unless `cwd` is given. */
  command?: { file: string; args: string[]; cwd?: string };
  /**
   * Whose identity the process runs with: ServiceAccount `serviceAccount` in `namespace` (also
   * where its default-connection Secret and Lease live), with the RBAC of `rbacFile` applied
   * first; default deploy/rbac.yaml's omkeys-system/omkeys. `rbacFile: null`: the RBAC is
   * already installed (e.g. by `helm install`).
   */
  identity?: { namespace: string; serviceAccount: string; rbacFile: string | null };
  /** A second replica: start() returns once it serves, without waiting for it to lead. */
  standby?: boolean;
}

const DEPLOY_IDENTITY = { namespace: OPERATOR_NAMESPACE, serviceAccount: 'omkeys', rbacFile: path.join(repoRoot, 'deploy', 'rbac.yaml') };

/**
 * The operator as a real process, run as the ServiceAccount of deploy/rbac.yaml (or another
 * identity, see OperatorOptions.identity) with exactly its RBAC, out of cluster, against the test control plane and a simulator. Its log is kept
 * so tests can assert on it and scan it for private keys.
 */
export class OperatorProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly logPath: string;
  private readonly kubeconfigPath: string;
  httpUrl = '';
  restarts = 0;

  private constructor(private readonly env: TestEnv, private readonly sim: SimHandle, private readonly opts: OperatorOptions, dir: string) {
    // In the run's log directory, not `dir`: it is printed when a test fails and kept when the run does.
    this.logPath = runLogPath('operator');
    this.kubeconfigPath = path.join(dir, 'operator.kubeconfig');
  }

  static async start(env: TestEnv, sim: SimHandle, opts: OperatorOptions = {}): Promise<OperatorProcess> {
    const id = opts.identity ?? DEPLOY_IDENTITY;
    if (id.rbacFile) await applyFile(env.kc, id.rbacFile);
    const key = opts.defaultKey ?? sim.admin;
    await env.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: id.namespace } } }).catch((err: unknown) => {
      if (statusOf(err) !== 409) throw err;
    });
    await applyCredentials(env.kc, id.namespace, DEFAULT_CONNECTION_SECRET, { publicKey: key.publicKey, privateKey: key.privateKey });
    // The operator's default connection is an object an admin owns: this suite's simulator, serving every namespace.
    await setDefaultPolicy(env.kc, sim, opts.grants ?? [testGrant(sim)], { namespace: id.namespace, name: DEFAULT_CONNECTION_SECRET });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-op-'));
    const op = new OperatorProcess(env, sim, opts, dir);
    const kc = await env.serviceAccountKubeConfig(id.namespace, id.serviceAccount);
    writeFileSync(op.kubeconfigPath, kc.exportConfig(), { mode: 0o600 });
    await op.spawn();
    return op;
  }

  /** Starts the process and waits until it leads and its HTTP server answers /readyz. */
  async spawn(): Promise<void> {
    const startedAt = this.logText().length;
    const cmd = this.opts.command ?? { file: process.execPath, args: ['--import', 'tsx', path.join(repoRoot, 'src', 'main.ts')] };
    const namespace = (this.opts.identity ?? DEPLOY_IDENTITY).namespace;
    const child = spawn(cmd.file, cmd.args, {
      cwd: cmd.cwd ?? repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        KUBECONFIG: this.kubeconfigPath,
        OMKEYS_LEADER_ELECTION_NAMESPACE: namespace,
        OMKEYS_HTTP_PORT: '0',
        OMKEYS_HTTP_HOST: '127.0.0.1',
        OMKEYS_LOG_LEVEL: 'debug',
        OMKEYS_RESYNC_PERIOD: '1h',
        // A restarted process waits for the dead one's Lease to expire, as in a cluster; shorter here.
        OMKEYS_LEADER_ELECTION_LEASE_DURATION: '4s',
        ...this.opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => appendFileSync(this.logPath, c));
    child.stderr?.on('data', (c: Buffer) => appendFileSync(this.logPath, c));
    logStarted(this.logPath);
    this.exited = new Promise((resolve) => child.once('exit', () => {
      logStopped(this.logPath);
      resolve();
    }));
    this.child = child;
    try {
      const line = await waitFor('operator to start', () => {
        if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}:\n${this.logText().slice(-3000)}`);
        return Promise.resolve(this.logText().slice(startedAt).split('\n').find((l) => l.includes('"omkeys started"')));
      }, 60_000, 100);
      this.httpUrl = (JSON.parse(line) as { http: string }).http;
      if (this.opts.standby) return;
      await waitFor('operator to lead', () => Promise.resolve(this.logText().slice(startedAt).includes('controller started')), 60_000, 100);
    } catch (err) {
      // A process that never started or led would outlive the test and keep mocha from exiting.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await this.exited;
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The exit code once the process has exited by itself (null while it runs, or when a signal ended it). */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  logText(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /** Kills the process the hard way (a crash) and waits for it to be gone. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Waits for a process killed by a failpoint (or anything else) to exit. */
  async waitForExit(timeoutMs = 60_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    await waitFor('operator to exit', () => Promise.resolve(child.exitCode !== null || child.signalCode !== null), timeoutMs, 50);
  }

  /** As a kubelet would: start it again (optionally with other settings). */
  async restart(env?: Record<string, string>): Promise<void> {
    if (env) this.opts.env = env;
    this.restarts++;
    await this.spawn();
  }

  /** Graceful stop (SIGTERM); resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    child.kill('SIGTERM');
    await this.exited;
    return child.exitCode;
  }
}
