import { expect } from 'chai';
import { ProjectKeysCache } from '../../../src/controllers/projectkeybinding/project-keys-cache.ts';
import { KeyListCache } from '../../../src/controllers/shared/key-list-cache.ts';
import type { OpsManagerClient } from '../../../src/opsmanager/client.ts';
import type { ApiKey } from '../../../src/opsmanager/types.ts';
import { FakeClock } from '../../runtime/fake-clock.ts';

const ORG = '5f0000000000000000000001';
const P1 = '6a1b2c3d4e5f60718293a4b5';
const P2 = '6a1b2c3d4e5f60718293a4b6';
const TTL = 10_000;

const key = (id: string, roles: Array<[string | undefined, string]>): ApiKey => ({
  id,
  desc: id,
  publicKey: id,
  privateKey: '',
  roles: roles.map(([groupId, roleName]) => (groupId ? { groupId, roleName } : { orgId: ORG, roleName })),
});

/** An Ops Manager answering the organization's key list (`keys`, `others`) and the projects', recording each. */
function om(keys: ApiKey[], others: ApiKey[] = []): { client: OpsManagerClient; calls: string[] } {
  const calls: string[] = [];
  const client = {
    async *listOrgKeys(orgId: string): AsyncGenerator<ApiKey> {
      calls.push(`GET /orgs/${orgId}/apiKeys`);
      await Promise.resolve();
      yield* keys;
      yield* others;
    },
    async *listProjectKeys(projectId: string): AsyncGenerator<ApiKey> {
      calls.push(`GET /groups/${projectId}/apiKeys`);
      await Promise.resolve();
      yield* keys.filter((k) => k.roles.some((r) => r.groupId === projectId));
    },
  } as unknown as OpsManagerClient;
  return { client, calls };
}

interface World {
  clock: FakeClock;
  lists: KeyListCache;
  projects: ProjectKeysCache;
  client: OpsManagerClient;
  calls: string[];
}

function world(keys: ApiKey[], others: ApiKey[] = []): World {
  const clock = new FakeClock();
  const lists = new KeyListCache({ clock, ttlMs: TTL });
  const projects = new ProjectKeysCache({ clock, ttlMs: TTL, orgLists: lists });
  return { clock, lists, projects, ...om(keys, others) };
}

const KEYS = [
  key('k1', [[undefined, 'ORG_MEMBER'], [P1, 'GROUP_READ_ONLY'], [P2, 'GROUP_OWNER']]),
  key('k2', [[P1, 'GROUP_OWNER'], [P1, 'GROUP_CHARTS_ADMIN']]),
];

describe('ProjectKeysCache.rolesOf: an organization key\'s bindings share the organization list its keys read', () => {
  it('a resync: the keys and the bindings of every project of an organization cost one list in all', async () => {
    const w = world(KEYS);
    // Before: the last pass learned the organization's list fits in a page.
    await w.lists.find(w.client, { orgId: ORG }, 'k1');
    await w.clock.advance(TTL);
    w.calls.length = 0;
    // The pass: bindings and keys reconcile in any order, concurrently.
    const [b1, b2, b3] = await Promise.all([
      w.projects.rolesOf(w.client, P1, ['k1'], { orgId: ORG }),
      w.projects.rolesOf(w.client, P2, ['k1'], { orgId: ORG }),
      w.projects.rolesOf(w.client, P1, ['k2'], { orgId: ORG }),
      w.lists.find(w.client, { orgId: ORG }, 'k1'),
      w.lists.find(w.client, { orgId: ORG }, 'k2'),
    ]);
    expect(w.calls).to.deep.equal([`GET /orgs/${ORG}/apiKeys`]);
    expect(Object.fromEntries(b1 ?? [])).to.deep.equal({ k1: ['GROUP_READ_ONLY'] });
    expect(Object.fromEntries(b2 ?? [])).to.deep.equal({ k1: ['GROUP_OWNER'] });
    expect(Object.fromEntries(b3 ?? [])).to.deep.equal({ k2: ['GROUP_CHARTS_ADMIN', 'GROUP_OWNER'] });
  });

  it('a key not assigned to the project reads as absent from it (decide assigns it)', async () => {
    const w = world([key('k3', [[undefined, 'ORG_MEMBER']])]);
    await w.lists.find(w.client, { orgId: ORG }, 'k3');
    const m = await w.projects.rolesOf(w.client, P1, ['k3'], { orgId: ORG });
    expect(m.has('k3')).to.equal(false);
    expect(w.calls).to.deep.equal([`GET /orgs/${ORG}/apiKeys`]);
  });

  interface Fallback {
    name: string;
    others?: number;
    setup(w: World): Promise<void>;
    ids: string[];
    orgId?: string;
    fresh?: boolean;
    calls: string[];
  }
  const fallbacks: Fallback[] = [
    {
      name: 'an organization never listed (its size unknown): the project list',
      setup: async () => Promise.resolve(),
      ids: ['k1'],
      orgId: ORG,
      calls: [`GET /groups/${P1}/apiKeys`],
    },
    {
      name: 'an organization over one page last time, no list held: the project list',
      others: 499,
      setup: async (w) => {
        await w.lists.find(w.client, { orgId: ORG }, 'k1');
        await w.clock.advance(TTL);
      },
      ids: ['k1'],
      orgId: ORG,
      calls: [`GET /orgs/${ORG}/apiKeys`, `GET /groups/${P1}/apiKeys`],
    },
    {
      name: 'a project key (no organization given): the project list',
      setup: async (w) => {
        await w.lists.find(w.client, { orgId: ORG }, 'k1');
      },
      ids: ['k1'],
      calls: [`GET /orgs/${ORG}/apiKeys`, `GET /groups/${P1}/apiKeys`],
    },
    {
      name: 'a requested reconcile: the project read live, whatever is held',
      setup: async (w) => {
        await w.lists.find(w.client, { orgId: ORG }, 'k1');
      },
      ids: ['k1'],
      orgId: ORG,
      fresh: true,
      calls: [`GET /orgs/${ORG}/apiKeys`, `GET /groups/${P1}/apiKeys`],
    },
    {
      name: 'a key assigned since the held list was read: the project list, not the older answer',
      setup: async (w) => {
        await w.lists.find(w.client, { orgId: ORG }, 'k1');
        await w.clock.advance(1);
        w.projects.noteAssigned(w.client, P2, 'k1', ['GROUP_OWNER']);
      },
      ids: ['k1'],
      orgId: ORG,
      calls: [`GET /orgs/${ORG}/apiKeys`, `GET /groups/${P1}/apiKeys`],
    },
    {
      name: 'the status\'s earlier key gone from the organization: the project list',
      setup: async (w) => {
        await w.lists.find(w.client, { orgId: ORG }, 'k1');
      },
      ids: ['k1', 'gone'],
      orgId: ORG,
      calls: [`GET /orgs/${ORG}/apiKeys`, `GET /groups/${P1}/apiKeys`],
    },
  ];
  for (const row of fallbacks) {
    it(row.name, async () => {
      const w = world(KEYS, Array.from({ length: row.others ?? 0 }, (_, i) => key(`other-${i}`, [])));
      await row.setup(w);
      const opts = { ...(row.orgId ? { orgId: row.orgId } : {}), ...(row.fresh ? { fresh: true } : {}) };
      const m = await w.projects.rolesOf(w.client, P1, row.ids, opts);
      expect(w.calls).to.deep.equal(row.calls);
      expect(m.get('k1')).to.deep.equal(['GROUP_READ_ONLY']);
    });
  }

  it('without the organization lists (as before): always the project list', async () => {
    const clock = new FakeClock();
    const { client, calls } = om(KEYS);
    const projects = new ProjectKeysCache({ clock, ttlMs: TTL });
    await projects.rolesOf(client, P1, ['k1'], { orgId: ORG });
    expect(calls).to.deep.equal([`GET /groups/${P1}/apiKeys`]);
  });
});
