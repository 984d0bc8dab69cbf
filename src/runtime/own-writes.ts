/** The identity and version of an object: all OwnWrites needs, from typed or plain JSON objects. */
export interface Versioned {
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

function idOf(obj: Versioned): string {
  return `${obj.kind ?? ''}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/**
 * The resourceVersions a controller's own writes produced. A watch event carrying exactly
 * that version is the echo of the write, not news: the reconcile that wrote it already acted
 * on it. Ignoring echoes halves the reconciles of a create and, more importantly, keeps a
 * reconcile that writes status and then fails from being re-run at once by its own write,
 * which would defeat the backoff.
 */
/**
 * A reconcile may write one object several times (the pending mark, then a status); the watch
 * delivers the echo of each, possibly after the next write: the last few versions are kept.
 */
const VERSIONS_KEPT = 8;

export class OwnWrites {
  private readonly versions = new Map<string, string[]>();
  /** Per object, the versions our writes replaced: a cache still showing one has not caught up. */
  private readonly replaced = new Map<string, string[]>();

  /**
   * Notes the object a write returned (kind, namespace, name and resourceVersion) and the
   * version the write replaced (the resourceVersion it was sent with).
   */
  record(obj: Versioned, kind?: string, replacedVersion?: string): void {
    const rv = obj.metadata?.resourceVersion;
    if (!rv) return;
    const id = idOf(kind ? { ...obj, kind } : obj);
    const kept = this.versions.get(id) ?? [];
    this.versions.set(id, [...kept.slice(1 - VERSIONS_KEPT), rv]);
    if (replacedVersion) this.replaced.set(id, [...(this.replaced.get(id) ?? []).slice(1 - VERSIONS_KEPT), replacedVersion]);
  }

  /**
   * The copy is one an own write already replaced: the cache lags that write (its echo is on the
   * way), and a reconcile from it would only fail with a conflict. Versions are compared for
   * equality only: a resourceVersion is opaque.
   */
  isSuperseded(obj: Versioned, kind?: string): boolean {
    const rv = obj.metadata?.resourceVersion;
    return rv !== undefined && (this.replaced.get(idOf(kind ? { ...obj, kind } : obj)) ?? []).includes(rv);
  }

  isEcho(obj: Versioned): boolean {
    const rv = obj.metadata?.resourceVersion;
    return rv !== undefined && (this.versions.get(idOf(obj)) ?? []).includes(rv);
  }

  forget(obj: Versioned): void {
    this.versions.delete(idOf(obj));
    this.replaced.delete(idOf(obj));
  }

  get size(): number {
    return this.versions.size;
  }
}
