import { ExecCredentialError, redactSecrets, runPlugin, type PluginOutput } from './exec-plugin-run.ts';

/** A kubeconfig user's `exec` section, checked (see kubeconfig-fields.ts). */
export interface ExecConfig {
  /** The kubeconfig user's name, for messages. */
  user: string;
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  apiVersion: 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';
  /** Always is refused at start: the operator has no terminal. */
  interactiveMode: 'Never' | 'IfAvailable';
  provideClusterInfo: boolean;
  installHint?: string;
  /** The cluster's `client.authentication.k8s.io/exec` extension, handed over as spec.cluster.config. */
  clusterConfig?: unknown;
}

/** What the plugin is told about the cluster when provideClusterInfo is set (client-go's Cluster). */
export interface ExecClusterInfo {
  server: string;
  tlsServerName?: string;
  insecureSkipTlsVerify?: boolean;
  ca?: string;
  proxyUrl?: string;
}

/** One credential the plugin printed. The object identifies it: a 401 replaces only the one that failed. */
export interface ExecCredential {
  token?: string;
  cert?: string;
  key?: string;
  /** Epoch ms after which it is not used; none: until the API server refuses it. */
  expiresAt?: number;
}

export interface ExecLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ExecCredentialOptions {
  /** The operator's environment, which the plugin inherits (default process.env). */
  env?: Record<string, string | undefined>;
  now?: () => number;
  /** Longest run of the plugin (default 60 s). */
  timeoutMs?: number;
  /** Most the plugin may print on stdout (default 1 MiB). */
  maxStdoutBytes?: number;
  logger?: ExecLogger;
}

/**
 * Credentials from an exec plugin, as client-go gets them: the plugin runs when a request needs
 * a credential and none is held (one run for all the requests waiting), what it prints is used
 * until its expirationTimestamp, and a credential the API server refuses (401) is dropped so that
 * the next request runs the plugin again.
 */
export class ExecCredentialSource {
  private current: ExecCredential | undefined;
  private pending: Promise<ExecCredential> | undefined;
  /** Every token or key the plugin returned, kept to redact them from its stderr. */
  private readonly seen: string[] = [];
  runs = 0;
  private readonly env: Record<string, string | undefined>;
  private readonly now: () => number;
  private readonly label: string;

  constructor(
    private readonly config: ExecConfig,
    private readonly cluster: ExecClusterInfo,
    private readonly opts: ExecCredentialOptions = {},
  ) {
    this.env = opts.env ?? process.env;
    this.now = opts.now ?? Date.now;
    this.label = `exec plugin "${config.command}" of kubeconfig user "${config.user}"`;
  }

  async get(): Promise<ExecCredential> {
    const c = this.current;
    if (c && (c.expiresAt === undefined || this.now() < c.expiresAt)) return c;
    this.pending ??= this.run().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The API server refused `failed`: unless a newer credential already replaced it, the next get runs the plugin. */
  invalidate(failed: ExecCredential): void {
    if (this.current === failed) this.current = undefined;
  }

  private async run(): Promise<ExecCredential> {
    this.runs++;
    const env: Record<string, string | undefined> = { ...this.env };
    for (const e of this.config.env) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(this.execInfo());
    let out: PluginOutput;
    try {
      out = await runPlugin({
        command: this.config.command,
        args: this.config.args,
        env,
        timeoutMs: this.opts.timeoutMs ?? 60_000,
        maxStdoutBytes: this.opts.maxStdoutBytes ?? 1024 * 1024,
        maxStderrBytes: 16 * 1024,
        label: this.label,
        ...(this.config.installHint ? { installHint: this.config.installHint } : {}),
      });
    } catch (err) {
      this.logStderr((err as { stderr?: string }).stderr ?? '', true);
      throw err;
    }
    let cred: ExecCredential;
    try {
      cred = parseExecCredential(out.stdout, this.config.apiVersion, this.label);
    } finally {
      // After parsing, so that the credential it just printed is redacted from its own stderr.
      this.logStderr(out.stderr, false, out.stdout);
    }
    this.current = cred;
    for (const s of [cred.token, cred.key]) if (s) this.seen.push(s);
    if (this.seen.length > 8) this.seen.splice(0, this.seen.length - 8);
    return cred;
  }

  /** KUBERNETES_EXEC_INFO, as client-go sets it for v1 and v1beta1 plugins. */
  private execInfo(): unknown {
    const c = this.cluster;
    const cluster = {
      server: c.server,
      ...(c.tlsServerName ? { 'tls-server-name': c.tlsServerName } : {}),
      ...(c.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
      ...(c.ca ? { 'certificate-authority-data': Buffer.from(c.ca).toString('base64') } : {}),
      ...(c.proxyUrl ? { 'proxy-url': c.proxyUrl } : {}),
      ...(this.config.clusterConfig !== undefined ? { config: this.config.clusterConfig } : {}),
    };
    const spec = { interactive: false, ...(this.config.provideClusterInfo ? { cluster } : {}) };
    return { kind: 'ExecCredential', apiVersion: this.config.apiVersion, spec };
  }

  private logStderr(stderr: string, failed: boolean, stdout = ''): void {
    const text = redactSecrets(stderr, [...this.seen, ...secretsIn(stdout)]).trim();
    if (!text || !this.opts.logger) return;
    const fields = { user: this.config.user, command: this.config.command, stderr: text.slice(0, 4000) };
    if (failed) this.opts.logger.warn(fields, 'exec credential plugin failed; its stderr');
    else this.opts.logger.info(fields, 'exec credential plugin wrote to stderr');
  }
}

/** The token and key in a plugin's stdout, if it is the JSON it should be, for redaction. */
function secretsIn(stdout: string): string[] {
  try {
    const s = (JSON.parse(stdout) as { status?: Record<string, unknown> }).status ?? {};
    return [s.token, s.clientKeyData].filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}

/** The ExecCredential a plugin printed, checked as client-go checks it. */
export function parseExecCredential(stdout: string, apiVersion: string, label: string): ExecCredential {
  const bad = (why: string, cause?: unknown): ExecCredentialError =>
    new ExecCredentialError('EXEC_PLUGIN_INVALID_OUTPUT', `${label}: ${why}`, { cause });
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    // Not the parser's error as cause: its message quotes the output.
    throw bad('its output is not JSON');
  }
  const d = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  if (d.kind !== 'ExecCredential') throw bad('its output is not an ExecCredential');
  if (d.apiVersion !== apiVersion) {
    throw bad(`it printed apiVersion "${String(d.apiVersion)}", the kubeconfig asks for "${apiVersion}"`);
  }
  const st = d.status;
  if (typeof st !== 'object' || st === null) throw bad('its ExecCredential has no status');
  const s = st as Record<string, unknown>;
  const text = (k: string): string | undefined => {
    const v = s[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw bad(`status.${k} is not a string`);
    return v;
  };
  const token = text('token');
  const cert = text('clientCertificateData');
  const key = text('clientKeyData');
  const expiry = text('expirationTimestamp');
  if (!!cert !== !!key) throw bad('it returned a client certificate or key, not both');
  if (!token && !cert) throw bad('it returned neither a token nor a client certificate and key');
  const cred: ExecCredential = { ...(token ? { token } : {}), ...(cert && key ? { cert, key } : {}) };
  if (expiry) {
    const at = Date.parse(expiry);
    if (Number.isNaN(at)) throw bad(`status.expirationTimestamp "${expiry}" is not a time`);
    cred.expiresAt = at;
  }
  return cred;
}
