import { expect } from 'chai';
import { KeyListCache } from '../../src/controllers/shared/key-list-cache.ts';
import type { OpsManagerClient } from '../../src/opsmanager/client.ts';
import type { ApiKey } from '../../src/opsmanager/types.ts';
import { FakeClock } from '../runtime/fake-clock.ts';

/** A client that only lists: counts the lists, answers from `keys`. */
function lister(keys: ApiKey[]): { client: OpsManagerClient; lists: () => number } {
  let n = 0;
  const list = async function* (): AsyncGenerator<ApiKey> {
    n++;
    await Promise.resolve();
    yield* keys;
  };
  return { client: { listOrgKeys: list, listProjectKeys: list } as unknown as OpsManagerClient, lists: () => n };
}

const key = (id: string): ApiKey => ({ id, desc: id, publicKey: 'p', privateKey: 'masked', roles: [] });

describe('KeyListCache: one organization list serves a resync pass', () => {
  it('concurrent and later reads within the TTL share one list; after it, a new list', async () => {
    const clock = new FakeClock();
    const { client, lists } = lister([key('a'), key('b')]);
    const cache = new KeyListCache({ clock, ttlMs: 5000 });
    const found = await Promise.all(['a', 'b', 'a'].map((id) => cache.find(client, { orgId: 'o' }, id)));
    expect(found.map((k) => k?.id)).to.deep.equal(['a', 'b', 'a']);
    expect(lists()).to.equal(1);
    await clock.advance(5000);
    await cache.find(client, { orgId: 'o' }, 'a');
    expect(lists()).to.equal(2);
  });

  it('drops a list once its TTL is over (nothing held at rest), and keeps no listed private key', async () => {
    const clock = new FakeClock();
    const { client } = lister([{ ...key('a'), roles: [{ groupId: 'g', roleName: 'GROUP_READ_ONLY' }] }]);
    const cache = new KeyListCache({ clock, ttlMs: 5000 });
    const a = await cache.find(client, { orgId: 'o' }, 'a');
    expect(a).to.deep.equal({ id: 'a', desc: 'a', publicKey: 'p', privateKey: '', roles: [{ groupId: 'g', roleName: 'GROUP_READ_ONLY' }] });
    await cache.find(client, { projectId: 'g' }, 'a');
    expect(cache.listsHeld).to.equal(2);
    await clock.advance(5000);
    expect(cache.listsHeld).to.equal(0);
  });

  it('never vouches for a key the operator wrote to since the list, nor for one missing from it', async () => {
    const clock = new FakeClock();
    const { client } = lister([key('a')]);
    const cache = new KeyListCache({ clock, ttlMs: 5000 });
    expect(await cache.find(client, { orgId: 'o' }, 'a')).to.not.equal(undefined);
    cache.noteWritten(client, 'a');
    expect(await cache.find(client, { orgId: 'o' }, 'a'), 'written after the list').to.equal(undefined);
    expect(await cache.find(client, { orgId: 'o' }, 'gone'), 'missing: the caller reads it directly').to.equal(undefined);
    await clock.advance(6000);
    expect(await cache.find(client, { orgId: 'o' }, 'a'), 'a list fetched after the write speaks for it again').to.not.equal(undefined);
  });

  it('organizations and projects are listed separately; a failed list is not kept', async () => {
    const clock = new FakeClock();
    let fail = true;
    let n = 0;
    const list = async function* (): AsyncGenerator<ApiKey> {
      n++;
      await Promise.resolve();
      if (fail) throw new Error('503');
      yield key('a');
    };
    const client = { listOrgKeys: list, listProjectKeys: list } as unknown as OpsManagerClient;
    const cache = new KeyListCache({ clock, ttlMs: 5000 });
    await cache.find(client, { orgId: 'o' }, 'a').then(() => expect.fail('should fail'), (err: Error) => expect(err.message).to.equal('503'));
    fail = false;
    expect((await cache.find(client, { orgId: 'o' }, 'a'))?.id).to.equal('a');
    expect((await cache.find(client, { projectId: 'p' }, 'a'))?.id).to.equal('a');
    expect(n).to.equal(3);
  });
});
