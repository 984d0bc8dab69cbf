import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey, OpsManagerApiKeySpec } from '../../../src/api/types.ts';
import { SecretJanitor } from '../../../src/controllers/opsmanagerapikey/secret-janitor.ts';
import { buildSecret } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { dropSecretData } from '../../../src/controllers/opsmanagerapikey/secret-facts.ts';
import { ConnectionPool } from '../../../src/controllers/shared/connections.ts';
import type { ChangeHandler, ChangeKind } from '../../../src/runtime/informer.ts';
import { FakeClock } from '../../runtime/fake-clock.ts';
import { silentLogger } from '../../runtime/fake-list-watch.ts';
import { BASE_URL, silent } from './key-world.ts';
import { RecordingEvents, RecordingObjects, RecordingSecrets } from './recording-kube.ts';
import { ORG, RecordingOm } from './recording-om.ts';

/** An informer's cache, driven by the test: put and remove tell the handlers, as watch events do. */
export class FakeCache<T extends KubernetesObject> {
  readonly items = new Map<string, T>();
  private readonly handlers: Array<ChangeHandler<T>> = [];
  get(ns: string, name: string): T | undefined {
    return this.items.get(`${ns}/${name}`);
  }
  list(): T[] {
    return [...this.items.values()];
  }
  onChange(h: ChangeHandler<T>): void {
    this.handlers.push(h);
  }
  put(obj: T): void {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const old = this.items.get(key);
    const kind: ChangeKind = old ? 'update' : 'add';
    this.items.set(key, obj);
    for (const h of this.handlers) h(obj, kind, old);
  }
  remove(obj: T): void {
    this.items.delete(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
    for (const h of this.handlers) h(obj, 'delete');
  }
}

export const resource = (spec: Partial<OpsManagerApiKeySpec> = {}, uid = 'uid-1', name = 'k'): OpsManagerApiKey => ({
  apiVersion: 'omkeys.io/v1alpha1',
  kind: 'OpsManagerApiKey',
  metadata: { name, namespace: 'team-a', uid },
  spec: { orgId: ORG, roles: ['ORG_READ_ONLY'], ...spec },
});

/** The janitor over recording fakes; every Ops Manager call and Kubernetes write in one list. */
export class SecretJanitorWorld {
  readonly writes: string[] = [];
  readonly lines: string[] = [];
  readonly om = new RecordingOm(this.writes);
  readonly keys = new RecordingObjects<OpsManagerApiKey>(this.writes, 'key');
  readonly secrets = new RecordingSecrets(this.writes);
  readonly events = new RecordingEvents(this.writes);
  readonly targets: unknown[] = [];
  readonly tallies: string[] = [];
  readonly clock = new FakeClock(Date.parse('2026-12-01T12:00:00Z'));
  readonly secretCache = new FakeCache<V1Secret>();
  readonly keyCache = new FakeCache<KubernetesObject>();
  readonly janitor: SecretJanitor;

  constructor(opts: { inScope?: (ns: string) => boolean } = {}) {
    const events = this.events;
    this.janitor = new SecretJanitor({
      secretCache: this.secretCache,
      keyCache: this.keyCache,
      keys: this.keys,
      secrets: this.secrets,
      // The default connection; a connection Secret's read is reused for 5 s of this clock.
      connections: new ConnectionPool({ secrets: this.secrets, defaults: { baseUrl: BASE_URL, publicKey: 'operator', privateKey: 'operator-private' }, clientOptions: {}, logger: silent, clock: this.clock, makeClient: () => this.om.client() }),
      events: { record: (obj, type, reason, message) => (this.targets.push(obj), events.record(obj, type, reason, message)) },
      clock: this.clock,
      logger: silentLogger(this.lines),
      queue: { baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 },
      settleMs: 2_000,
      onCounted: (t) => this.tallies.push(t.kind),
      ...(opts.inScope ? { inScope: opts.inScope } : {}),
    });
  }

  /** The resource's protected Secret, in the API server and (metadata only) in the cache; its key in Ops Manager. */
  secretOf(obj: OpsManagerApiKey, keyId = 'key-1'): V1Secret {
    const s = buildSecret(obj, { keyId, publicKey: `pub-${keyId}`, privateKey: `priv-${keyId}-secret`, baseUrl: BASE_URL, ...(obj.spec.orgId ? { orgId: obj.spec.orgId } : {}), ...(obj.spec.projectId ? { projectId: obj.spec.projectId } : {}) }, { createId: 'c1' });
    const stored = this.secrets.put(s);
    this.secretCache.put(dropSecretData(structuredClone(stored)));
    if (!this.om.keys.has(keyId)) this.om.addKey(keyId);
    return stored;
  }

  /** The informer's view of OpsManagerApiKeys: plain JSON, as custom objects arrive. */
  cacheKey(obj: OpsManagerApiKey): void {
    this.keyCache.put(obj as unknown as KubernetesObject);
  }

  uncacheKey(obj: OpsManagerApiKey): void {
    this.keyCache.remove(obj as unknown as KubernetesObject);
  }

  async run(key = 'team-a/k'): Promise<{ result: unknown; calls: string[] }> {
    const before = this.writes.length;
    const result = await this.janitor.janitor(key);
    return { result, calls: this.writes.slice(before) };
  }

  log(): string {
    return this.lines.join('');
  }
}
