import { expect } from 'chai';
import { ProjectKeysCache } from '../../../src/controllers/projectkeybinding/project-keys-cache.ts';
import type { OpsManagerClient } from '../../../src/opsmanager/client.ts';
import type { ApiKey } from '../../../src/opsmanager/types.ts';
import type { Clock } from '../../../src/runtime/clock.ts';

const P1 = '6a1b2c3d4e5f60718293a4b5';
const P2 = '6a1b2c3d4e5f60718293a4b6';

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 1_000_000;
  return {
    now: () => t,
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
    sleep: () => Promise.resolve(),
    advance: (ms) => {
      t += ms;
    },
  };
}

/** A client whose project list is `keys`, counting list calls; `gate` holds a list until released. */
function fakeClient(keys: ApiKey[]): { client: OpsManagerClient; calls: () => number; hold: () => () => void; fail: (on: boolean) => void } {
  let calls = 0;
  let gate: Promise<void> | undefined;
  let failing = false;
  const client = {
    async *listProjectKeys(projectId: string): AsyncGenerator<ApiKey> {
      calls++;
      if (gate) await gate;
      if (failing) throw new Error('unreachable');
      for (const k of keys) if (k.roles.some((r) => r.groupId === projectId)) yield k;
    },
  } as unknown as OpsManagerClient;
  return {
    client,
    calls: () => calls,
    hold: () => {
      let release = (): void => undefined;
      gate = new Promise((r) => {
        release = r;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    fail: (on) => {
      failing = on;
    },
  };
}

const key = (id: string, roles: Array<[string | undefined, string]>): ApiKey => ({
  id,
  desc: id,
  publicKey: id,
  privateKey: '',
  roles: roles.map(([groupId, roleName]) => (groupId ? { groupId, roleName } : { orgId: 'o', roleName })),
});

describe('ProjectKeysCache', () => {
  const keys = [key('k1', [[P1, 'GROUP_READ_ONLY'], [P2, 'GROUP_OWNER'], [undefined, 'ORG_MEMBER']]), key('k2', [[P1, 'GROUP_OWNER'], [P1, 'GROUP_CHARTS_ADMIN']])];

  it('maps each key to its roles in that project only', async () => {
    const f = fakeClient(keys);
    const cache = new ProjectKeysCache({ clock: fakeClock(), ttlMs: 1000 });
    const m = await cache.get(f.client, P1);
    expect(Object.fromEntries(m)).to.deep.equal({ k1: ['GROUP_READ_ONLY'], k2: ['GROUP_CHARTS_ADMIN', 'GROUP_OWNER'] });
  });

  it('a fresh read (a requested reconcile) lists again within the TTL, and later reads share its answer', async () => {
    const f = fakeClient(keys);
    const cache = new ProjectKeysCache({ clock: fakeClock(), ttlMs: 1000 });
    await cache.get(f.client, P1);
    await cache.get(f.client, P1, { fresh: true });
    expect(f.calls()).to.equal(2);
    await cache.get(f.client, P1);
    expect(f.calls()).to.equal(2);
  });

  it('concurrent and later reads within the TTL share one list; after it, a new list', async () => {
    const f = fakeClient(keys);
    const clock = fakeClock();
    const cache = new ProjectKeysCache({ clock, ttlMs: 1000 });
    const release = f.hold();
    const all = Promise.all([cache.get(f.client, P1), cache.get(f.client, P1), cache.get(f.client, P1)]);
    release();
    await all;
    clock.advance(999);
    await cache.get(f.client, P1);
    expect(f.calls()).to.equal(1);
    await cache.get(f.client, P2);
    expect(f.calls(), 'another project is another list').to.equal(2);
    clock.advance(1);
    await cache.get(f.client, P1);
    expect(f.calls()).to.equal(3);
  });

  it('applies our own writes to the cached answer, even one made while the list was in flight', async () => {
    const f = fakeClient(keys);
    const cache = new ProjectKeysCache({ clock: fakeClock(), ttlMs: 1000 });
    const release = f.hold();
    const first = cache.get(f.client, P1);
    cache.noteAssigned(f.client, P1, 'k3', ['GROUP_OWNER', 'GROUP_AUTOMATION_ADMIN']);
    cache.noteUnassigned(f.client, P1, 'k2');
    release();
    await first;
    const m = await cache.get(f.client, P1);
    expect(Object.fromEntries(m)).to.deep.equal({ k1: ['GROUP_READ_ONLY'], k3: ['GROUP_AUTOMATION_ADMIN', 'GROUP_OWNER'] });
    expect(f.calls()).to.equal(1);
  });

  it('does not cache a failed list', async () => {
    const f = fakeClient(keys);
    const cache = new ProjectKeysCache({ clock: fakeClock(), ttlMs: 1000 });
    f.fail(true);
    let failed = false;
    await cache.get(f.client, P1).catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
    f.fail(false);
    expect((await cache.get(f.client, P1)).size).to.equal(2);
    expect(f.calls()).to.equal(2);
  });
});
