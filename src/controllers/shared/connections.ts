import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { OpsManagerClient, type OpsManagerClientOptions } from '../../opsmanager/client.ts';
import { ForbiddenError, UnauthorizedError } from '../../opsmanager/errors.ts';
import type { Project } from '../../opsmanager/types.ts';
import { systemClock, type Clock } from '../../runtime/clock.ts';
import { ConnectionSecrets, type SecretWatchFactory } from './connection-secrets.ts';
import type { SecretStore } from './ports.ts';

/** The operator's own Ops Manager connection, from its configuration. */
export interface DefaultConnectionConfig {
  baseUrl?: string;
  publicKey?: string;
  privateKey?: string;
  caPem?: string;
  /** A Secret (namespace/name) with publicKey, privateKey and optionally baseUrl and ca.crt; read on use so it can be rotated. */
  credentialsSecret?: { namespace: string; name: string };
  insecureSkipTlsVerify?: boolean;
}

export interface Connection {
  client: OpsManagerClient;
  baseUrl: string;
  isDefault: boolean;
  /** The public key of the connection's own credential: that key is never adopted nor changed for a resource. */
  publicKey: string;
  /** The CA bundle the connection trusts, for other credentials against the same Ops Manager. */
  caPem?: string;
}

/** The connection cannot be used (missing Secret, missing field): the user must fix it. */
export class ConnectionError extends Error {
  readonly code = 'CONNECTION_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface Credentials {
  baseUrl: string;
  publicKey: string;
  privateKey: string;
  caPem?: string;
}

/**
 * Resolves which Ops Manager credentials a resource uses and hands out one client per
 * distinct credential, so Digest nonces, keep-alive sockets and limits are shared.
 */
export class ConnectionPool {
  /** One client per connection source (`default` or `ns/name`); replaced, and the old one closed, when its credentials change. */
  private readonly clients = new Map<string, { id: string; client: OpsManagerClient }>();
  /** The last credentials read from each connection Secret, for a cleanup after it is gone. */
  private readonly lastRead = new Map<string, Credentials>();
  private readonly projects = new WeakMap<OpsManagerClient, Map<string, Project>>();
  private readonly secrets: ConnectionSecrets;

  constructor(
    private readonly deps: {
      secrets: Pick<SecretStore, 'get'>;
      defaults: DefaultConnectionConfig;
      clientOptions: Partial<OpsManagerClientOptions>;
      logger: Logger;
      now?: () => number;
      /** Timers for the watches' sync timeout; defaults to the system clock (with `now`, if given). */
      clock?: Clock;
      /** Without a watch: how long a connection Secret's contents are reused before it is read again (default 5 s). */
      secretTtlMs?: number;
      /** A watch per connection Secret in use (see connection-secrets.ts); without it, reads are live. */
      secretWatch?: SecretWatchFactory;
      /** A Secret's watch is stopped once no reconcile used it for this long (default 2 h). */
      secretWatchIdleMs?: number;
      /** Builds the client for a set of credentials; tests pass a recording fake. */
      makeClient?: (opts: OpsManagerClientOptions) => OpsManagerClient;
    },
  ) {
    const now = deps.now;
    const clock = deps.clock ?? (now ? { ...systemClock, now } : undefined);
    this.secrets = new ConnectionSecrets({
      live: deps.secrets,
      logger: deps.logger,
      ...(clock ? { clock } : {}),
      ...(deps.secretTtlMs !== undefined ? { liveTtlMs: deps.secretTtlMs } : {}),
      ...(deps.secretWatch ? { watch: deps.secretWatch } : {}),
      ...(deps.secretWatchIdleMs !== undefined ? { idleMs: deps.secretWatchIdleMs } : {}),
    });
  }

  /** A resource without a connection Secret of its own uses the operator's default connection. */
  usesDefault(ref: { name: string } | undefined): boolean {
    return ref === undefined;
  }

  /**
   * The connection a resource in `namespace` uses: the same-namespace Secret `ref` names, or
   * the operator's default. `forCleanup`: a namespace being deleted takes the connection
   * Secret with the resources that use it, in no particular order; to clean Ops Manager up
   * anyway, the last credentials this process read from that Secret are used when it is gone.
   */
  async resolve(namespace: string, ref: { name: string } | undefined, opts: { forCleanup?: boolean } = {}): Promise<Connection> {
    const creds = ref
      ? await this.fromSecret(namespace, ref.name, `spec.connectionSecretRef ${ref.name}`, opts.forCleanup === true)
      : await this.defaultCredentials();
    const source = ref ? `${namespace}/${ref.name}` : 'default';
    return {
      client: this.clientFor(source, creds),
      baseUrl: creds.baseUrl,
      isDefault: ref === undefined,
      publicKey: creds.publicKey,
      ...(creds.caPem ? { caPem: creds.caPem } : {}),
    };
  }

  /**
   * Whether a key pair authenticates against the connection's Ops Manager: one Digest call
   * with it, on a client of its own that is closed at once. The call reads the key's own access
   * list, which Ops Manager allows to the key itself whatever its roles: a key with project
   * roles only is refused the organization's endpoints with the same 401 a wrong private key
   * gets. A 403 still proves the pair (the address is not on its list); only a 401 disproves it.
   */
  async pairAuthenticates(conn: Connection, pair: { publicKey: string; privateKey: string }, probe: { orgId: string; keyId: string }): Promise<boolean> {
    const client = this.newClient({ baseUrl: conn.baseUrl, ...pair, ...(conn.caPem ? { caPem: conn.caPem } : {}) });
    try {
      // The first page is enough: only whether Ops Manager answers matters.
      for await (const entry of client.listAccessList(probe.orgId, probe.keyId)) {
        void entry;
        break;
      }
      return true;
    } catch (err) {
      if (err instanceof UnauthorizedError) return false;
      if (err instanceof ForbiddenError) return true;
      throw err;
    } finally {
      client.close();
    }
  }

  /**
   * A project and the organization it belongs to, read once per client: the organization never
   * changes, and a project key's organization is needed for its access list and its deletion.
   */
  async projectOf(conn: Connection, projectId: string): Promise<Project> {
    let byProject = this.projects.get(conn.client);
    if (!byProject) {
      byProject = new Map();
      this.projects.set(conn.client, byProject);
    }
    const known = byProject.get(projectId);
    if (known) return known;
    const project = await conn.client.getProject(projectId);
    byProject.set(projectId, project);
    return project;
  }

  /** Closes every client and stops the connection Secrets' watches; called when the operator stops. */
  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
    void this.secrets.close();
  }

  private async defaultCredentials(): Promise<Credentials> {
    const d = this.deps.defaults;
    if (d.credentialsSecret) {
      const c = await this.fromSecret(d.credentialsSecret.namespace, d.credentialsSecret.name, 'the default connection Secret');
      return { ...c, baseUrl: d.baseUrl ?? c.baseUrl, ...(d.caPem && !c.caPem ? { caPem: d.caPem } : {}) };
    }
    if (!d.baseUrl || !d.publicKey || !d.privateKey) {
      throw new ConnectionError('the operator has no default Ops Manager connection configured; set spec.connectionSecretRef');
    }
    return { baseUrl: d.baseUrl, publicKey: d.publicKey, privateKey: d.privateKey, ...(d.caPem ? { caPem: d.caPem } : {}) };
  }

  private async fromSecret(namespace: string, name: string, what: string, staleOk = false): Promise<Credentials> {
    const id = `${namespace}/${name}`;
    let creds: Credentials;
    try {
      creds = this.parse(await this.secrets.get(namespace, name), namespace, name, what);
    } catch (err) {
      const last = this.lastRead.get(id);
      if (staleOk && last && err instanceof ConnectionError) return last;
      throw err;
    }
    this.lastRead.set(id, creds);
    return creds;
  }

  private parse(secret: V1Secret | undefined, namespace: string, name: string, what: string): Credentials {
    if (!secret) throw new ConnectionError(`${what}: Secret ${namespace}/${name} not found`);
    const field = (k: string): string | undefined => {
      const v = secret.data?.[k];
      return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8').trim();
    };
    const missing = ['publicKey', 'privateKey'].filter((k) => !field(k));
    const baseUrl = field('baseUrl') ?? this.deps.defaults.baseUrl;
    if (!baseUrl) missing.push('baseUrl');
    if (missing.length > 0) throw new ConnectionError(`${what}: Secret ${namespace}/${name} lacks ${missing.join(', ')}`);
    if (!/^https?:\/\//.test(baseUrl ?? '')) throw new ConnectionError(`${what}: baseUrl must start with http:// or https://`);
    const ca = field('ca.crt');
    return { baseUrl: (baseUrl ?? '').replace(/\/+$/, ''), publicKey: field('publicKey') ?? '', privateKey: field('privateKey') ?? '', ...(ca ? { caPem: ca } : {}) };
  }

  private clientFor(source: string, c: Credentials): OpsManagerClient {
    const id = createHash('sha256').update(JSON.stringify([c.baseUrl, c.publicKey, c.privateKey, c.caPem ?? ''])).digest('hex');
    const existing = this.clients.get(source);
    if (existing?.id === id) return existing.client;
    existing?.client.close();
    const client = this.newClient(c);
    this.clients.set(source, { id, client });
    return client;
  }

  private newClient(c: Credentials): OpsManagerClient {
    const make = this.deps.makeClient ?? ((o: OpsManagerClientOptions) => new OpsManagerClient(o));
    return make({
      ...this.deps.clientOptions,
      baseUrl: c.baseUrl,
      publicKey: c.publicKey,
      privateKey: c.privateKey,
      ...(c.caPem ? { caPem: c.caPem } : {}),
      ...(this.deps.defaults.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    });
  }
}
