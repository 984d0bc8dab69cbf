import { parsePendingTag } from '../../src/controllers/opsmanagerapikey/pending-tag.ts';
import type { Violation, Work, World } from './world.ts';

// Issue 20's rule, checked after every step: no key outside a namespace's own is ever changed
// (description, roles, access list) or deleted because of that namespace's objects. A
// namespace owns the keys the operator made for its resources (the tag a key is born with
// names the namespace), and the keys it proved it holds (adopted with privateKeySecretRef
// and the right private key) or adopted with rotate: true where the policy allows it.

/** What of a key the rule protects: not its access list's use counters, which every call moves. */
type Snapshot = Map<string, string>;

/**
 * Before some operator work: the keys as they were, the namespaces of the objects worked on
 * ('janitor': a janitor pass, which may touch any namespace's own keys), and, when all the work
 * is OpsManagerApiKey reconciles, the uids of those resources (at the start: a deletion may
 * remove them).
 */
export interface Before {
  keys: Snapshot;
  what: string;
  namespaces: readonly string[] | 'janitor';
  uids?: readonly string[];
}

export class Ownership {
  private readonly grants = new Map<string, Set<string>>();

  constructor(private readonly w: World) {}

  /** The namespace came to own `id` otherwise than by the operator making it for one of its resources. */
  grant(namespace: string, id: string): void {
    this.grants.set(namespace, new Set([...(this.grants.get(namespace) ?? []), id]));
  }

  /** The namespace the operator made `id` for, from the pending tag the key was born with. */
  madeFor(id: string): string | undefined {
    const born = this.w.fixture.bornAs(id);
    return born === undefined ? undefined : parsePendingTag(born)?.where?.namespace;
  }

  owns(namespace: string, id: string): boolean {
    return this.madeFor(id) === namespace || (this.grants.get(namespace)?.has(id) ?? false);
  }

  ownedByAny(id: string): boolean {
    return this.madeFor(id) !== undefined || [...this.grants.values()].some((s) => s.has(id));
  }

  snapshot(): Snapshot {
    const out: Snapshot = new Map();
    for (const k of this.w.fixture.sim.state.apiKeys.values()) {
      const roles = k.roles.map((r) => `${r.groupId ?? r.orgId ?? ''}:${r.roleName}`).sort();
      out.set(k.id, JSON.stringify([k.desc, roles, k.accessList.map((e) => e.cidrBlock).sort()]));
    }
    return out;
  }

  before(works: readonly Work[] | 'janitor'): Before {
    const keys = this.snapshot();
    if (works === 'janitor') return { keys, what: 'a janitor pass', namespaces: 'janitor' };
    const refs = works.map((w) => (w.startsWith('key:') ? w.slice(4) : w.slice(8)).split('/'));
    const namespaces = refs.map(([ns]) => ns ?? '');
    const uids = refs.map(([ns, name]) => this.w.kube.get('OpsManagerApiKey', ns ?? '', name ?? '')?.metadata?.uid);
    const known = uids.filter((u): u is string => u !== undefined);
    const keysOnly = works.every((w) => w.startsWith('key:')) && known.length === uids.length;
    return { keys, what: works.join(' + '), namespaces, ...(keysOnly ? { uids: known } : {}) };
  }

  /**
   * Keys that were there before and changed or went since: each must be its namespace's own
   * (only-own-keys) and, for a resource's reconcile, that resource's: born with its tag, or named
   * by its status at some point (only-its-keys, issue 20's rule for a single resource).
   */
  check(b: Before): Violation[] {
    const now = this.snapshot();
    const out: Violation[] = [];
    const named = b.uids ? this.namedBy(b.uids) : undefined;
    for (const [id, was] of b.keys) {
      const is = now.get(id);
      if (is === was) continue;
      const how = is === undefined ? 'deleted' : `changed from ${was} to ${is}`;
      const ns = b.namespaces;
      if (ns === 'janitor' ? !this.ownedByAny(id) : !ns.some((n) => this.owns(n, id))) {
        const whose = this.madeFor(id) ? `made for ${this.madeFor(id) ?? ''}` : this.label(id);
        out.push({ check: 'only-own-keys', message: `key ${id} (${whose}) was ${how} by ${b.what}` });
      } else if (b.uids && named && !this.isIts(b.uids, named, id)) {
        const message = `key ${id}, never named by status nor tagged for it, was ${how} by ${b.what}`;
        out.push({ check: 'only-its-keys', message });
      }
    }
    return out;
  }

  /** Whether the resources with these uids made `id` (born with their tag), or their status ever named it. */
  private isIts(uids: readonly string[], named: ReadonlySet<string>, id: string): boolean {
    const born = this.w.fixture.bornAs(id);
    const uid = born === undefined ? undefined : parsePendingTag(born)?.uid;
    return (uid !== undefined && uids.includes(uid)) || named.has(id);
  }

  /** Every key id the status of the resources with these uids ever named, as the operator wrote it. */
  private namedBy(uids: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const wr of this.w.kube.writes) {
      const mine = wr.by === 'operator' && wr.kind === 'OpsManagerApiKey' && uids.includes(wr.obj.metadata?.uid ?? '');
      if (!mine) continue;
      const st = (wr.obj as { status?: { keyId?: string; previousKeyId?: string } }).status;
      for (const id of [st?.keyId, st?.previousKeyId]) if (id) out.add(id);
    }
    return out;
  }

  /**
   * Record before name: a key the operator made that no longer carries its tag is named by a
   * resource's status (current or grace key), or was left by a Retain resource.
   */
  recordBeforeName(): Violation[] {
    const live = this.w.liveKeys();
    const named = new Set<string | undefined>(live.flatMap((k) => [k.status?.keyId, k.status?.previousKeyId]));
    const out: Violation[] = [];
    for (const k of this.w.fixture.sim.state.apiKeys.values()) {
      const born = this.w.fixture.bornAs(k.id);
      const tag = born === undefined ? undefined : parsePendingTag(born);
      if (!tag || parsePendingTag(k.desc)?.uid === tag.uid || named.has(k.id) || this.w.retained.has(k.id)) continue;
      const message = `key ${k.id}, made for uid ${tag.uid}, is named "${k.desc}" but no status records it`;
      out.push({ check: 'record-before-name', message });
    }
    return out;
  }

  private label(id: string): string {
    const v = this.w.victims;
    if (id === v.operator) return "the operator's own credential";
    if (id === v.hand) return 'made by hand';
    if (id === v.project) return 'made by hand, with project roles';
    const conn = Object.entries(v.conn).find(([, k]) => k.id === id);
    if (conn) return `${conn[0]}'s own connection`;
    return this.w.foreignKeys.has(id) ? 'made by hand' : 'no namespace\'s';
  }
}
