// The local environment shared by `npm run dev:up` (in the background) and `make demo` (in the
// foreground): a real control plane, the Ops Manager simulator and the operator, supervised.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { ControlPlane } from '../tools/envtest/control-plane.ts';
import { installCrds } from '../tools/envtest/crds.ts';
import { TestEnv } from '../tools/envtest/env.ts';
import { freePort, waitFor } from '../tools/envtest/process.ts';
import { applyFile } from '../test/integration/support/manifests.ts';
import { ALL_ROLES, applyClusterConnection, applyCredentials } from '../test/integration/support/connections.ts';
import { startSimulator, type SimHandle } from '../tools/opsmanager-sim/server.ts';
import { OperatorSupervisor } from './operator-supervisor.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OPERATOR_NAMESPACE = 'omkeys-system';
export const DEFAULT_CONNECTION_SECRET = 'om-default-connection';
/** The dev environment's default ClusterOpsManagerConnection. */
export const DEV_CONNECTION = 'dev-simulator';

export interface DevEnvOptions {
  /** Everything the environment writes goes here (control plane data, logs, pid file). */
  dir: string;
  /** kube-apiserver, kube-controller-manager, kubectl and etcd (hack/build-control-plane.sh). */
  binDir: string;
  /** Extra OMKEYS_* settings for the operator. */
  operatorEnv?: Record<string, string>;
  progress?: (msg: string) => void;
  startTimeoutMs?: number;
}

/** What `.omkeys-dev/env.sh` exports (README.md "Development", docs/development.md "env.sh"). */
export interface DevEnvVars {
  KUBECONFIG: string;
  OMKEYS_SIM_URL: string;
  OMKEYS_SIM_ORG_ID: string;
  OMKEYS_SIM_PROJECT_IDS: string;
  OMKEYS_SIM_ADMIN_PUBLIC_KEY: string;
  OMKEYS_SIM_ADMIN_PRIVATE_KEY: string;
  OMKEYS_OPERATOR_PIDFILE: string;
  OMKEYS_OPERATOR_LOG: string;
  OMKEYS_OPERATOR_HTTP: string;
  OMKEYS_CP_BIN: string;
}

export interface DevEnv {
  vars: DevEnvVars;
  /** Admin client for the control plane. */
  kc: KubeConfig;
  sim: SimHandle;
  controlPlane: ControlPlane;
  supervisor: OperatorSupervisor;
  /**
   * Stops the operator (SIGKILL after `operatorGraceMs`, default 10 s), the simulator and the
   * control plane, in that order; keeps `dir`.
   */
  stop(opts?: { operatorGraceMs?: number }): Promise<void>;
}

/** Starts everything and returns once the operator serves /readyz and leads. */
export async function startDevEnv(opts: DevEnvOptions): Promise<DevEnv> {
  const say = opts.progress ?? ((): void => undefined);
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  mkdirSync(opts.dir, { recursive: true });
  let operatorGraceMs = 10_000;
  const stack: Array<() => Promise<void>> = [];
  const stopAll = async (stopOpts: { operatorGraceMs?: number } = {}): Promise<void> => {
    operatorGraceMs = stopOpts.operatorGraceMs ?? operatorGraceMs;
    for (const stop of stack.reverse()) await stop().catch(() => undefined);
    stack.length = 0;
  };
  try {
    say('starting etcd, kube-apiserver and kube-controller-manager');
    const controlPlane = new ControlPlane({ binDir: opts.binDir, dir: path.join(opts.dir, 'control-plane'), startTimeoutMs: timeoutMs });
    stack.push(() => controlPlane.stop({ keepDir: true }));
    try {
      await controlPlane.start();
    } catch (err) {
      throw new Error(`the control plane did not start: ${(err as Error).message}\n${controlPlane.logs(30)}`, { cause: err });
    }
    const env = new TestEnv(controlPlane);
    say('installing crds/ and deploy/rbac.yaml');
    await installCrds(env.kc, path.join(repoRoot, 'crds'));
    await applyFile(env.kc, path.join(repoRoot, 'deploy', 'rbac.yaml'));

    say('starting the Ops Manager simulator');
    const sim = await startSimulator({ admin: true, stateFile: path.join(opts.dir, 'sim-state.json') });
    stack.push(() => sim.close());
    await writeDefaultConnection(env.kc, sim);

    const httpPort = await freePort();
    const logPath = path.join(opts.dir, 'operator.log');
    const kubeconfigPath = path.join(opts.dir, 'operator.kubeconfig');
    const supervisor = new OperatorSupervisor({
      repoRoot,
      pidFile: path.join(opts.dir, 'operator.pid'),
      logPath,
      env: async () => {
        await writeOperatorKubeconfig(env, kubeconfigPath);
        return {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          KUBECONFIG: kubeconfigPath,
          OMKEYS_LEADER_ELECTION: 'true',
          OMKEYS_LEADER_ELECTION_NAMESPACE: OPERATOR_NAMESPACE,
          OMKEYS_HTTP_PORT: String(httpPort),
          OMKEYS_HTTP_HOST: '127.0.0.1',
          ...opts.operatorEnv,
        };
      },
    });
    stack.push(() => supervisor.stop(operatorGraceMs));
    say('starting the operator (out of cluster, supervised)');
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await supervisor.start();
    await waitForOperator(httpUrl, logPath, supervisor, timeoutMs);

    const vars: DevEnvVars = {
      KUBECONFIG: controlPlane.kubeconfigPath,
      OMKEYS_SIM_URL: sim.url,
      OMKEYS_SIM_ORG_ID: sim.orgId,
      OMKEYS_SIM_PROJECT_IDS: sim.projectIds.join(','),
      OMKEYS_SIM_ADMIN_PUBLIC_KEY: sim.admin.publicKey,
      OMKEYS_SIM_ADMIN_PRIVATE_KEY: sim.admin.privateKey,
      OMKEYS_OPERATOR_PIDFILE: path.join(opts.dir, 'operator.pid'),
      OMKEYS_OPERATOR_LOG: logPath,
      OMKEYS_OPERATOR_HTTP: httpUrl,
      OMKEYS_CP_BIN: opts.binDir,
    };
    return { vars, kc: env.kc, sim, controlPlane, supervisor, stop: stopAll };
  } catch (err) {
    await stopAll({ operatorGraceMs: 2000 });
    throw err;
  }
}

/**
 * The default connection: a ClusterOpsManagerConnection marked default with the simulator's
 * Organization Owner key, whose policy serves every namespace (selector {}) with the simulator's
 * organization and projects, every role and every form of adoption: the dev environment's
 * contract is that a key with only orgId or projectId and roles works in any new namespace.
 */
async function writeDefaultConnection(kc: KubeConfig, sim: SimHandle): Promise<void> {
  await applyCredentials(kc, OPERATOR_NAMESPACE, DEFAULT_CONNECTION_SECRET, { publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey });
  await applyClusterConnection(kc, DEV_CONNECTION, {
    baseUrl: sim.url,
    credentialsSecretRef: { namespace: OPERATOR_NAMESPACE, name: DEFAULT_CONNECTION_SECRET },
    default: true,
    policy: {
      grants: [{ namespaces: { selector: {} }, organizations: [sim.orgId], projects: [...sim.projectIds], roles: ALL_ROLES, adoption: 'Rotate' }],
    },
  });
}

/**
 * The operator runs as the ServiceAccount of deploy/rbac.yaml, so it has exactly the rights it
 * has in a cluster. A fresh token on every start keeps a long-lived environment working.
 */
async function writeOperatorKubeconfig(env: TestEnv, file: string): Promise<void> {
  const kc = await env.serviceAccountKubeConfig(OPERATOR_NAMESPACE, 'omkeys', 7 * 24 * 3600);
  writeFileSync(`${file}.tmp`, kc.exportConfig(), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

async function waitForOperator(httpUrl: string, logPath: string, supervisor: OperatorSupervisor, timeoutMs: number): Promise<void> {
  const logText = (): string => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  try {
    await waitFor('the operator to answer /readyz', async () => (await fetch(`${httpUrl}/readyz`)).status === 200, timeoutMs, 250);
    await waitFor('the operator to take the lead', () => Promise.resolve(logText().includes('controller started')), timeoutMs, 250);
  } catch (err) {
    const tail = logText().split('\n').slice(-30).join('\n');
    throw new Error(`${(err as Error).message} (operator pid ${supervisor.pid ?? 'none'}); end of ${logPath}:\n${tail}`, { cause: err });
  }
}

/** `env.sh` text: one `export NAME='value'` per variable, values single-quoted for sh. */
export function renderEnvSh(vars: DevEnvVars): string {
  const quote = (v: string): string => `'${v.replaceAll("'", `'\\''`)}'`;
  const lines = Object.entries(vars).map(([k, v]) => `export ${k}=${quote(String(v))}`);
  return `# Written by npm run dev:up; source it: . .omkeys-dev/env.sh\n${lines.join('\n')}\n`;
}

/** Reads the control-plane directory from OMKEYS_CP_BIN or builds it (hack/build-control-plane.sh). */
export async function controlPlaneBinDir(): Promise<string> {
  if (process.env.OMKEYS_CP_BIN) return process.env.OMKEYS_CP_BIN;
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    // stderr shows the build's progress (the first build takes several minutes).
    const child = spawn(path.join(repoRoot, 'hack', 'build-control-plane.sh'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const dir = out.trim().split('\n').pop() ?? '';
      if (code === 0 && dir) resolve(dir);
      else reject(new Error(`hack/build-control-plane.sh failed (exit ${code})`));
    });
  });
}
