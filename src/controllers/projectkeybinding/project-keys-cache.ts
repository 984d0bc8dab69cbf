import { collect, type OpsManagerClient } from '../../opsmanager/client.ts';
import type { Clock } from '../../runtime/clock.ts';

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
 * the first resync after the entry expired. A failed list is not cached.
 */
export class ProjectKeysCache {
  private readonly byClient = new WeakMap<OpsManagerClient, Map<string, Entry>>();

  constructor(private readonly opts: { clock: Clock; ttlMs: number }) {}

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
    this.update(client, projectId, (m) => m.set(keyId, [...roles].sort()));
  }

  noteUnassigned(client: OpsManagerClient, projectId: string, keyId: string): void {
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
      const roles = key.roles.filter((r) => r.groupId === projectId).map((r) => r.roleName);
      if (roles.length > 0) out.set(key.id, [...new Set(roles)].sort());
    }
    return out;
  }
}
