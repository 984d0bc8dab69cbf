/**
 * One copy of each repeated string in the objects the informers cache. JSON.parse gives every
 * value a string of its own, so 10,000 cached keys held 10,000 copies of "omkeys.io/v1alpha1",
 * of "Provisioned", of a role name, of their organization's id and of each condition message: in
 * a heap snapshot after a cold start over 3,000 keys + 3,000 bindings + their Secrets, 5.7 of the
 * 11.8 MiB of strings were copies of a text held elsewhere (bench/lib/heap-snapshot.ts).
 *
 * The table forgets everything once it holds `maxEntries` strings, so texts seen once (digests,
 * key ids, timestamps) never pile up in it; a text that keeps coming back is shared again from
 * the next object on. It holds only what the cached objects hold anyway, plus its own entries.
 */
export class StringInterner {
  private table = new Map<string, string>();
  private forgotten = 0;

  constructor(
    private readonly maxEntries = 32_768,
    /** Longer texts are left alone: a long text repeated verbatim is rare, and hashing it costs. */
    private readonly maxLength = 256,
    /** Property names whose values are unique per object (a uid, a resourceVersion): never looked up. */
    private readonly skip: ReadonlySet<string> = new Set(['uid', 'resourceVersion']),
    /**
     * Property names whose values are never visited: a Secret's data (a connection Secret's
     * private key must not outlive the cached Secret in this table).
     */
    private readonly skipTrees: ReadonlySet<string> = new Set(['data', 'stringData']),
  ) {}

  intern(s: string): string {
    if (s.length > this.maxLength) return s;
    const held = this.table.get(s);
    if (held !== undefined) return held;
    if (this.table.size >= this.maxEntries) {
      this.table.clear();
      this.forgotten++;
    }
    this.table.set(s, s);
    return s;
  }

  /**
   * Replaces, in place, each string value inside a JSON-shaped value (plain objects and arrays,
   * as parsed) by the shared copy; the structure and every other value stay as they are. Symbol
   * keys (facts a transform attached) and frozen values (its shared constants) are not visited.
   */
  internAll<T>(value: T): T {
    this.visit(value, 0);
    return value;
  }

  get stats(): { entries: number; forgotten: number } {
    return { entries: this.table.size, forgotten: this.forgotten };
  }

  private visit(v: unknown, depth: number): void {
    // Kubernetes objects are shallow; the bound only guards against a cycle in a hand-made one.
    // A frozen value is a shared constant a transform put there, not parsed text: left as it is.
    if (depth > 32 || typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
    if (Array.isArray(v)) {
      const a = v as unknown[];
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        if (typeof x === 'string') a[i] = this.intern(x);
        else if (typeof x === 'object') this.visit(x, depth + 1);
      }
      return;
    }
    const o = v as Record<string, unknown>;
    // for-in rather than Object.keys(): no array per object; parsed objects have no inherited enumerable keys.
    for (const k in o) {
      const x = o[k];
      if (typeof x === 'string') {
        if (!this.skip.has(k)) o[k] = this.intern(x);
      } else if (typeof x === 'object' && !this.skipTrees.has(k)) this.visit(x, depth + 1);
    }
  }
}
