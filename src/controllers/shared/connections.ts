import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { OpsManagerClient, type OpsManagerClientOptions } from '../../opsmanager/client.ts';
import { ForbiddenError, UnauthorizedError } from '../../opsmanager/errors.ts';
import type { Organization, Project } from '../../opsmanager/types.ts';
import { systemClock, type Clock } from '../../runtime/clock.ts';
import { ConnectionSecrets, type SecretWatchFactory } from './connection-secrets.ts';
import { CredentialEvidence, type OnRequest } from './credential-evidence.ts';
import type { ConnectionCatalog } from './connection-catalog.ts';
import { guardedLookup, isForbiddenAddress } from '../../opsmanager/address-guard.ts';
import type { ClusterOpsManagerConnection, OpsManagerConnection } from '../../api/types.ts';
import type { SecretStore } from './ports.ts';

export interface Connection {
  client: OpsManagerClient;
  /** `ClusterOpsManagerConnection/<name>` or `OpsManagerConnection/<name>`: what status records. */
  name: string;
  baseUrl: string;
  /** The public key of the connection's own credential: that key is never adopted nor changed for a resource. */
  publicKey: string;
  /** The CA bundle the connection trusts, for other credentials against the same Ops Manager. */
  caPem?: string;
  /** How this connection's sockets are made, for other credentials through it (the address guard included). */
  transport: Pick<OpsManagerClientOptions, 'insecureSkipTlsVerify' | 'lookup'>;
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
  insecureSkipTlsVerify?: boolean;
  /** A namespaced connection's: refuses loopback and link-local addresses at connect time. */
  guarded?: boolean;
}

/**
 * Resolves which Ops Manager credentials a resource uses and hands out one client per
 * distinct credential, so Digest nonces, keep-alive sockets and limits are shared.
 */
export class ConnectionPool {
  /** One client per connection source (`<Kind>/<name>`, a namespaced one prefixed with its namespace); replaced, and the old one closed, when its credentials change. */
  private readonly clients = new Map<string, { id: string; client: OpsManagerClient }>();
  /** The last credentials read from each connection Secret, for a cleanup after it is gone. */
  private readonly lastRead = new Map<string, Pair>();
  private readonly projects = new WeakMap<OpsManagerClient, Map<string, Project>>();
  private readonly secrets: ConnectionSecrets;
  /** What each connection's client last heard of its credential (a probe a key's call made needless is skipped). */
  readonly evidence: CredentialEvidence;

  constructor(
    private readonly deps: {
      secrets: Pick<SecretStore, 'get'>;
      /** The connection objects, from the informers' caches. */
      catalog: ConnectionCatalog;
      /** Hosts a namespaced connection may use (OMKEYS_NAMESPACED_CONNECTION_HOSTS); empty: any that is not loopback or link-local. */
      namespacedHosts?: readonly string[];
      clientOptions: Partial<OpsManagerClientOptions>;
      /**
       * What one namespaced connection (a server a tenant names) may hold of the workers every
       * namespace shares: its requests in flight, and how long a call waits for one of them
       * before it fails unsent and its reconcile backs off. Absent: as a cluster connection.
       */
      namespacedShare?: { maxConcurrency: number; maxSlotWaitMs: number };
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
    this.evidence = new CredentialEvidence(() => (clock ?? systemClock).now());
    this.secrets = new ConnectionSecrets({
      live: deps.secrets,
      logger: deps.logger,
      ...(clock ? { clock } : {}),
      ...(deps.secretTtlMs !== undefined ? { liveTtlMs: deps.secretTtlMs } : {}),
      ...(deps.secretWatch ? { watch: deps.secretWatch } : {}),
      ...(deps.secretWatchIdleMs !== undefined ? { idleMs: deps.secretWatchIdleMs } : {}),
    });
  }

  /** The connection objects as the caches hold them (which one a name means, what a namespace may do). */
  get catalog(): ConnectionCatalog {
    return this.deps.catalog;
  }

  /**
   * What the connection's credential can see: the organizations it is a member of, at most
   * `max` of them (one page). Any answer proves the credential authenticates.
   */
  async organizations(conn: Connection, max = 20): Promise<Organization[]> {
    const out: Organization[] = [];
    for await (const org of conn.client.listOrgs()) {
      out.push(org);
      if (out.length >= max) break;
    }
    return out;
  }

  /**
   * The connection `name` means for a resource in `namespace` (`default`, or `<Kind>/<name>`), from
   * the caches and the watched credentials Secret. `forCleanup`: a namespace being deleted takes
   * the Secret with the resources that use it, in no particular order; to clean Ops Manager up
   * anyway, the last credentials this process read from that Secret are used when it is gone.
   */
  async resolve(namespace: string, name: string, opts: { forCleanup?: boolean } = {}): Promise<Connection> {
    const found = this.deps.catalog.find(namespace, name, opts);
    if (found.kind === 'missing') throw new ConnectionError(found.message);
    const creds = found.kind === 'cluster' ? await this.clusterCredentials(found.obj, found.name, opts) : await this.namespacedCredentials(namespace, found.obj, found.name, opts);
    const source = found.kind === 'cluster' ? found.name : `${namespace}/${found.name}`;
    return {
      client: this.clientFor(source, creds),
      name: found.name,
      baseUrl: creds.baseUrl,
      publicKey: creds.publicKey,
      ...(creds.caPem ? { caPem: creds.caPem } : {}),
      transport: transportOf(creds),
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
    const pairCreds = { baseUrl: conn.baseUrl, ...pair, ...(conn.caPem ? { caPem: conn.caPem } : {}), ...conn.transport };
    // Only a namespaced connection's transport carries the address guard's lookup.
    const client = this.newClient(pairCreds, conn.transport.lookup !== undefined);
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

  private async clusterCredentials(obj: ClusterOpsManagerConnection, name: string, opts: { forCleanup?: boolean }): Promise<Credentials> {
    const ref = obj.spec.credentialsSecretRef;
    const pair = await this.fromSecret(ref.namespace, ref.name, name, opts.forCleanup === true);
    const ca = obj.spec.caSecretRef;
    const caPem = ca ? await this.caFrom(ca.namespace, ca.name, ca.key ?? 'ca.crt', name) : undefined;
    return { ...pair, baseUrl: trimUrl(obj.spec.baseUrl), ...(caPem ? { caPem } : {}), ...(obj.spec.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}) };
  }

  private async namespacedCredentials(namespace: string, obj: OpsManagerConnection, name: string, opts: { forCleanup?: boolean }): Promise<Credentials> {
    checkNamespacedUrl(obj.spec.baseUrl, name, this.deps.namespacedHosts ?? []);
    const pair = await this.fromSecret(namespace, obj.spec.credentialsSecretRef.name, name, opts.forCleanup === true);
    const ca = obj.spec.caSecretRef;
    const caPem = ca ? await this.caFrom(namespace, ca.name, ca.key ?? 'ca.crt', name) : undefined;
    return { ...pair, baseUrl: trimUrl(obj.spec.baseUrl), ...(caPem ? { caPem } : {}), guarded: true };
  }

  private async caFrom(namespace: string, name: string, key: string, what: string): Promise<string> {
    const secret = await this.secrets.get(namespace, name);
    const v = secret?.data?.[key];
    if (v === undefined) throw new ConnectionError(`${what}: CA Secret ${namespace}/${name} ${secret ? `lacks ${key}` : 'not found'}`);
    return Buffer.from(v, 'base64').toString('utf8');
  }

  private async fromSecret(namespace: string, name: string, what: string, staleOk = false): Promise<Pair> {
    const id = `${namespace}/${name}`;
    let creds: Pair;
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

  private parse(secret: V1Secret | undefined, namespace: string, name: string, what: string): Pair {
    if (!secret) throw new ConnectionError(`${what}: credentials Secret ${namespace}/${name} not found`);
    const field = (k: string): string | undefined => {
      const v = secret.data?.[k];
      return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8').trim();
    };
    const missing = ['publicKey', 'privateKey'].filter((k) => !field(k));
    if (missing.length > 0) throw new ConnectionError(`${what}: credentials Secret ${namespace}/${name} lacks ${missing.join(', ')}`);
    return { publicKey: field('publicKey') ?? '', privateKey: field('privateKey') ?? '' };
  }

  private clientFor(source: string, c: Credentials): OpsManagerClient {
    const id = createHash('sha256').update(JSON.stringify([c.baseUrl, c.publicKey, c.privateKey, c.caPem ?? '', c.insecureSkipTlsVerify === true, c.guarded === true])).digest('hex');
    const existing = this.clients.get(source);
    if (existing?.id === id) return existing.client;
    existing?.client.close();
    const make = (onRequest: OnRequest): OpsManagerClient =>
      this.newClient({ ...c, ...transportOf(c) }, c.guarded === true, onRequest);
    const client = this.evidence.track(make, this.deps.clientOptions.onRequest);
    this.clients.set(source, { id, client });
    return client;
  }

  private newClient(c: Pick<Credentials, 'baseUrl' | 'publicKey' | 'privateKey' | 'caPem'> & Connection['transport'], namespaced: boolean, onRequest?: OnRequest): OpsManagerClient {
    const make = this.deps.makeClient ?? ((o: OpsManagerClientOptions) => new OpsManagerClient(o));
    const share = namespaced ? this.deps.namespacedShare : undefined;
    const base = this.deps.clientOptions;
    return make({
      ...base,
      ...(share ? { maxConcurrency: share.maxConcurrency, limits: { ...base.limits, maxSlotWaitMs: share.maxSlotWaitMs } } : {}),
      baseUrl: c.baseUrl,
      publicKey: c.publicKey,
      privateKey: c.privateKey,
      ...(c.caPem ? { caPem: c.caPem } : {}),
      ...(c.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
      ...(c.lookup ? { lookup: c.lookup } : {}),
      ...(onRequest ? { onRequest } : {}),
    });
  }
}

interface Pair {
  publicKey: string;
  privateKey: string;
}

function trimUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

function transportOf(c: Credentials): Connection['transport'] {
  return { ...(c.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}), ...(c.guarded ? { lookup: guardedLookup() } : {}) };
}

/**
 * A namespaced connection is a tenant's word about where the operator connects: https only, no
 * literal loopback or link-local address (names are judged when they resolve, address-guard.ts),
 * and only the hosts an admin allows when they list any (`.example.com` allows its subdomains).
 */
export function checkNamespacedUrl(baseUrl: string, what: string, hosts: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (err) {
    throw new ConnectionError(`${what}: baseUrl ${baseUrl} is not a URL`, { cause: err });
  }
  if (url.protocol !== 'https:') throw new ConnectionError(`${what}: a namespaced connection's baseUrl must be https://`);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isForbiddenAddress(host)) throw new ConnectionError(`${what}: ${host} is a loopback or link-local address a namespaced connection may not reach`);
  if (hosts.length > 0 && !hosts.some((h) => (h.startsWith('.') ? host.endsWith(h.toLowerCase()) : host === h.toLowerCase()))) {
    throw new ConnectionError(`${what}: host ${host} is not one the operator allows namespaced connections (OMKEYS_NAMESPACED_CONNECTION_HOSTS)`);
  }
}
