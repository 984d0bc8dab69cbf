import { collect, type OpsManagerClient } from '../../opsmanager/client.ts';
import type { ApiKey } from '../../opsmanager/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { KeyListCache } from '../shared/key-list-cache.ts';

type Assigned = Map<string, string[]>;

interface Entry {
  at: number;
  value: Promise<Assigned>;
}

/**
 * One `GET /groups/{id}/apiKeys` serves every binding of a project: a resync enqueues all
 * bindings at once, so the first reconcile of a project lists it and the others (running at
 * the same time, or within `ttlMs`) share that answer. Our own writes are applied to the
 * cached answer, so they never cause a second list; a hand edit in Ops Manager shows up at
 * the first resync after the entry expired. A failed list is not cached. An organization key's
 * bindings are answered from its organization's list instead when that is cheap (`rolesOf`).
 */
export class ProjectKeysCache {
  private readonly byClient = new WeakMap<OpsManagerClient, Map<string, Entry>>();

  constructor(
    private readonly opts: {
      clock: Clock;
      ttlMs: number;
      /** The organizations' key lists the key controller reads (each key's roles in every project are in it). */
      orgLists?: Pick<KeyListCache, 'find' | 'answersCheaply' | 'noteWritten'>;
    },
  ) {}

  /**
   * The roles in the project of `keyIds` only (a binding's key, and the one its status names).
   * For an organization key, from its organization's list when that answers at no more than one
   * read: a resync lists every organization for its keys anyway, so the project then costs no
   * read of its own. Otherwise, or when the list cannot vouch for one of them, the project's list.
   */
  async rolesOf(
    client: OpsManagerClient,
    projectId: string,
    keyIds: readonly string[],
    opts: { orgId?: string; fresh?: boolean } = {},
  ): Promise<ReadonlyMap<string, readonly string[]>> {
    const lists = this.opts.orgLists;
    const orgId = opts.orgId;
    if (!lists || !orgId || opts.fresh || !lists.answersCheaply(client, orgId, keyIds)) {
      return this.get(client, projectId, opts.fresh ? { fresh: true } : {});
    }
    const out: Assigned = new Map();
    for (const keyId of keyIds) {
      const key = await lists.find(client, { orgId }, keyId);
      if (!key) return this.get(client, projectId);
      const roles = rolesIn(key, projectId);
      if (roles.length > 0) out.set(keyId, roles);
    }
    return out;
  }

  /** Key id -> roles in the project, for every key assigned to it. `fresh`: listed now, whatever is cached. */
  async get(client: OpsManagerClient, projectId: string, opts: { fresh?: boolean } = {}): Promise<ReadonlyMap<string, readonly string[]>> {
    const entries = this.entries(client);
    const now = this.opts.clock.now();
    const hit = entries.get(projectId);
    if (hit && !opts.fresh && now - hit.at < this.opts.ttlMs) return hit.value;
    const value = this.list(client, projectId);
    const entry = { at: now, value };
    entries.set(projectId, entry);
    value.catch(() => {
      if (entries.get(projectId) === entry) entries.delete(projectId);
    });
    return value;
  }

  noteAssigned(client: OpsManagerClient, projectId: string, keyId: string, roles: readonly string[]): void {
    this.opts.orgLists?.noteWritten(client, keyId);
    this.update(client, projectId, (m) => m.set(keyId, [...roles].sort()));
  }

  noteUnassigned(client: OpsManagerClient, projectId: string, keyId: string): void {
    this.opts.orgLists?.noteWritten(client, keyId);
    this.update(client, projectId, (m) => m.delete(keyId));
  }

  private update(client: OpsManagerClient, projectId: string, change: (m: Assigned) => void): void {
    const entry = this.entries(client).get(projectId);
    if (!entry) return;
    // Chained, so that a list still in flight cannot overwrite a write made after it started.
    entry.value = entry.value.then((m) => {
      const copy = new Map(m);
      change(copy);
      return copy;
    });
    entry.value.catch(() => undefined);
  }

  private entries(client: OpsManagerClient): Map<string, Entry> {
    let m = this.byClient.get(client);
    if (!m) {
      m = new Map();
      this.byClient.set(client, m);
    }
    return m;
  }

  private async list(client: OpsManagerClient, projectId: string): Promise<Assigned> {
    const out: Assigned = new Map();
    for (const key of await collect(client.listProjectKeys(projectId))) {
      const roles = rolesIn(key, projectId);
      if (roles.length > 0) out.set(key.id, roles);
    }
    return out;
  }
}

function rolesIn(key: ApiKey, projectId: string): string[] {
  return [...new Set(key.roles.filter((r) => r.groupId === projectId).map((r) => r.roleName))].sort();
}
