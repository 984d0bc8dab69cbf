import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { ANNOTATION_CREATE_PENDING, type OpsManagerApiKey, type ProjectKeyBinding } from '../../src/api/types.ts';
import { isPendingTagOf } from '../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { decodeSecretData, isOwnedBy, readSecret, secretName } from '../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import { FakeKube, type KubeObject } from '../support/fake-kube.ts';
import { adoptOnSwitch } from './adoption.ts';
import { ConnectionObjects } from './connections.ts';
import { HistoryClock } from './history-clock.ts';
import { checkAlways, checkAtOnce } from './invariants.ts';
import { RecordingEvents } from '../support/recording-events.ts';
import type { History, HistoryEvent } from './model.ts';
import { OperatorInstance, type RunOutcome } from './operator.ts';
import { Ownership } from './ownership.ts';
import type { SimFixture } from './sim-fixture.ts';
import { ensureOwnConnection, setUpVictims, type Victims } from './tampering.ts';
import { applyUserEvent } from './user-events.ts';

export interface Violation {
  check: string;
  message: string;
}

const START = Date.parse('2026-01-05T09:00:00Z');
/** A world that needs more passes than this after the last event does not settle. */
const MAX_SETTLE_PASSES = 8;
const MAX_DRAIN_RUNS = 12;
/** Past the reconcilers' freshness window and the project-key cache's TTL: a resync reads everything again. */
const SETTLE_ADVANCE_MS = 61_000;

export type Work = `key:${string}` | `binding:${string}`;

/**
 * One history's world: a fake Kubernetes API, the shared simulator, a fake clock, and the
 * operator process of the moment (replaced by a fresh one after each crash). It also keeps
 * what the checks need beyond the final state: every private key seen, every log line, the
 * keys made by hand, the keys that resources with deletionPolicy Retain left behind.
 */
export class World {
  readonly kube: FakeKube;
  readonly clock = new HistoryClock(START);
  readonly events = new RecordingEvents();
  readonly logLines: string[] = [];
  readonly logger: Logger;
  readonly violations: Violation[] = [];
  /** Ids of keys made by hand in Ops Manager, with what they were: the operator must leave them alone. */
  readonly foreignKeys = new Map<string, string>();
  /** Keys of deleted resources with deletionPolicy Retain: nothing tracks them, by design. */
  readonly retained = new Set<string>();
  /**
   * Per adopting resource (`ns/name`), the projects its key had roles in when the resource was
   * made: an adoption keeps them (the administrator's; docs/rotation-and-adoption.md).
   */
  readonly projectsAtAdoption = new Map<string, Set<string>>();
  readonly privateKeys: Set<string>;
  /** Keys no namespace's objects may touch (tampering.ts), and what each namespace owns (ownership.ts). */
  readonly victims: Victims;
  readonly owners = new Ownership(this);
  /** The connection objects (connections.ts): the default cluster connection, each namespace's own. */
  readonly connections: ConnectionObjects;
  /** Resources whose create-pending mark a tenant forged or removed: their tagged keys may wait for their deletion. */
  readonly marksTampered = new Set<string>();
  tampers = 0;
  crashes = 0;
  runs = 0;
  /** Values given to the omkeys.io/rotate annotation so far. */
  rotateRequests = 0;
  private operator: OperatorInstance;
  private readonly pending = new Set<Work>();
  private readonly lastSeen = new Map<string, { retain: boolean; current?: string }>();
  /** Grace keys (previousKeyId) as last observed, with their revoke times. */
  private grace = new Map<string, number>();
  private eventsSeen = 0;

  constructor(readonly fixture: SimFixture) {
    this.privateKeys = fixture.reset();
    // Each API call takes a millisecond of the fake clock: time moves during a reconcile as it does for real.
    this.kube = new FakeKube(() => this.clock.now(), () => Promise.resolve(this.clock.tick(1)));
    const lines = this.logLines;
    const sink = new Writable({
      write(chunk: Buffer | string, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    this.logger = createLogger({ level: 'debug', destination: sink });
    this.kube.onChange('OpsManagerApiKey', (o) => {
      this.pending.add(`key:${ref(o)}`);
      for (const b of this.kube.list('ProjectKeyBinding', o.metadata?.namespace)) {
        if ((b as unknown as ProjectKeyBinding).spec.apiKeyRef.name === o.metadata?.name) this.pending.add(`binding:${ref(b)}`);
      }
    });
    this.kube.onChange('Secret', (o) => {
      const owner = o.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'OpsManagerApiKey');
      if (owner) this.pending.add(`key:${o.metadata?.namespace ?? ''}/${owner.name}`);
    });
    this.kube.onChange('ProjectKeyBinding', (o) => {
      const b = o as unknown as ProjectKeyBinding;
      for (const s of this.kube.list('ProjectKeyBinding', b.metadata.namespace)) {
        const sb = s as unknown as ProjectKeyBinding;
        if (sb.spec.apiKeyRef.name === b.spec.apiKeyRef.name) this.pending.add(`binding:${ref(s)}`);
      }
      this.pending.add(`binding:${ref(o)}`);
    });
    this.connections = new ConnectionObjects(fixture.sim);
    this.victims = setUpVictims(this);
    this.kube.create('Secret', this.connections.operatorCredentials(fixture.sim));
    for (const ns of ['ns-a', 'ns-b']) ensureOwnConnection(this, ns);
    this.operator = this.startOperator();
  }

  async apply(e: HistoryEvent): Promise<void> {
    if (e.t === 'reconcile') await this.reconcileOne(e.pick, e.crashAt);
    else if (e.t === 'janitor') await this.janitorPass();
    else if (e.t === 'drain') await this.drain(e.healthy);
    else if (e.t === 'reconcile-two') await this.reconcileTwo(e.picks);
    else await applyUserEvent(this, e);
    this.observe();
    this.violations.push(...checkAlways(this), ...this.owners.recordBeforeName());
  }

  async run(history: History): Promise<void> {
    for (const e of history) await this.apply(e);
    await this.settle();
  }

  /** Faults cleared, informers caught up, no more crashes, time past every cache: reconcile everything until a whole pass writes nothing. */
  async settle(): Promise<void> {
    this.fixture.sim.faults.clear();
    this.kube.syncCache();
    await this.clock.advance(SETTLE_ADVANCE_MS);
    for (let pass = 0; pass < MAX_SETTLE_PASSES; pass++) {
      const writes = this.operatorWrites();
      const om = JSON.stringify(this.fixture.sim.state.publicView());
      // Two resyncs' organization lists (a key is judged only once seen in an earlier one), then every object reconciled.
      await this.janitorPass();
      await this.janitorPass();
      for (const w of this.allWork()) await this.guarded([w], () => this.runWork(w));
      this.observe();
      if (this.operatorWrites() === writes && JSON.stringify(this.fixture.sim.state.publicView()) === om) return;
    }
    const last = this.kube.writes.filter((w) => w.by === 'operator').slice(-4).map((w) => `${w.verb} ${w.kind} ${w.namespace}/${w.name}`);
    this.violations.push({ check: 'settles', message: `still writing after ${MAX_SETTLE_PASSES} passes; last writes: ${last.join('; ')}` });
  }

  close(): void {
    this.operator.close();
  }

  liveKeys(): OpsManagerApiKey[] {
    return this.kube.list('OpsManagerApiKey') as unknown as OpsManagerApiKey[];
  }

  liveBindings(): ProjectKeyBinding[] {
    return this.kube.list('ProjectKeyBinding') as unknown as ProjectKeyBinding[];
  }

  /**
   * What a Retain deletion keeps: while a create is open, the key tagged with the resource's uid
   * that holds its Secret's intact pair; else the key status records. The Secret chooses among
   * the resource's own tagged keys only (facts.ts keyInUse).
   */
  keyInUse(k: OpsManagerApiKey): string | undefined {
    const mark = k.metadata.annotations?.[ANNOTATION_CREATE_PENDING];
    const open = mark !== undefined && mark !== k.status?.createSettled;
    const s = open ? this.kube.get('Secret', k.metadata.namespace ?? '', secretName(k)) : undefined;
    const r = s && isOwnedBy(s as never, k) ? readSecret(s as never) : undefined;
    const keys = [...this.fixture.sim.state.apiKeys.values()];
    const held = r?.pairIntact ? keys.find((x) => x.publicKey === r.publicKey && isPendingTagOf(x.desc, k.metadata.uid)) : undefined;
    return held?.id ?? k.status?.keyId;
  }

  /** A janitor pass (the tag janitor, the old Secret finalizer's stripper): it may touch namespaces' own keys only. */
  async janitorPass(): Promise<void> {
    await this.guarded('janitor', () => this.operator.janitorPass());
  }

  /** Runs operator work for `works`, then checks it changed no key outside their own (ownership.ts). */
  private async guarded(works: readonly Work[] | 'janitor', fn: () => Promise<unknown>): Promise<void> {
    // An adoption by rotation is judged when the operator acts on it, as src judges it: a key
    // tracked when the adoption was asked for may be free by then (its resource gone).
    if (works !== 'janitor') {
      for (const w of works.filter((x) => x.startsWith('key:'))) {
        const [ns, name] = w.slice(4).split('/');
        const k = this.kube.get('OpsManagerApiKey', ns ?? '', name ?? '') as OpsManagerApiKey | undefined;
        if (k) adoptOnSwitch(this, k);
      }
    }
    const before = this.owners.before(works);
    await fn();
    this.violations.push(...this.owners.check(before));
  }

  private startOperator(): OperatorInstance {
    return new OperatorInstance({ kube: this.kube, sim: this.fixture.sim, clock: this.clock, events: this.events, logger: this.logger, connections: this.connections });
  }


  private operatorWrites(): number {
    return this.kube.writes.filter((w) => w.by === 'operator').length;
  }

  private allWork(): Work[] {
    return [...this.kube.list('OpsManagerApiKey').map((o) => `key:${ref(o)}` as const), ...this.kube.list('ProjectKeyBinding').map((o) => `binding:${ref(o)}` as const)];
  }

  /** Reconciles what is pending, in order, until nothing is (failures stay pending, so a bounded number of runs). */
  private async drain(healthy: boolean): Promise<void> {
    if (healthy) {
      this.fixture.sim.faults.clear();
      this.syncCache();
    }
    for (let i = 0; i < MAX_DRAIN_RUNS && this.pending.size > 0; i++) {
      const next = [...this.pending].sort()[0];
      if (next) await this.guarded([next], () => this.runWork(next));
    }
    if (healthy && this.pending.size === 0) this.violations.push(...checkAtOnce(this));
  }

  /** Informers catching up deliver the changes they missed: everything they missed is queued again. */
  syncCache(): void {
    this.kube.syncCache();
    for (const w of this.allWork()) this.pending.add(w);
  }

  private async reconcileTwo([a, b]: [number, number]): Promise<void> {
    const queue = this.pending.size > 0 ? [...this.pending].sort() : this.allWork();
    const first = queue[a % Math.max(1, queue.length)];
    const rest = queue.filter((w) => w !== first);
    const second = rest[b % Math.max(1, rest.length)];
    const works = [first, second].filter((w): w is Work => w !== undefined);
    await this.guarded(works, () => Promise.all(works.map((w) => this.runWork(w))));
  }

  private async reconcileOne(pick: number, crashAt: number | string | undefined): Promise<void> {
    const queue = this.pending.size > 0 ? [...this.pending].sort() : this.allWork();
    const w = queue[pick % Math.max(1, queue.length)];
    if (w) await this.guarded([w], () => this.runWork(w, crashAt));
  }

  private async runWork(w: Work, crashAt?: number | string): Promise<void> {
    this.pending.delete(w);
    const [kind, key] = w.startsWith('key:') ? (['key', w.slice(4)] as const) : (['binding', w.slice(8)] as const);
    this.runs++;
    const out: RunOutcome = await this.operator.run(kind, key, crashAt);
    if (out.kind === 'ok') return;
    this.pending.add(w);
    if (out.kind === 'unexpected') {
      const err = out.error instanceof Error ? `${out.error.name}: ${out.error.message}${out.error.cause instanceof Error ? ` (cause: ${out.error.cause.message})` : ''}` : String(out.error);
      this.violations.push({ check: 'only-expected-errors', message: `${kind} ${key}: ${err}` });
    }
    if (out.kind === 'crash') {
      this.crashes++;
      this.operator.close();
      this.operator = this.startOperator();
    }
  }

  /**
   * Records what the final state cannot show: private keys in Secrets, the key each Retain
   * resource had when it went, and whether a sweep of interrupted creates took a grace key
   * (a pair still in use, that its resource promised to keep until previousKeyRevokeAt).
   */
  private observe(): void {
    for (const e of this.events.events.slice(this.eventsSeen)) {
      // A key the operator says it keeps for a deleted Retain resource is untracked by design.
      if (e.reason === 'KeyRetained') for (const id of e.message.match(/\b[0-9a-f]{24}\b/g) ?? []) this.retained.add(id);
      if (e.reason !== 'OrphanKeyDeleted') continue;
      for (const id of e.message.match(/\b[0-9a-f]{24}\b/g) ?? []) {
        const until = this.grace.get(id);
        if (until !== undefined && until > this.clock.now()) {
          this.violations.push({ check: 'grace-key-kept', message: `${e.namespace}/${e.name}: the sweep of interrupted creates deleted ${id}, its grace key until ${new Date(until).toISOString()}` });
        }
      }
    }
    this.eventsSeen = this.events.events.length;
    this.grace = new Map(this.liveKeys().filter((k) => k.status?.previousKeyId).map((k) => [k.status?.previousKeyId ?? '', Date.parse(k.status?.previousKeyRevokeAt ?? '') || 0]));
    for (const s of this.kube.list('Secret')) {
      const pk = decodeSecretData(s as never).privateKey;
      if (pk) this.privateKeys.add(pk);
    }
    const present = new Set<string>();
    for (const k of this.liveKeys()) {
      const uid = k.metadata.uid ?? '';
      present.add(uid);
      // While it is being deleted its key stays what it was (status may already have let it go).
      const current = this.keyInUse(k) ?? (k.metadata.deletionTimestamp ? this.lastSeen.get(uid)?.current : undefined);
      this.lastSeen.set(uid, { retain: k.spec.deletionPolicy === 'Retain', ...(current ? { current } : {}) });
    }
    for (const [uid, seen] of this.lastSeen) {
      if (present.has(uid)) continue;
      if (seen.retain && seen.current) this.retained.add(seen.current);
      this.lastSeen.delete(uid);
    }
  }
}

function ref(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}
