import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { newObjectId, newPrivateKey, newPublicKey } from './ids.ts';

export interface Org { id: string; name: string; requireAccessList: boolean }
export interface Project { id: string; orgId: string; name: string }
export interface Role { orgId?: string; groupId?: string; roleName: string }
export interface AccessEntry {
  cidrBlock: string;
  /** The address when added as `ipAddress`; null when added as `cidrBlock`. */
  ipAddress: string | null;
  created: string;
  count: number;
  lastUsed?: string;
  lastUsedAddress?: string;
}
export interface ApiKey {
  id: string;
  orgId: string;
  desc: string;
  publicKey: string;
  /** Kept because Digest needs it; never rendered outside the create response. */
  privateKey: string;
  roles: Role[];
  accessList: AccessEntry[];
}

interface Persisted { orgs: Org[]; projects: Project[]; apiKeys: ApiKey[] }

/** The simulator's whole world. Tests may read and mutate it directly (e.g. a hand edit in the UI). */
export class SimState {
  readonly orgs = new Map<string, Org>();
  readonly projects = new Map<string, Project>();
  /** Insertion order is list order. */
  readonly apiKeys = new Map<string, ApiKey>();
  /**
   * publicKey -> key id, for Digest: a scan of every key per request made the simulator the
   * bottleneck at 10,000 keys. Tests add and delete keys in apiKeys directly, so a hit is
   * checked against it and a miss falls back to the scan.
   */
  private readonly byPublicKey = new Map<string, string>();

  constructor(
    private readonly now: () => number,
    private readonly file?: string,
  ) {}

  addOrg(name: string, requireAccessList = false): Org {
    const org = { id: this.newId(), name, requireAccessList };
    this.orgs.set(org.id, org);
    return org;
  }

  addProject(orgId: string, name: string): Project {
    const p = { id: this.newId(), orgId, name };
    this.projects.set(p.id, p);
    return p;
  }

  addKey(orgId: string, desc: string, roles: Role[]): ApiKey {
    let publicKey = newPublicKey();
    while (this.byPublicKey.has(publicKey)) publicKey = newPublicKey();
    const key: ApiKey = { id: this.newId(), orgId, desc, publicKey, privateKey: newPrivateKey(), roles, accessList: [] };
    this.apiKeys.set(key.id, key);
    this.byPublicKey.set(publicKey, key.id);
    return key;
  }

  keysOfOrg(orgId: string): ApiKey[] {
    return [...this.apiKeys.values()].filter((k) => k.orgId === orgId);
  }

  findByPublicKey(publicKey: string): ApiKey | undefined {
    const id = this.byPublicKey.get(publicKey);
    const hit = id === undefined ? undefined : this.apiKeys.get(id);
    if (hit?.publicKey === publicKey) return hit;
    this.byPublicKey.delete(publicKey);
    for (const k of this.apiKeys.values()) {
      if (k.publicKey !== publicKey) continue;
      this.byPublicKey.set(publicKey, k.id);
      return k;
    }
    return undefined;
  }

  /** What `GET /__sim/state` shows: never a private key. */
  publicView(): unknown {
    return {
      orgs: [...this.orgs.values()].map((o) => ({ id: o.id, name: o.name, requireAccessList: o.requireAccessList })),
      projects: [...this.projects.values()].map((p) => ({ id: p.id, name: p.name, orgId: p.orgId })),
      apiKeys: [...this.apiKeys.values()].map((k) => ({
        id: k.id,
        publicKey: k.publicKey,
        desc: k.desc,
        roles: k.roles.map((r) => ({ ...r })),
        accessList: k.accessList.map((e) => e.cidrBlock),
      })),
    };
  }

  /** Loads the file if there is one; returns false when there was nothing to load. */
  load(): boolean {
    if (!this.file || !existsSync(this.file)) return false;
    const data = JSON.parse(readFileSync(this.file, 'utf8')) as Persisted;
    this.orgs.clear();
    this.projects.clear();
    this.apiKeys.clear();
    for (const o of data.orgs) this.orgs.set(o.id, o);
    for (const p of data.projects) this.projects.set(p.id, p);
    this.byPublicKey.clear();
    for (const k of data.apiKeys) {
      this.apiKeys.set(k.id, k);
      this.byPublicKey.set(k.publicKey, k.id);
    }
    return true;
  }

  /** Atomic: write a sibling temp file, then rename over the target. No-op without a file. */
  save(): void {
    if (!this.file) return;
    const data: Persisted = {
      orgs: [...this.orgs.values()],
      projects: [...this.projects.values()],
      apiKeys: [...this.apiKeys.values()],
    };
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  private newId(): string {
    let id = newObjectId(this.now());
    while (this.orgs.has(id) || this.projects.has(id) || this.apiKeys.has(id)) id = newObjectId(this.now());
    return id;
  }
}
