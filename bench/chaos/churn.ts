// What users do to the operator's resources during a storm: create, change, re-key, rotate and
// delete keys (organization and project keys mixed) and bindings, at random, from a seed.
import { CoreV1Api } from '@kubernetes/client-node';
import type { AccessListEntry, OpsManagerApiKeySpec } from '../../src/api/types.ts';
import type { Kube } from '../../test/integration/support/kube.ts';
import type { SimHandle } from '../../tools/opsmanager-sim/server.ts';
import type { Rng } from './rng.ts';

// ORG_OWNER is left out: the operator's policy refuses it through the default connection.
const ORG_ROLES = ['ORG_MEMBER', 'ORG_GROUP_CREATOR', 'ORG_READ_ONLY'];
const GROUP_ROLES = ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_MONITORING_ADMIN', 'GROUP_BACKUP_ADMIN', 'GROUP_OWNER'];

export type Op = 'create-key' | 'create-binding' | 'change-key' | 'change-binding' | 're-key' | 'rotate' | 'delete-key' | 'delete-binding';

interface KeyRec { ns: string; name: string; projectId?: string; rotates: boolean; secretName: string }
interface BindingRec { ns: string; name: string; keyName: string; projectId: string }

export interface ChurnOptions {
  kube: Kube;
  sim: SimHandle;
  rng: Rng;
  namespaces: readonly string[];
  /** The population the churn keeps around: creates below it, deletes above it. */
  targetKeys: number;
  /** Told every op carried out or refused, for the run's journal. */
  journal?: (line: string) => void;
}

/** Drives the churn; counts what it did (an op that the API server refused is counted apart). */
export class Churn {
  readonly done = new Map<Op, number>();
  failed = 0;
  private readonly keys = new Map<string, KeyRec>();
  private readonly bindings = new Map<string, BindingRec>();
  private readonly deletedNames: Array<{ ns: string; name: string }> = [];
  private seq = 0;
  private readonly core: CoreV1Api;

  constructor(private readonly o: ChurnOptions) {
    this.core = o.kube.env.kc.makeApiClient(CoreV1Api);
  }

  get total(): number {
    return [...this.done.values()].reduce((n, v) => n + v, 0);
  }

  /** Creates `keys` keys and about half as many bindings, without waiting for them. */
  async populate(keys: number): Promise<void> {
    for (let i = 0; i < keys; i++) await this.apply('create-key');
    for (let i = 0; i < Math.ceil(keys / 2); i++) await this.apply('create-binding');
  }

  /** Random ops, each `gapMs` apart, until `signal` aborts. */
  async run(signal: AbortSignal, gapMs: readonly [number, number]): Promise<void> {
    while (!signal.aborted) {
      await this.apply(this.choose());
      await new Promise((r) => setTimeout(r, this.o.rng.int(gapMs[0], gapMs[1] + 1)));
    }
  }

  private choose(): Op {
    const n = this.keys.size;
    const grow = n < this.o.targetKeys ? 4 : 1;
    const shrink = n > this.o.targetKeys ? 4 : 1;
    return this.o.rng.weighted<Op>([
      ['create-key', grow * 2],
      ['create-binding', this.bindings.size < n ? 3 : 0.5],
      ['change-key', 3],
      ['change-binding', 1.5],
      ['re-key', 1.5],
      ['rotate', 1.5],
      ['delete-key', shrink * 1.5],
      ['delete-binding', 1],
    ]);
  }

  /** Carries out one op; false when there was nothing to do it on or the API server refused it. */
  async apply(op: Op): Promise<boolean> {
    try {
      const did = await this.carryOut(op);
      if (did) {
        this.done.set(op, (this.done.get(op) ?? 0) + 1);
        this.o.journal?.(`${op} ${did}`);
      }
      return did !== false;
    } catch (err) {
      // The API server restarting, a conflict, a name still being deleted: users see the same.
      this.failed++;
      this.o.journal?.(`${op} refused: ${err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err)}`);
      return false;
    }
  }

  /** Does `op`; returns what it did it on, or false when there was nothing to do it on. */
  private async carryOut(op: Op): Promise<string | false> {
    const { rng, kube } = this.o;
    switch (op) {
      case 'create-key': return this.createKey();
      case 'create-binding': return this.createBinding();
      case 'change-key': {
        const k = this.anyKey();
        if (!k) return false;
        let what = '';
        await kube.updateKeySpec(k.ns, k.name, (spec) => (what = this.mutateKey(spec)));
        return `${k.ns}/${k.name} ${what}`;
      }
      case 'change-binding': {
        const b = this.anyBinding();
        if (!b) return false;
        const roles = rng.subset(GROUP_ROLES, 3);
        await kube.custom.patchNamespacedCustomObject({ ...this.api(b.ns, 'projectkeybindings'), name: b.name, body: [{ op: 'replace', path: '/spec/roles', value: roles }] });
        return `${b.ns}/${b.name} roles ${roles.join(',')}`;
      }
      case 're-key': {
        // A user deletes a Secret they can see: a few tries to find a key that has one yet.
        for (let i = 0; i < 4; i++) {
          const k = this.anyKey();
          if (!k) return false;
          if (!(await kube.secret(k.ns, k.secretName))) continue;
          await this.core.deleteNamespacedSecret({ namespace: k.ns, name: k.secretName });
          return `${k.ns}/${k.name} Secret ${k.secretName}`;
        }
        return false;
      }
      case 'rotate': {
        const k = this.anyKey((x) => x.rotates);
        if (!k) return false;
        await kube.makeRotationDue(k.ns, k.name);
        return `${k.ns}/${k.name}`;
      }
      case 'delete-key': {
        const k = this.anyKey();
        if (!k) return false;
        this.keys.delete(`${k.ns}/${k.name}`);
        this.deletedNames.push({ ns: k.ns, name: k.name });
        // Mostly with its bindings; the rest are left to report that their key is gone.
        const withBindings = rng.chance(0.7);
        if (withBindings) for (const b of [...this.bindings.values()].filter((x) => x.ns === k.ns && x.keyName === k.name)) await this.deleteBinding(b);
        await kube.deleteKey(k.ns, k.name);
        return `${k.ns}/${k.name}${withBindings ? ' with its bindings' : ''}`;
      }
      case 'delete-binding': {
        const b = this.anyBinding();
        if (!b) return false;
        await this.deleteBinding(b);
        return `${b.ns}/${b.name}`;
      }
    }
  }

  private async createKey(): Promise<string | false> {
    const { rng, kube, sim } = this.o;
    // Now and then a name that was deleted before: its finalizer may still run.
    const reuse = this.deletedNames.length > 0 && rng.chance(0.1) ? this.deletedNames.splice(rng.int(0, this.deletedNames.length), 1)[0] : undefined;
    const ns = reuse?.ns ?? rng.pick(this.o.namespaces);
    const name = reuse?.name ?? `k${++this.seq}`;
    const project = rng.chance(0.35);
    const spec: OpsManagerApiKeySpec = project
      ? { projectId: rng.pick(sim.projectIds), roles: rng.subset(GROUP_ROLES, 3) }
      : { orgId: sim.orgId, roles: rng.subset(ORG_ROLES, 2) };
    if (rng.chance(0.5)) spec.accessList = this.accessList();
    if (rng.chance(0.3)) spec.description = `chaos ${name} ${rng.int(0, 1000)}`;
    const rotates = rng.chance(0.5);
    if (rotates) spec.rotation = rng.chance(0.5) ? { every: '1h', gracePeriod: '30m' } : { every: '1h' };
    const secretName = rng.chance(0.2) ? `${name}-creds` : name;
    if (secretName !== name) spec.secret = { name: secretName };
    if (this.keys.has(`${ns}/${name}`)) return false;
    await kube.createKey(ns, name, spec);
    this.keys.set(`${ns}/${name}`, { ns, name, rotates, secretName, ...(spec.projectId ? { projectId: spec.projectId } : {}) });
    return `${ns}/${name}${reuse ? ' (a deleted name again)' : ''} ${JSON.stringify(spec)}`;
  }

  private async createBinding(): Promise<string | false> {
    const { rng, kube, sim } = this.o;
    const k = this.anyKey();
    if (!k) return false;
    const taken = new Set([...this.bindings.values()].filter((b) => b.ns === k.ns && b.keyName === k.name).map((b) => b.projectId));
    // Never the project a project key was made in, never a project already bound: those would be Conflict by design.
    const free = sim.projectIds.filter((p) => p !== k.projectId && !taken.has(p));
    if (free.length === 0) return false;
    const projectId = rng.pick(free);
    const name = `b${++this.seq}`;
    const roles = rng.subset(GROUP_ROLES, 3);
    await kube.createBinding(k.ns, name, { apiKeyRef: { name: k.name }, projectId, roles });
    this.bindings.set(`${k.ns}/${name}`, { ns: k.ns, name, keyName: k.name, projectId });
    return `${k.ns}/${name} key ${k.name} project ${projectId} roles ${roles.join(',')}`;
  }

  private mutateKey(spec: OpsManagerApiKeySpec): string {
    const { rng } = this.o;
    const what = rng.pick(['roles', 'description', 'accessList', 'accessList-clear'] as const);
    if (what === 'roles') spec.roles = spec.projectId ? rng.subset(GROUP_ROLES, 3) : rng.subset(ORG_ROLES, 2);
    else if (what === 'description') spec.description = `chaos changed ${rng.int(0, 100_000)}`;
    else if (what === 'accessList') spec.accessList = this.accessList();
    else delete spec.accessList;
    return `${what} ${JSON.stringify(what === 'roles' ? spec.roles : what === 'description' ? spec.description : spec.accessList ?? [])}`;
  }

  private accessList(): AccessListEntry[] {
    const { rng } = this.o;
    const n = rng.int(1, 3);
    return Array.from({ length: n }, (_, i) => (rng.chance(0.5)
      ? { ipAddress: `10.${rng.int(0, 256)}.${rng.int(0, 256)}.${i + 1}` }
      : { cidrBlock: `192.168.${rng.int(0, 256)}.0/24` }));
  }

  private async deleteBinding(b: BindingRec): Promise<void> {
    this.bindings.delete(`${b.ns}/${b.name}`);
    await this.o.kube.custom.deleteNamespacedCustomObject({ ...this.api(b.ns, 'projectkeybindings'), name: b.name });
  }

  private anyKey(filter: (k: KeyRec) => boolean = () => true): KeyRec | undefined {
    const list = [...this.keys.values()].filter(filter);
    return list.length ? this.o.rng.pick(list) : undefined;
  }

  private anyBinding(): BindingRec | undefined {
    const list = [...this.bindings.values()];
    return list.length ? this.o.rng.pick(list) : undefined;
  }

  private api(namespace: string, plural: string): { group: string; version: string; namespace: string; plural: string } {
    return { group: 'omkeys.io', version: 'v1alpha1', namespace, plural };
  }

  /** Forgets the resources of namespaces that were deleted as a whole. */
  forgetNamespace(ns: string): void {
    for (const [k, v] of this.keys) if (v.ns === ns) this.keys.delete(k);
    for (const [k, v] of this.bindings) if (v.ns === ns) this.bindings.delete(k);
  }

  /** The keys it believes exist (for the deletion storms). */
  keyNames(ns: string): string[] {
    return [...this.keys.values()].filter((k) => k.ns === ns).map((k) => k.name);
  }

  bindingNames(ns: string): string[] {
    return [...this.bindings.values()].filter((b) => b.ns === ns).map((b) => b.name);
  }

  /** Deletes a key and forgets it; its bindings stay (deletion storms delete them apart). */
  async deleteKeyOnly(ns: string, name: string): Promise<void> {
    this.keys.delete(`${ns}/${name}`);
    await this.o.kube.deleteKey(ns, name);
  }

  async deleteBindingByName(ns: string, name: string): Promise<void> {
    const b = this.bindings.get(`${ns}/${name}`);
    if (b) await this.deleteBinding(b);
  }
}
