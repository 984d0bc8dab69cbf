import { createHash } from 'node:crypto';
import { AmbiguousCreateError, ConflictError, NotFoundError, PaginationLimitError } from './errors.ts';
import type { OpsManagerError } from './errors.ts';
import { accessListHas, listResults, toAccessListEntry, toApiKey, toOrganization, toProject } from './mapping.ts';
import { Transport } from './transport.ts';
import type { TransportOptions } from './transport.ts';
import type { AccessListEntry, AccessListInput, ApiKey, CreatedApiKey, Organization, Project } from './types.ts';

/**
 * Everything the client is configured with is the transport's: base URL (without
 * `/api/public/v1.0`), the key pair, TLS, timeouts, limits, retry budget, logger and metrics hook.
 */
export type OpsManagerClientOptions = TransportOptions;

const PAGE_SIZE = 500;
const ORGS = '/orgs';
const ORG_KEYS = '/orgs/{orgId}/apiKeys';
const ORG_KEY = '/orgs/{orgId}/apiKeys/{keyId}';
const ACCESS_LIST = '/orgs/{orgId}/apiKeys/{keyId}/accessList';
const ACCESS_ENTRY = '/orgs/{orgId}/apiKeys/{keyId}/accessList/{entry}';
const PROJECT = '/groups/{projectId}';
const PROJECT_KEYS = '/groups/{projectId}/apiKeys';
const PROJECT_KEY = '/groups/{projectId}/apiKeys/{keyId}';

const seg = encodeURIComponent;
/** For DELETE and unassign: a 404 on a retry means the lost first attempt already applied. */
const goneIsDone = (err: OpsManagerError): Promise<unknown> => Promise.resolve(err instanceof NotFoundError ? null : undefined);

export class OpsManagerClient {
  private readonly t: Transport;

  constructor(opts: OpsManagerClientOptions) {
    this.t = new Transport(opts);
  }

  /** Highest number of requests seen in flight at once (the concurrency limit at work). */
  get peakConcurrency(): number {
    return this.t.concurrency.peak;
  }

  /** The organizations this credential can see: the cheap call that proves it authenticates. */
  listOrgs(): AsyncIterable<Organization> {
    return this.paginate('/orgs', ORGS, toOrganization);
  }

  listOrgKeys(orgId: string): AsyncIterable<ApiKey> {
    return this.paginate(`/orgs/${seg(orgId)}/apiKeys`, ORG_KEYS, toApiKey);
  }

  async getOrgKey(orgId: string, keyId: string): Promise<ApiKey> {
    const url = this.t.url(`/orgs/${seg(orgId)}/apiKeys/${seg(keyId)}`);
    return toApiKey(await this.t.request({ method: 'GET', url, route: ORG_KEY }));
  }

  async createOrgKey(orgId: string, body: { desc: string; roles: string[] }): Promise<CreatedApiKey> {
    const url = this.t.url(`/orgs/${seg(orgId)}/apiKeys`);
    const res = await this.t.request({ method: 'POST', url, route: ORG_KEYS, body: { desc: body.desc, roles: body.roles }, create: true });
    return createdKey(res, 'POST /orgs/{orgId}/apiKeys');
  }

  async updateOrgKey(orgId: string, keyId: string, body: { desc?: string; roles?: string[] }): Promise<ApiKey> {
    const url = this.t.url(`/orgs/${seg(orgId)}/apiKeys/${seg(keyId)}`);
    const patch = {
      ...(body.desc !== undefined ? { desc: body.desc } : {}),
      ...(body.roles !== undefined ? { roles: body.roles } : {}),
    };
    return toApiKey(await this.t.request({ method: 'PATCH', url, route: ORG_KEY, body: patch }));
  }

  async deleteOrgKey(orgId: string, keyId: string): Promise<void> {
    const url = this.t.url(`/orgs/${seg(orgId)}/apiKeys/${seg(keyId)}`);
    await this.t.request({ method: 'DELETE', url, route: ORG_KEY, recover: goneIsDone });
  }

  listAccessList(orgId: string, keyId: string): AsyncIterable<AccessListEntry> {
    return this.paginate(`/orgs/${seg(orgId)}/apiKeys/${seg(keyId)}/accessList`, ACCESS_LIST, toAccessListEntry);
  }

  /** Adds entries (never replaces); resolves to the list Ops Manager returns. */
  async addAccessList(orgId: string, keyId: string, entries: AccessListInput[]): Promise<AccessListEntry[]> {
    const url = this.t.url(`/orgs/${seg(orgId)}/apiKeys/${seg(keyId)}/accessList`);
    const body = entries.map((e) => ('ipAddress' in e ? { ipAddress: e.ipAddress } : { cidrBlock: e.cidrBlock }));
    // A 409 on a retry is our own lost first attempt if every entry is now on the list.
    const recover = async (err: OpsManagerError): Promise<unknown> => {
      if (!(err instanceof ConflictError)) return undefined;
      const list = await collect(this.listAccessList(orgId, keyId));
      return entries.every((e) => accessListHas(list, e)) ? { results: list } : undefined;
    };
    const res = await this.t.request({ method: 'POST', url, route: ACCESS_LIST, body, recover, maxBytes: this.t.limits.maxListBodyBytes });
    return listResults(res).results.map(toAccessListEntry);
  }

  /** `entry` is an address or a CIDR block; its `/` travels as %2F. */
  async deleteAccessListEntry(orgId: string, keyId: string, entry: string): Promise<void> {
    const url = this.t.url(`/orgs/${seg(orgId)}/apiKeys/${seg(keyId)}/accessList/${seg(entry)}`);
    await this.t.request({ method: 'DELETE', url, route: ACCESS_ENTRY, recover: goneIsDone });
  }

  /** A project and the organization it belongs to. */
  async getProject(projectId: string): Promise<Project> {
    const url = this.t.url(`/groups/${seg(projectId)}`);
    return toProject(await this.t.request({ method: 'GET', url, route: PROJECT }));
  }

  listProjectKeys(projectId: string): AsyncIterable<ApiKey> {
    return this.paginate(`/groups/${seg(projectId)}/apiKeys`, PROJECT_KEYS, toApiKey);
  }

  async createProjectKey(projectId: string, body: { desc: string; roles: string[] }): Promise<CreatedApiKey> {
    const url = this.t.url(`/groups/${seg(projectId)}/apiKeys`);
    const res = await this.t.request({ method: 'POST', url, route: PROJECT_KEYS, body: { desc: body.desc, roles: body.roles }, create: true });
    return createdKey(res, 'POST /groups/{projectId}/apiKeys');
  }

  /** Assigns an organization key to the project, or replaces its roles there. */
  async assignProjectKey(projectId: string, keyId: string, roles: string[]): Promise<ApiKey> {
    const url = this.t.url(`/groups/${seg(projectId)}/apiKeys/${seg(keyId)}`);
    return toApiKey(await this.t.request({ method: 'PATCH', url, route: PROJECT_KEY, body: { roles } }));
  }

  async unassignProjectKey(projectId: string, keyId: string): Promise<void> {
    const url = this.t.url(`/groups/${seg(projectId)}/apiKeys/${seg(keyId)}`);
    await this.t.request({ method: 'DELETE', url, route: PROJECT_KEY, recover: goneIsDone });
  }

  close(): void {
    this.t.close();
  }

  /**
   * Every page of a list. A listing is bounded in pages, items and bytes, and a `next` link back
   * to a page already read, or a page served again under another link, fails it: a listing
   * cut short would read as complete (a key looked for and not found is created again).
   */
  private async *paginate<T>(path: string, route: string, map: (v: unknown) => T): AsyncGenerator<T> {
    const lim = this.t.limits;
    const what = `GET ${route}`;
    let url: string | undefined = this.t.url(`${path}?itemsPerPage=${PAGE_SIZE}&pageNum=1`);
    const urls = new Set<string>();
    const pages = new Set<string>();
    let items = 0;
    let bytes = 0;
    while (url !== undefined) {
      if (urls.has(url)) throw new PaginationLimitError(what, 'a next link back to a page already read');
      if (urls.size >= lim.maxPages) throw new PaginationLimitError(what, `a list of more than ${lim.maxPages} pages`);
      urls.add(url);
      const reply = await this.t.call({ method: 'GET', url, route, maxBytes: lim.maxListBodyBytes });
      bytes += reply.bytes;
      if (bytes > lim.maxListBytes) throw new PaginationLimitError(what, `a list of more than ${lim.maxListBytes} bytes`);
      const page = listResults(reply.value);
      items += page.results.length;
      if (items > lim.maxItems) throw new PaginationLimitError(what, `a list of more than ${lim.maxItems} items`);
      if (page.results.length > 0) {
        const digest = createHash('sha256').update(JSON.stringify(page.results)).digest('base64');
        if (pages.has(digest)) throw new PaginationLimitError(what, 'the same page served twice');
        pages.add(digest);
      }
      for (const item of page.results) yield map(item);
      url = page.next !== undefined && page.results.length > 0 ? this.rebase(page.next) : undefined;
    }
  }

  /**
   * Follows a `next` link through the configured base: behind a proxy Ops Manager may
   * print its internal host, which the client cannot reach (or verify).
   */
  private rebase(href: string): string {
    const base = new URL(this.t.apiBase);
    const u = new URL(href, base);
    u.protocol = base.protocol;
    u.host = base.host;
    if (!u.searchParams.has('itemsPerPage')) u.searchParams.set('itemsPerPage', String(PAGE_SIZE));
    return u.toString();
  }
}

/**
 * A 200 whose key cannot be read still minted a key: the caller must take the same recovery
 * path as for an unknown outcome (find it by description, delete it, create again).
 */
function createdKey(res: unknown, what: string): CreatedApiKey {
  try {
    return toApiKey(res);
  } catch (err) {
    throw new AmbiguousCreateError(`${what}: a key was created but the response could not be read`, { status: 200, cause: err });
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}
