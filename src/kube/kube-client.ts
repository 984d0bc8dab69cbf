import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { KubeApiError } from './api-errors.ts';
import { proxyAgent } from './connect-proxy.ts';
import type { ExecCredential, ExecCredentialOptions, ExecCredentialSource, ExecLogger } from './exec-credential.ts';
import type { ClusterAccess, Impersonation } from './kube-config.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method?: HttpMethod;
  /** e.g. /api/v1/namespaces/a/secrets/s */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json; a JSON patch needs application/json-patch+json. */
  contentType?: string;
  signal?: AbortSignal;
  /**
   * Sent on a connection of its own, never queued behind the workers' requests: the Lease's
   * renewals (a leader whose renewal waits behind a burst of writes loses its Lease; at 10,000
   * keys on a busy machine it did, over a hundred times).
   */
  urgent?: boolean;
}

/** Told about every request before it is sent (watches apart), for counting. */
export type RequestListener = (method: HttpMethod, path: string) => void;

export interface KubeClientOptions {
  /** Connections kept to the API server (default 64). */
  maxSockets?: number;
  /** Deadline of a whole non-watch request (default 60 s). */
  requestTimeoutMs?: number;
  /** How long a token read from a file is used before it is read again (default 60 s). */
  tokenMaxAgeMs?: number;
  now?: () => number;
  readFile?: (file: string) => string;
  /** Where an exec credential plugin's stderr goes, redacted. */
  logger?: ExecLogger;
  /** Bounds of an exec credential plugin's run, and the environment it inherits. */
  exec?: Pick<ExecCredentialOptions, 'timeoutMs' | 'maxStdoutBytes' | 'env'>;
}

/** What one request authenticates with. */
interface Credential {
  token?: string;
  cert?: string;
  key?: string;
  /** Set when it came from the exec plugin: a 401 then runs the plugin again. */
  exec?: ExecCredential;
}

/**
 * A thin client for the API server: JSON over one keep-alive agent (every request reuses the
 * same TLS connections), the bearer token read again from its file as projected ServiceAccount
 * tokens rotate, and errors as KubeApiError with the HTTP status as `code`. It replaces
 * @kubernetes/client-node at run time, whose generated API alone made up most of the
 * operator's idle memory and whose deserialisation copied every object it listed.
 */
export class KubeClient {
  private readonly agent: http.Agent;
  /** Watches hold their connection for minutes: they get their own, so they take none of the requests'. */
  private readonly watchAgent: http.Agent;
  private readonly urgentAgent: http.Agent;
  private readonly base: URL;
  private readonly secure: boolean;
  private readonly listeners: RequestListener[] = [];
  private readonly requestTimeoutMs: number;
  private readonly tokenMaxAgeMs: number;
  private readonly now: () => number;
  private readonly readFile: (file: string) => string;
  private fileToken: { value: string; readAt: number } | undefined;
  /** Loaded on first use: only a kubeconfig with an exec plugin pays for it. */
  private execSource: Promise<ExecCredentialSource> | undefined;
  private readonly impersonation: Record<string, string | string[]>;

  constructor(
    readonly access: ClusterAccess,
    private readonly opts: KubeClientOptions = {},
  ) {
    this.base = new URL(access.server);
    this.secure = this.base.protocol === 'https:';
    this.agent = this.makeAgent(opts.maxSockets ?? 64);
    this.watchAgent = this.makeAgent(Infinity);
    this.urgentAgent = this.makeAgent(2);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.tokenMaxAgeMs = opts.tokenMaxAgeMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.readFile = opts.readFile ?? ((f) => readFileSync(f, 'utf8'));
    this.impersonation = access.impersonate ? impersonationHeaders(access.impersonate) : {};
  }

  onRequest(listener: RequestListener): void {
    this.listeners.push(listener);
  }

  /** Sends one request and parses the JSON answer; a status >= 300 throws a KubeApiError. */
  async request<T>(r: KubeRequest): Promise<T> {
    const method = r.method ?? 'GET';
    for (const l of this.listeners) l(method, r.path);
    const signal = r.signal ? AbortSignal.any([r.signal, AbortSignal.timeout(this.requestTimeoutMs)]) : AbortSignal.timeout(this.requestTimeoutMs);
    const res = await this.authenticatedSend(r, { signal });
    const text = await readBody(res);
    this.check(method, r.path, res, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * Opens a streaming GET (a watch) and resolves with the response once it answered 200; the
   * caller reads and ends it. The connection is dropped when nothing arrives for idleTimeoutMs.
   */
  async stream(r: KubeRequest & { idleTimeoutMs: number }): Promise<http.IncomingMessage> {
    const extra = { ...(r.signal ? { signal: r.signal } : {}), timeout: r.idleTimeoutMs };
    const res = await this.authenticatedSend({ ...r, watch: true }, extra);
    if ((res.statusCode ?? 0) >= 300) this.check('GET', r.path, res, await readBody(res));
    return res;
  }

  /** Closes the pooled connections (on shutdown). */
  close(): void {
    for (const a of [this.agent, this.watchAgent, this.urgentAgent]) a.destroy();
  }

  private makeAgent(maxSockets: number): http.Agent {
    const common = { keepAlive: true, maxSockets };
    const { ca, cert, key, insecureSkipTlsVerify, tlsServerName, proxyUrl } = this.access;
    const tlsOptions = this.secure
      ? {
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(tlsServerName ? { servername: tlsServerName } : {}),
        rejectUnauthorized: !insecureSkipTlsVerify,
      }
      : {};
    if (proxyUrl) return proxyAgent(proxyUrl, this.secure, { ...common, ...tlsOptions });
    return this.secure ? new https.Agent({ ...common, ...tlsOptions }) : new http.Agent(common);
  }

  url(path: string, query: KubeRequest['query'] = {}): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private check(method: string, path: string, res: http.IncomingMessage, text: string): void {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return;
    // A rotated token: read the file again at the next request rather than after the max age.
    if (status === 401) this.fileToken = undefined;
    throw new KubeApiError(method, path, status, text);
  }

  /**
   * Sends with the current credential. A 401 to a credential from the exec plugin (revoked, or
   * refused before its stated expiry) runs the plugin again and sends once more, as a request the
   * API server did not authenticate had no effect; a second 401 is the caller's.
   */
  private async authenticatedSend(r: SendRequest, extra: SendExtra): Promise<http.IncomingMessage> {
    const cred = await this.credential();
    const res = await this.send(r, extra, cred);
    if (res.statusCode !== 401 || !cred.exec) return res;
    res.resume();
    (await this.execCredentials()).invalidate(cred.exec);
    return this.send(r, extra, await this.credential());
  }

  private send(r: SendRequest, extra: SendExtra, cred: Credential): Promise<http.IncomingMessage> {
    const agent = r.watch ? this.watchAgent : r.urgent ? this.urgentAgent : this.agent;
    const headers: http.OutgoingHttpHeaders = {
      Accept: 'application/json',
      'User-Agent': 'omkeys',
      ...this.impersonation,
    };
    if (cred.token) headers.Authorization = `Bearer ${cred.token}`;
    // A client certificate from the plugin: the agent pools connections by certificate, a new one gets new ones.
    const clientCert = cred.cert && cred.key ? { cert: cred.cert, key: cred.key } : {};
    let payload: Buffer | undefined;
    if (r.body !== undefined) {
      payload = Buffer.from(JSON.stringify(r.body));
      headers['Content-Type'] = r.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const url = this.url(r.path, r.query);
    const mod = this.secure ? https : http;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, { method: r.method ?? 'GET', agent, headers, ...clientCert, ...extra }, resolve);
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${r.method ?? 'GET'} ${r.path}: no data from the API server for ${extra.timeout ?? 0} ms`)));
      req.end(payload);
    });
  }

  private async credential(): Promise<Credential> {
    if (!this.access.exec) {
      const token = this.bearer();
      return token ? { token } : {};
    }
    const exec = await (await this.execCredentials()).get();
    const cert = exec.cert && exec.key ? { cert: exec.cert, key: exec.key } : {};
    return { ...(exec.token ? { token: exec.token } : {}), ...cert, exec };
  }

  private execCredentials(): Promise<ExecCredentialSource> {
    const { exec, server, tlsServerName, insecureSkipTlsVerify, ca, proxyUrl } = this.access;
    if (!exec) throw new Error('no exec plugin in this kubeconfig');
    const cluster = { server, tlsServerName, insecureSkipTlsVerify, ca, proxyUrl };
    const opts = { ...this.opts.exec, now: this.now, ...(this.opts.logger ? { logger: this.opts.logger } : {}) };
    this.execSource ??= import('./exec-credential.ts').then((m) => new m.ExecCredentialSource(exec, cluster, opts));
    return this.execSource;
  }

  private bearer(): string | undefined {
    if (this.access.token) return this.access.token;
    const file = this.access.tokenFile;
    if (!file) return undefined;
    const now = this.now();
    if (!this.fileToken || now - this.fileToken.readAt >= this.tokenMaxAgeMs) {
      try {
        this.fileToken = { value: this.readFile(file).trim(), readAt: now };
      } catch (err) {
        // The kubelet swaps the file atomically; a failed read keeps the token we have.
        if (!this.fileToken) throw err;
      }
    }
    return this.fileToken.value;
  }
}

type SendRequest = KubeRequest & { watch?: boolean };
type SendExtra = { signal?: AbortSignal; timeout?: number };

/** client-go's headerKeyEscape: bytes that may not appear in a header name (and %) as %XX. */
function escapeHeaderKey(k: string): string {
  const keep = (c: string): boolean => /[A-Za-z0-9!#$&'*+\-.^_`|~]/.test(c);
  const byte = (b: number): string => String.fromCharCode(b);
  const hex = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return [...Buffer.from(k, 'utf8')].map((b) => (keep(byte(b)) ? byte(b) : hex(b))).join('');
}

/** The headers of the API server's impersonation (client-go's ImpersonatingRoundTripper). */
export function impersonationHeaders(i: Impersonation): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = { 'Impersonate-User': i.user };
  if (i.uid) h['Impersonate-Uid'] = i.uid;
  if (i.groups?.length) h['Impersonate-Group'] = i.groups;
  for (const [k, vs] of Object.entries(i.extra ?? {})) if (vs.length) h[`Impersonate-Extra-${escapeHeaderKey(k)}`] = vs;
  return h;
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the API server closed the connection mid-response')));
  });
}
