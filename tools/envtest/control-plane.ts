import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { LoggedProcess, freePort, waitFor } from './process.ts';

export interface ControlPlaneOptions {
  /** Directory holding kube-apiserver, kube-controller-manager, kubectl and etcd (hack/build-control-plane.sh). */
  binDir: string;
  /** Where certificates, data and logs go; a fresh temp dir by default. */
  dir?: string;
  /**
   * Where each component's stdout and stderr go (`<name>.log`); `<dir>/logs` by default. The
   * tests put them in a directory that outlives `stop()`, so a failed run can still be read.
   */
  logDir?: string;
  startTimeoutMs?: number;
}

/**
 * etcd + kube-apiserver (RBAC, loopback) + kube-controller-manager (garbage collector, namespace
 * and ClusterRole aggregation controllers only), so ownerReferences, namespace deletion and the
 * `edit`/`admin`/`view` roles behave as in a cluster.
 */
export class ControlPlane {
  readonly dir: string;
  readonly binDir: string;
  readonly kubeconfigPath: string;
  readonly adminToken = randomBytes(24).toString('hex');
  apiServerUrl = '';
  private etcdUrl = '';
  private etcd: LoggedProcess | undefined;
  private apiServer: LoggedProcess | undefined;
  private controllerManager: LoggedProcess | undefined;
  private readonly startTimeoutMs: number;
  readonly logDir: string;

  constructor(opts: ControlPlaneOptions) {
    this.binDir = opts.binDir;
    this.dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'omkeys-cp-'));
    this.logDir = opts.logDir ?? path.join(this.dir, 'logs');
    this.kubeconfigPath = path.join(this.dir, 'admin.kubeconfig');
    this.startTimeoutMs = opts.startTimeoutMs ?? 120_000;
  }

  async start(): Promise<void> {
    const certDir = path.join(this.dir, 'certs');
    mkdirSync(certDir, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    const saKey = path.join(certDir, 'sa.key');
    const saPub = path.join(certDir, 'sa.pub');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', saKey]);
    execFileSync('openssl', ['ec', '-in', saKey, '-pubout', '-out', saPub], { stdio: 'ignore' });
    const tokenFile = path.join(certDir, 'tokens.csv');
    writeFileSync(tokenFile, `${this.adminToken},omkeys-admin,omkeys-admin,"system:masters"\n`, { mode: 0o600 });

    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    this.etcdUrl = etcdUrl;
    this.etcd = new LoggedProcess('etcd', this.bin('etcd'), [
      '--name=default',
      `--data-dir=${path.join(this.dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ], this.logPath('etcd'));

    this.apiServerUrl = `https://127.0.0.1:${apiPort}`;
    this.apiServer = new LoggedProcess('kube-apiserver', this.bin('kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${certDir}`,
      '--authorization-mode=RBAC',
      `--token-auth-file=${tokenFile}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--disable-admission-plugins=ServiceAccount',
      '--service-account-issuer=https://omkeys.local',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--enable-priority-and-fairness=false',
      '--v=1',
    ], this.logPath('kube-apiserver'));

    this.writeKubeconfig();
    this.controllerManager = new LoggedProcess('kube-controller-manager', this.bin('kube-controller-manager'), [
      `--kubeconfig=${this.kubeconfigPath}`,
      '--controllers=garbage-collector-controller,namespace-controller,clusterrole-aggregation-controller',
      '--leader-elect=false',
      '--secure-port=0',
      '--use-service-account-credentials=false',
      '--concurrent-gc-syncs=5',
      '--v=1',
    ], this.logPath('kube-controller-manager'));

    this.etcd.start();
    await waitFor('etcd /health', async () => (await httpGet(`${etcdUrl}/health`)).status === 200, this.startTimeoutMs);
    await this.startApiServer();
    this.controllerManager.start();
  }

  /** Starts (or starts again, on the same port and etcd) the API server and waits until it serves. */
  async startApiServer(): Promise<void> {
    if (!this.apiServer) throw new Error('control plane not started');
    if (!this.apiServer.running) this.apiServer.start();
    await waitFor('kube-apiserver /readyz', async () => {
      if (!this.apiServer?.running) throw new Error(`kube-apiserver exited:\n${this.apiServer?.tail(30)}`);
      return (await this.get('/readyz')).status === 200;
    }, this.startTimeoutMs);
    await waitFor('namespace default', async () => (await this.get('/api/v1/namespaces/default')).status === 200,
      this.startTimeoutMs);
  }

  async stopApiServer(): Promise<void> {
    await this.apiServer?.stop();
  }

  /**
   * Stops kube-controller-manager and starts it again. Its garbage collector learns of CRDs
   * installed after it started only at its next discovery sync (30 s); a restart makes it read
   * them at once.
   */
  async restartControllerManager(): Promise<void> {
    if (!this.controllerManager) throw new Error('control plane not started');
    await this.controllerManager.stop();
    this.controllerManager.start();
  }

  /**
   * Kills etcd (SIGKILL: a crash; with --unsafe-no-fsync its data survives in the page cache, as
   * it would on disk) and starts it again on the same port and data directory after `downMs`;
   * resolves once it is healthy. The API server is left running, to reconnect by itself as it
   * would to a restarted etcd member (the chaos run's control-plane faults).
   */
  async restartEtcd(downMs = 0): Promise<void> {
    if (!this.etcd) throw new Error('control plane not started');
    await this.etcd.stop(0);
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    this.etcd.start();
    await waitFor('etcd /health after a restart', async () => (await httpGet(`${this.etcdUrl}/health`)).status === 200, this.startTimeoutMs);
  }

  /** GET on the API server as the admin. */
  async get(p: string): Promise<{ status: number; body: string }> {
    return httpGet(`${this.apiServerUrl}${p}`, { Authorization: `Bearer ${this.adminToken}` });
  }

  pids(): Record<string, number | undefined> {
    return { etcd: this.etcd?.pid, 'kube-apiserver': this.apiServer?.pid, 'kube-controller-manager': this.controllerManager?.pid };
  }

  /** The components' log files, whether or not they have been started. */
  logFiles(): string[] {
    return ['etcd', 'kube-apiserver', 'kube-controller-manager'].map((n) => this.logPath(n));
  }

  logs(lines = 80): string {
    return [this.etcd, this.apiServer, this.controllerManager]
      .filter((p): p is LoggedProcess => p !== undefined)
      .map((p) => `----- ${p.name} (${p.logPath}) -----\n${p.tail(lines)}`)
      .join('\n');
  }

  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    await this.controllerManager?.stop();
    await this.apiServer?.stop();
    await this.etcd?.stop();
    if (!opts.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private writeKubeconfig(): void {
    // The API server's serving certificate is self-signed and made at start-up; this is a
    // loopback-only test cluster, so the client does not verify it.
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: omkeys-local\n  cluster:\n    server: ${this.apiServerUrl}\n    insecure-skip-tls-verify: true`,
      'users:',
      `- name: omkeys-admin\n  user:\n    token: ${this.adminToken}`,
      'contexts:',
      '- name: omkeys-local\n  context:\n    cluster: omkeys-local\n    user: omkeys-admin\n    namespace: default',
      'current-context: omkeys-local',
      '',
    ].join('\n');
    writeFileSync(this.kubeconfigPath, kubeconfig, { mode: 0o600 });
  }

  private bin(name: string): string {
    return path.join(this.binDir, name);
  }

  private logPath(name: string): string {
    return path.join(this.logDir, `${name}.log`);
  }
}

function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = url.startsWith('https:')
      ? https.get(url, { headers, rejectUnauthorized: false, timeout: 5000 }, onResponse)
      : http.get(url, { headers, timeout: 5000 }, onResponse);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
