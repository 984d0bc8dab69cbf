import { collect, type OpsManagerClient } from '../../opsmanager/client.ts';
import type { ApiKey } from '../../opsmanager/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { StringInterner } from '../../runtime/intern.ts';

export type KeyScope = { orgId: string } | { projectId: string };

/** Keys in one page of a list (the client's itemsPerPage). */
const ONE_PAGE = 500;

interface Entry {
  at: number;
  value: Promise<ReadonlyMap<string, ApiKey>>;
}

interface PerClient {
  lists: Map<string, Entry>;
  written: Map<string, number>;
  /** How many keys each list had when last fetched (a number per organization, kept after the list is dropped). */
  sizes: Map<string, number>;
}

/**
 * One paginated list (500 keys a page) of an organization's or a project's keys serves every
 * key of it in a resync pass, instead of one GET per key: a resync enqueues all keys at once,
 * so the first reconcile of an organization lists it and the others (at the same time, or
 * within `ttlMs`) share the answer. A key the operator wrote to since the list was fetched is
 * not answered from it (the caller reads it directly), nor is one missing from it: a key is
 * never judged deleted on the strength of a list. A failed list is not cached.
 */
export class KeyListCache {
  private readonly byClient = new WeakMap<OpsManagerClient, PerClient>();
  /** Role names and ids recur on every key of an organization (10,000 keys: 20,000 copies of a role name). */
  private readonly strings = new StringInterner(4096);
  private held = 0;

  constructor(
    private readonly opts: {
      clock: Clock;
      ttlMs: number;
      /** Told each organization list fetched (the janitor reads them for keys of resources that are gone). */
      onOrgList?: (client: OpsManagerClient, orgId: string, keys: ReadonlyMap<string, ApiKey>) => void;
    },
  ) {}

  /** The key as the list shows it, or undefined when the list cannot vouch for it. */
  async find(client: OpsManagerClient, scope: KeyScope, keyId: string): Promise<ApiKey | undefined> {
    const c = this.client(client);
    const name = 'orgId' in scope ? `org:${scope.orgId}` : `project:${scope.projectId}`;
    const now = this.opts.clock.now();
    let entry = c.lists.get(name);
    if (!entry || now - entry.at >= this.opts.ttlMs) {
      const value = list(client, scope, this.strings);
      const onOrgList = this.opts.onOrgList;
      if (onOrgList && 'orgId' in scope) value.then((keys) => onOrgList(client, scope.orgId, keys), () => undefined);
      value.then((keys) => c.sizes.set(name, keys.size), () => undefined);
      const fresh: Entry = { at: now, value };
      entry = fresh;
      if (!c.lists.has(name)) this.held++;
      c.lists.set(name, fresh);
      const drop = (): void => {
        if (c.lists.get(name) !== fresh) return;
        c.lists.delete(name);
        this.held--;
      };
      value.catch(drop);
      // A list past its TTL serves nobody: dropped then, so that at rest (resyncs minutes apart)
      // 10,000 keys' worth of lists is not kept alive until the next pass.
      const timer = this.opts.clock.setTimeout(drop, this.opts.ttlMs);
      (timer as { unref?: () => void } | undefined)?.unref?.();
    }
    const writtenAt = c.written.get(keyId);
    if (writtenAt !== undefined && writtenAt >= entry.at) return undefined;
    // A write older than the list is in it: forgotten, so the map holds only recent writes.
    if (writtenAt !== undefined) c.written.delete(keyId);
    return (await entry.value).get(keyId);
  }

  /**
   * Whether the organization's list answers for `keyIds` at no more than one read: one is held
   * that none of them was written to since, or none is held and the last one fit in a page (a
   * list fetched now speaks for every write before it). A binding asks before using it instead
   * of its project's list.
   */
  answersCheaply(client: OpsManagerClient, orgId: string, keyIds: readonly string[]): boolean {
    const c = this.client(client);
    const entry = c.lists.get(`org:${orgId}`);
    if (entry && this.opts.clock.now() - entry.at < this.opts.ttlMs) {
      return keyIds.every((id) => (c.written.get(id) ?? -Infinity) < entry.at);
    }
    return (c.sizes.get(`org:${orgId}`) ?? Infinity) <= ONE_PAGE;
  }

  /** How many lists are held now (tests; a list is dropped once its TTL is over). */
  get listsHeld(): number {
    return this.held;
  }

  /** The operator changed (or created, or deleted) this key: lists fetched before now do not speak for it. */
  noteWritten(client: OpsManagerClient, keyId: string): void {
    this.client(client).written.set(keyId, this.opts.clock.now());
  }

  private client(client: OpsManagerClient): PerClient {
    let c = this.byClient.get(client);
    if (!c) {
      c = { lists: new Map(), written: new Map(), sizes: new Map() };
      this.byClient.set(client, c);
    }
    return c;
  }
}

async function list(client: OpsManagerClient, scope: KeyScope, strings: StringInterner): Promise<ReadonlyMap<string, ApiKey>> {
  const source = 'orgId' in scope ? client.listOrgKeys(scope.orgId) : client.listProjectKeys(scope.projectId);
  return new Map((await collect(source)).map((k) => [k.id, compact(k, strings)]));
}

/** What a listed key is read for; a listed private key is always masked, so it is not kept. */
function compact(k: ApiKey, strings: StringInterner): ApiKey {
  const roles = k.roles.map((r) => ({
    roleName: strings.intern(r.roleName),
    ...(r.orgId !== undefined ? { orgId: strings.intern(r.orgId) } : {}),
    ...(r.groupId !== undefined ? { groupId: strings.intern(r.groupId) } : {}),
  }));
  return { id: k.id, desc: k.desc, publicKey: k.publicKey, privateKey: '', roles, ...(k.orgId !== undefined ? { orgId: strings.intern(k.orgId) } : {}) };
}
