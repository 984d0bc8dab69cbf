import { expect } from 'chai';
import { SECRET_FINALIZER } from '../../../src/api/types.ts';
import { dropSecretData } from '../../../src/controllers/opsmanagerapikey/secret-facts.ts';
import { ForbiddenError, UnavailableError } from '../../../src/opsmanager/errors.ts';
import { PROJECT } from '../support/recording-om.ts';
import { resource, SecretJanitorWorld as World } from '../support/secret-janitor-world.ts';

const DONE = ['om deleteOrgKey key-1', 'event Warning OrphanKeyDeleted', 'secret release k'];

describe('omkey Secret janitor: protected Secrets whose resource is gone (exact calls, recording fakes)', () => {
  it('owner gone (not cached, 404 live): its key deleted, a Warning Event about the Secret, the finalizer released, counted', async () => {
    const w = new World();
    const s = w.secretOf(resource());
    expect(s.metadata?.finalizers, 'buildSecret protects a new pair').to.deep.equal([SECRET_FINALIZER]);
    const { result, calls } = await w.run();
    expect(calls).to.deep.equal(DONE);
    expect(result).to.deep.equal({ kind: 'done', steps: ['KeyDelete', 'Event', 'Release'] });
    expect(w.om.keys.has('key-1')).to.equal(false);
    expect(w.secrets.items.get('team-a/k')?.metadata?.finalizers).to.deep.equal([]);
    expect(w.tallies).to.deep.equal(['OrphanDeleted']);
    expect(w.targets).to.deep.equal([{ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'team-a', name: 'k' } }]);
    expect(w.events.messages[0]).to.include('key-1').and.include('without its finalizer running');
    expect(w.secrets.gets, 'one live read of the Secret').to.deep.equal(['team-a/k']);
    expect(w.log()).to.not.include('priv-key-1');
  });

  it('a Terminating Secret goes once released', async () => {
    const w = new World();
    w.secretOf(resource());
    const stored = w.secrets.items.get('team-a/k');
    if (stored?.metadata) stored.metadata.deletionTimestamp = new Date('2026-12-01T11:59:00Z');
    expect((await w.run()).calls).to.deep.equal(DONE);
    expect(w.secrets.items.has('team-a/k')).to.equal(false);
  });

  it('the resource made again under the same name (another uid): the old key is still deleted', async () => {
    const w = new World();
    w.secretOf(resource());
    w.keys.put(resource({}, 'uid-2'));
    w.cacheKey(resource({}, 'uid-2'));
    expect((await w.run()).calls).to.deep.equal(DONE);
  });

  it('deletionPolicy Retain: the key stays, a Normal Event, released, nothing counted', async () => {
    const w = new World();
    w.secretOf(resource({ deletionPolicy: 'Retain' }));
    expect((await w.run()).calls).to.deep.equal(['event Normal KeyRetained', 'secret release k']);
    expect(w.om.keys.has('key-1')).to.equal(true);
    expect(w.tallies).to.deep.equal([]);
  });

  const left: Array<{ name: string; setup: (w: World) => void }> = [
    { name: 'owner in the cache with the same uid', setup: (w) => w.cacheKey(resource()) },
    { name: 'owner absent from the cache but found live (the cache lags)', setup: (w) => w.keys.put(resource()) },
    {
      name: 'the live Secret no longer carries the finalizer (its finalizer released it; the cache lags)',
      setup: (w) => {
        const s = w.secrets.items.get('team-a/k');
        if (s?.metadata) s.metadata.finalizers = [];
      },
    },
  ];
  for (const c of left) {
    it(`${c.name}: nothing written`, async () => {
      const w = new World();
      w.secretOf(resource());
      c.setup(w);
      expect((await w.run()).calls).to.deep.equal([]);
      expect(w.om.keys.has('key-1')).to.equal(true);
    });
  }

  it('a project key the connection may not delete from the organization: unassigned from its project, told', async () => {
    const w = new World();
    w.secretOf(resource({ orgId: undefined, projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }));
    w.om.failOnce('deleteOrgKey', new ForbiddenError('no', { status: 403, errorCode: 'NOT_ORG_ADMIN' }));
    expect((await w.run()).calls).to.deep.equal(['om deleteOrgKey key-1', `om unassignProjectKey ${PROJECT} key-1`, 'event Warning KeyRemainsInOrganization', 'event Warning OrphanKeyDeleted', 'secret release k']);
  });

  it('the key already gone from Ops Manager counts as deleted', async () => {
    const w = new World();
    w.secretOf(resource());
    w.om.keys.delete('key-1');
    expect((await w.run()).calls).to.deep.equal(DONE);
    expect(w.tallies).to.deep.equal(['OrphanDeleted']);
  });

  it('a release that fails after the delete: the retry only releases (not deleted, told or counted twice)', async () => {
    const w = new World();
    w.secretOf(resource());
    const release = w.secrets.removeFinalizer.bind(w.secrets);
    let fail = true;
    w.secrets.removeFinalizer = (current, f) => (fail ? ((fail = false), Promise.reject(Object.assign(new Error('test failed'), { code: 422 }))) : release(current, f));
    const first = await w.run().catch((err: unknown) => err);
    expect(first).to.be.instanceOf(Error);
    expect((await w.run()).calls).to.deep.equal(['secret release k']);
    expect(w.tallies).to.deep.equal(['OrphanDeleted']);
    expect(w.events.messages).to.have.length(1);
  });

  it('an Ops Manager failure: nothing released, nothing counted; the queue retries with backoff and then deletes it', async () => {
    const w = new World();
    w.secretOf(resource());
    w.om.failOnce('deleteOrgKey', new UnavailableError('down'));
    w.janitor.start();
    await w.clock.advance(0);
    expect(w.writes).to.deep.equal(['om deleteOrgKey key-1']);
    expect(w.tallies).to.deep.equal([]);
    expect(w.log()).to.include('secret janitor: failed; retrying with backoff');
    await w.clock.advance(1_000);
    expect(w.writes).to.deep.equal(['om deleteOrgKey key-1', ...DONE]);
    await w.janitor.stop();
  });

  it('the connection the Secret names cannot be resolved: retried with growing backoff, logged with the release by hand, no hot loop', async () => {
    const w = new World();
    w.secretOf(resource({ connectionSecretRef: { name: 'om-creds' } }));
    w.janitor.start();
    await w.clock.advance(0);
    const attempts = (): number => w.log().split('\n').filter((l) => l.includes('cannot be resolved')).length;
    expect(attempts(), 'one attempt at once').to.equal(1);
    await w.clock.advance(10_000);
    // Backoff 1 s, 2 s, 4 s: three more attempts in 10 s, not hundreds.
    expect(attempts()).to.equal(4);
    expect(w.writes).to.deep.equal([]);
    expect(w.log()).to.include('cannot be resolved').and.include(`kubectl -n team-a patch secret k --type=json -p '[{\\"op\\":\\"remove\\",\\"path\\":\\"/metadata/finalizers\\"}]'`);
    // The connection Secret comes back: the next attempt deletes the key through it.
    w.secrets.put({ metadata: { name: 'om-creds', namespace: 'team-a' }, data: { publicKey: Buffer.from('p').toString('base64'), privateKey: Buffer.from('x').toString('base64') } });
    await w.clock.advance(10_000);
    expect(w.writes).to.deep.equal(DONE);
    expect(w.log()).to.not.include('priv-key-1');
    await w.janitor.stop();
  });

  it('a Secret only a person can judge is logged once at error level, with the release by hand, and not retried', async () => {
    const w = new World();
    const s = w.secretOf(resource());
    s.data = { ...s.data, keyId: Buffer.from('key-9').toString('base64') };
    w.secrets.put(s);
    expect((await w.run()).result).to.deep.include({ kind: 'blocked' });
    await w.run();
    const errors = w.log().split('\n').filter((l) => l.includes('"level":"error"'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include('needs a person').and.include('patch secret k');
    expect(w.writes).to.deep.equal([]);
  });

  describe('what it looks at', () => {
    it('at start, every protected Secret in the cache whose owner is absent; not those whose owner is cached', async () => {
      const w = new World();
      w.secretOf(resource());
      w.secretOf(resource({}, 'uid-2', 'live'), 'key-2');
      w.cacheKey(resource({}, 'uid-2', 'live'));
      w.janitor.start();
      await w.clock.advance(0);
      expect(w.writes).to.deep.equal(DONE);
      await w.janitor.stop();
    });

    it('a protected Secret added or updated while its owner is absent; a resource\'s deletion looks at its Secret (spec.secret.name) after settling', async () => {
      const w = new World();
      w.janitor.start();
      const owner = resource({ secret: { name: 'creds' } });
      w.cacheKey(owner);
      w.secretOf(owner);
      await w.clock.advance(0);
      expect(w.writes, 'owner cached: not looked at').to.deep.equal([]);
      w.uncacheKey(owner);
      await w.clock.advance(1_000);
      expect(w.writes, 'not before settleMs').to.deep.equal([]);
      await w.clock.advance(1_000);
      expect(w.writes).to.deep.equal(['om deleteOrgKey key-1', 'event Warning OrphanKeyDeleted', 'secret release creds']);
      await w.janitor.stop();
    });

    it('a resource whose spec.secret.name changes: its former Secret is released after settling (status names its key), nothing deleted; at start too', async () => {
      const w = new World();
      w.janitor.start();
      const owner = resource();
      w.cacheKey(owner);
      w.secretOf(owner);
      await w.clock.advance(0);
      w.cacheKey(resource({ secret: { name: 'creds' } }));
      await w.clock.advance(2_000);
      expect(w.writes).to.deep.equal(['secret release k']);
      await w.janitor.stop();
      const later = new World();
      later.secretOf(owner);
      later.cacheKey(resource({ secret: { name: 'creds' } }));
      later.janitor.start();
      await later.clock.advance(0);
      expect(later.writes).to.deep.equal(['secret release k']);
      await later.janitor.stop();
    });

    it('a protected Secret that appears while its owner is absent: looked at after settling (a release by the key controller comes first)', async () => {
      const w = new World();
      w.janitor.start();
      w.secretOf(resource());
      await w.clock.advance(1_999);
      expect(w.writes).to.deep.equal([]);
      await w.clock.advance(1);
      expect(w.writes).to.deep.equal(DONE);
      await w.janitor.stop();
    });

    it('released meanwhile by the key controller (decide-vanished.ts): nothing more written', async () => {
      const w = new World();
      w.janitor.start();
      const s = w.secretOf(resource());
      await w.clock.advance(1_000);
      const released = await w.secrets.removeFinalizer(s, SECRET_FINALIZER);
      if (released) w.secretCache.put(dropSecretData(structuredClone(released)));
      w.writes.length = 0;
      await w.clock.advance(5_000);
      expect(w.writes).to.deep.equal([]);
      expect(w.om.keys.has('key-1'), 'not deleted here').to.equal(true);
      await w.janitor.stop();
    });

    it('namespaces this operator does not handle (OMKEYS_NAMESPACES): never looked at', async () => {
      const w = new World({ inScope: (ns) => ns === 'team-b' });
      w.secretOf(resource());
      w.janitor.start();
      await w.clock.advance(5_000);
      expect(w.writes).to.deep.equal([]);
      await w.janitor.stop();
    });

    it('stopped: events are not acted on until the next start scans the cache', async () => {
      const w = new World();
      w.secretOf(resource());
      await w.clock.advance(5_000);
      expect(w.writes).to.deep.equal([]);
      w.janitor.start();
      await w.clock.advance(0);
      expect(w.writes).to.deep.equal(DONE);
      await w.janitor.stop();
    });
  });
});
