import { expect } from 'chai';
import type { OpsManagerApiKey } from '../../../src/api/types.ts';
import { PendingKeyJanitor } from '../../../src/controllers/opsmanagerapikey/janitor.ts';
import { formatPendingTag } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { collect } from '../../../src/opsmanager/client.ts';
import { UnavailableError } from '../../../src/opsmanager/errors.ts';
import { FakeClock } from '../../runtime/fake-clock.ts';
import { silent } from '../support/key-world.ts';
import { RecordingEvents } from '../support/recording-kube.ts';
import { ORG, RecordingOm } from '../support/recording-om.ts';

const CLUSTER = 'cluster-uid';
const MIN_AGE = 120_000;
const tag = (uid: string, namespace = 'team-a', cluster = CLUSTER): string => formatPendingTag({ uid, where: { namespace, cluster } });
const resource = (uid: string, status: OpsManagerApiKey['status'] = {}): OpsManagerApiKey => ({
  apiVersion: 'omkeys.io/v1alpha1',
  kind: 'OpsManagerApiKey',
  metadata: { name: `k-${uid}`, namespace: 'team-a', uid },
  spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] },
  status,
});

/** The janitor over a recording Ops Manager, a live "API server" list per namespace and a cache, every call in one list. */
class JanitorWorld {
  readonly writes: string[] = [];
  readonly om = new RecordingOm(this.writes);
  readonly events = new RecordingEvents(this.writes);
  readonly clock = new FakeClock(Date.parse('2026-12-01T12:00:00Z'));
  readonly live = new Map<string, OpsManagerApiKey[]>();
  cache: OpsManagerApiKey[] = [];
  readonly targets: unknown[] = [];
  readonly tallies: string[] = [];
  /** Runs after each live list, before the janitor reads the keys again. */
  afterLiveList: () => void = () => undefined;
  readonly janitor: PendingKeyJanitor;
  /** One client per connection, as the pool keeps it: the janitor remembers sightings per client. */
  private readonly client = this.om.client();

  constructor(opts: { namespaces?: string[]; cluster?: string | undefined } = {}) {
    const events = this.events;
    this.janitor = new PendingKeyJanitor({
      cluster: { known: () => ('cluster' in opts ? opts.cluster : CLUSTER) },
      namespaces: opts.namespaces ?? [],
      minAgeMs: MIN_AGE,
      listLive: (ns) => {
        this.writes.push(`kube list ${ns}`);
        const out = [...(this.live.get(ns) ?? [])];
        this.afterLiveList();
        return Promise.resolve(out);
      },
      cached: () => this.cache,
      events: { record: (obj, type, reason, message) => (this.targets.push(obj), events.record(obj, type, reason, message)) },
      clock: this.clock,
      logger: silent,
      onCounted: (t) => this.tallies.push(t.kind),
    });
  }

  /** A pass over the organization's list as a resync would read it. */
  async pass(): Promise<string[]> {
    const client = this.client;
    const before = this.writes.length;
    await this.janitor.sweep(client, ORG, await collect(client.listOrgKeys(ORG)));
    return this.writes.slice(before);
  }
}

describe('omkey janitor: tagged keys of resources that are gone (exact calls, recording fakes)', () => {
  it('a key seen twice, min age apart, whose resource is not in the live list: one delete, one Event in its namespace, counted', async () => {
    const w = new JanitorWorld();
    w.om.addKey('k1', { desc: tag('gone-uid') });
    w.om.addKey('k2', { desc: 'team-a/other' });
    w.live.set('team-a', [resource('live-uid')]);
    expect(await w.pass(), 'first sighting: nothing read, nothing written').to.deep.equal([]);
    await w.clock.advance(MIN_AGE);
    expect(await w.pass()).to.deep.equal(['kube list team-a', 'om deleteOrgKey k1', 'event Warning OrphanKeyDeleted']);
    expect([...w.om.keys.keys()]).to.deep.equal(['k2']);
    expect(w.tallies).to.deep.equal(['OrphanDeleted']);
    expect(w.targets).to.deep.equal([{ apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', metadata: { namespace: 'team-a', uid: 'gone-uid' } }]);
    expect(w.events.messages[0]).to.include('k1').and.include('gone-uid');
  });

  const kept: Array<{ name: string; setup: (w: JanitorWorld) => void; opts?: { namespaces?: string[]; cluster?: string | undefined }; calls: string[] }> = [
    { name: 'its resource is in the live list (a create in flight, a Secret write failing): kept', setup: (w) => w.live.set('team-a', [resource('gone-uid')]), calls: ['kube list team-a'] },
    { name: 'a live object records it in status: kept', setup: (w) => w.live.set('team-a', [resource('x', { keyId: 'k1' })]), calls: ['kube list team-a'] },
    { name: 'a cached resource (any namespace) records it as its grace key: kept, nothing listed', setup: (w) => (w.cache = [resource('y', { previousKeyId: 'k1' })]), calls: [] },
    { name: 'another cluster\'s tag, same namespace name: nothing read', setup: (w) => w.om.keys.get('k1')!.desc = tag('gone-uid', 'team-a', 'other-cluster'), calls: [] },
    { name: 'a namespace another operator handles (OMKEYS_NAMESPACES): nothing read', setup: () => undefined, opts: { namespaces: ['team-b'] }, calls: [] },
    { name: 'the cluster identity unknown (RBAC refused it): nothing judged', setup: () => undefined, opts: { cluster: undefined }, calls: [] },
    { name: 'the old tag form: left to its resource\'s sweep', setup: (w) => (w.om.keys.get('k1')!.desc = 'omkeys-pending:gone-uid'), calls: [] },
    {
      name: 'renamed between the live list and the delete (a Retain finalizer named its kept key, then let the resource go): kept',
      setup: (w) => (w.afterLiveList = () => (w.om.keys.get('k1')!.desc = 'team-a/k')),
      calls: ['kube list team-a'],
    },
  ];
  for (const c of kept) {
    it(c.name, async () => {
      const w = new JanitorWorld(c.opts);
      w.om.addKey('k1', { desc: tag('gone-uid') });
      c.setup(w);
      await w.pass();
      await w.clock.advance(MIN_AGE);
      expect(await w.pass()).to.deep.equal(c.calls);
      expect([...w.om.keys.keys()]).to.deep.equal(['k1']);
      expect(w.tallies).to.deep.equal([]);
    });
  }

  it('Ops Manager fails the delete: the pass fails, nothing counted; the next pass deletes it', async () => {
    const w = new JanitorWorld();
    w.om.addKey('k1', { desc: tag('gone-uid') });
    await w.pass();
    await w.clock.advance(MIN_AGE);
    w.om.failOnce('deleteOrgKey', new UnavailableError('down'));
    let failed: unknown;
    await w.pass().catch((err: unknown) => (failed = err));
    expect(failed).to.be.instanceOf(UnavailableError);
    expect(w.tallies).to.deep.equal([]);
    expect(await w.pass()).to.deep.equal(['kube list team-a', 'om deleteOrgKey k1', 'event Warning OrphanKeyDeleted']);
    expect(w.tallies).to.deep.equal(['OrphanDeleted']);
  });

  it('a key that left the list and came back tagged is judged from its new first sighting', async () => {
    const w = new JanitorWorld();
    w.om.addKey('k1', { desc: tag('gone-uid') });
    await w.pass();
    w.om.keys.get('k1')!.desc = 'renamed';
    await w.clock.advance(MIN_AGE);
    await w.pass();
    w.om.keys.get('k1')!.desc = tag('gone-uid');
    expect(await w.pass(), 'seen again just now').to.deep.equal([]);
  });
});
