import { expect } from 'chai';
import type { OpsManagerApiKey } from '../../../src/api/types.ts';
import { dataDigest, decodeSecretData } from '../../../src/controllers/opsmanagerapikey/secret-builder.ts';
import { KeyWorld, readyStatus } from '../support/key-world.ts';

// The cache holds a managed Secret's metadata and facts, never its data (KeyWorld's cache is
// the informer's transform): a Secret is read live only when it must be rewritten.

const TEMPLATE = { data: { uri: 'mongodb://{{ .publicKey }}:{{ .privateKey }}@db' }, labels: { team: 'a' } };
const readyCond = [{ type: 'Ready', status: 'True' as const, reason: 'Provisioned', message: 'key pub-key-1 is ready in Secret k', lastTransitionTime: '2026-11-28T11:30:00Z', observedGeneration: 1 }];

/** A key with its Secret, reconciled once (Ready); writes and live reads cleared. */
async function synced(opts: { freshnessMs?: number } = {}): Promise<{ w: KeyWorld; obj: OpsManagerApiKey }> {
  const w = new KeyWorld(opts);
  w.om.addKey('key-1');
  const obj = w.key({ secret: { template: TEMPLATE } }, readyStatus('key-1', { conditions: readyCond }));
  w.secretFor(obj, 'key-1');
  expect(await w.reconcile()).to.equal(undefined);
  w.writes.length = 0;
  w.secrets.gets.length = 0;
  return { w, obj };
}

function stored(w: KeyWorld): Record<string, string> {
  const s = w.secrets.items.get('team-a/k');
  if (!s) throw new Error('no Secret');
  return decodeSecretData(s);
}

describe('omkey reconciler: Secrets judged from a cache without their data', () => {
  it('at rest: no write and no live read of the Secret', async () => {
    const { w } = await synced();
    expect(await w.reconcile()).to.equal(undefined);
    expect(w.writes).to.deep.equal([]);
    expect(w.secrets.gets).to.deep.equal([]);
  });

  for (const freshnessMs of [0, 60_000]) {
    it(`a template key edited by hand is re-rendered from the Secret's own pair after one live read (freshness ${freshnessMs} ms)`, async () => {
      const { w } = await synced({ freshnessMs });
      const before = stored(w);
      w.editSecret('templateKey');
      expect(await w.reconcile()).to.equal(undefined);
      expect(w.writes).to.deep.equal(['secret update k', 'event Normal SecretRepaired']);
      expect(w.secrets.gets).to.deep.equal(['team-a/k']);
      expect(stored(w)).to.deep.equal(before);
      w.secrets.gets.length = 0;
      w.writes.length = 0;
      expect(await w.reconcile()).to.equal(undefined);
      expect([...w.writes, ...w.secrets.gets], 'repaired for good').to.deep.equal([]);
    });
  }

  it('a Secret written before the digest annotations is rewritten once, quietly (no Event), the pair kept; then it rests', async () => {
    const { w } = await synced();
    const before = stored(w);
    w.editSecret('digests');
    expect(await w.reconcile()).to.equal(undefined);
    expect(w.writes).to.deep.equal(['secret update k']);
    expect(stored(w)).to.deep.equal(before);
    const annotations = w.secrets.items.get('team-a/k')?.metadata?.annotations ?? {};
    expect(annotations['omkeys.io/data-sha256']).to.equal(dataDigest(w.secrets.items.get('team-a/k')?.data));
    w.writes.length = 0;
    w.secrets.gets.length = 0;
    expect(await w.reconcile()).to.equal(undefined);
    expect([...w.writes, ...w.secrets.gets]).to.deep.equal([]);
  });

  it('a Secret without the digest annotations whose label was also removed is repaired with its Event', async () => {
    const { w } = await synced();
    w.editSecret('digests');
    w.editSecret('label');
    expect(await w.reconcile()).to.equal(undefined);
    expect(w.writes).to.deep.equal(['secret update k', 'event Normal SecretRepaired']);
    expect(w.secrets.items.get('team-a/k')?.metadata?.labels?.team).to.equal('a');
  });

  it('a changed template re-renders the Secret with the same pair', async () => {
    const { w, obj } = await synced();
    const before = stored(w);
    w.keys.put({ ...obj, metadata: { ...w.stored().metadata, generation: 2 }, spec: { ...obj.spec, secret: { template: { ...TEMPLATE, data: { uri: 'mongodb://{{ .publicKey }}@db2' } } } } });
    expect(await w.reconcile()).to.equal(undefined);
    expect(w.writes).to.deep.equal(['secret update k', 'event Normal SecretRepaired', 'key status Ready=True Provisioned']);
    expect(stored(w)).to.deep.equal({ ...before, uri: `mongodb://${before.publicKey ?? ''}@db2` });
  });

  it('a label removed by hand is put back from the cache view plus one live read', async () => {
    const { w } = await synced();
    w.editSecret('label');
    expect(await w.reconcile()).to.equal(undefined);
    expect(w.writes).to.deep.equal(['secret update k', 'event Normal SecretRepaired']);
    expect(w.secrets.items.get('team-a/k')?.metadata?.labels?.team).to.equal('a');
  });
});
