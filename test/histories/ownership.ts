import { parsePendingTag } from '../../src/controllers/opsmanagerapikey/pending-tag.ts';
import type { World, Violation } from './world.ts';

// Issue 20's rule, checked after every step: no key outside a namespace's own is ever changed
// (description, roles, access list) or deleted because of that namespace's objects. A
// namespace owns the keys the operator made for its resources (the tag a key is born with
// names the namespace), and the keys it proved it holds (adopted with privateKeySecretRef
// and the right private key) or adopted with rotate: true where the policy allows it.

/** What of a key the rule protects: not its access list's use counters, which every call moves. */
type Snapshot = Map<string, string>;

/** Work on the objects of these namespaces, or a janitor pass (which may touch any namespace's own keys). */
export type Acting = readonly string[] | 'janitor';

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

  /** Keys that were in `before` and changed or went since, while the operator worked for `acting` only. */
  check(before: Snapshot, acting: Acting, what: string): Violation[] {
    const now = this.snapshot();
    const out: Violation[] = [];
    for (const [id, was] of before) {
      const is = now.get(id);
      if (is === was) continue;
      const allowed = acting === 'janitor' ? this.ownedByAny(id) : acting.some((ns) => this.owns(ns, id));
      if (allowed) continue;
      const whose = this.madeFor(id) ? `made for ${this.madeFor(id) ?? ''}` : this.label(id);
      const who = acting === 'janitor' ? 'a janitor pass' : `${what} (namespace ${acting.join(', ')})`;
      const how = is === undefined ? 'deleted' : `changed from ${was} to ${is}`;
      out.push({ check: 'only-own-keys', message: `key ${id} (${whose}) was ${how} by ${who}` });
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
