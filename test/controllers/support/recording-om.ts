/* eslint-disable @typescript-eslint/require-await -- a fake of an async client: its methods keep the async signatures without awaiting anything */
import type { OpsManagerClient } from '../../../src/opsmanager/client.ts';
import { NotFoundError } from '../../../src/opsmanager/errors.ts';
import type { AccessListEntry, AccessListInput, ApiKey, CreatedApiKey, Project, RoleAssignment } from '../../../src/opsmanager/types.ts';

export const ORG = '5f0c3b7c2e9a1b0001a1b2c3';
export const PROJECT = '6a1b2c3d4e5f60718293a4b5';

interface FakeKey {
  id: string;
  desc: string;
  publicKey: string;
  roles: RoleAssignment[];
  accessList: string[];
}

/**
 * An Ops Manager client over an in-memory organization that records every write, in order, as
 * one line (`createOrgKey desc=…`), so a table test can list the exact calls it expects. A
 * method named in `failures` throws the given error once per entry.
 */
export class RecordingOm {
  /** Shared with the Kubernetes fakes, so one list holds every write in order. */
  constructor(readonly writes: string[] = []) {}

  readonly keys = new Map<string, FakeKey>();
  readonly failures = new Map<string, Error[]>();
  private next = 1;

  addKey(id: string, over: Partial<FakeKey> = {}): void {
    this.keys.set(id, { id, desc: 'team-a/k', publicKey: `pub-${id}`, roles: [{ orgId: ORG, roleName: 'ORG_READ_ONLY' }], accessList: [], ...over });
  }

  failOnce(method: string, err: Error): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), err]);
  }

  private check(method: string): void {
    const err = this.failures.get(method)?.shift();
    if (err) throw err;
  }

  private view(k: FakeKey): ApiKey {
    return { id: k.id, desc: k.desc, publicKey: k.publicKey, privateKey: '********-****-****-000000000000', roles: k.roles, orgId: ORG };
  }

  private must(id: string): FakeKey {
    const k = this.keys.get(id);
    if (!k) throw new NotFoundError(`no key ${id}`, { status: 404, errorCode: 'API_KEY_NOT_FOUND' });
    return k;
  }

  /** The client surface the controllers use; the cast is the one place the fake stands in for the real class. */
  client(): OpsManagerClient {
    const list = async function* (items: ApiKey[]): AsyncGenerator<ApiKey> {
      yield* items;
    };
    const self = {
      getProject: async (projectId: string): Promise<Project> => {
        this.check('getProject');
        return { id: projectId, name: 'p', orgId: ORG };
      },
      getOrgKey: async (_org: string, id: string): Promise<ApiKey> => {
        this.check('getOrgKey');
        return this.view(this.must(id));
      },
      listOrgKeys: (_org: string) => list([...this.keys.values()].map((k) => this.view(k))),
      listProjectKeys: (projectId: string) => list([...this.keys.values()].filter((k) => k.roles.some((r) => r.groupId === projectId)).map((k) => this.view(k))),
      listAccessList: async function* (this: void, _org: string, id: string): AsyncGenerator<AccessListEntry> {
        for (const c of self.keyAccess(id)) yield { cidrBlock: c, ipAddress: null };
      },
      keyAccess: (id: string): string[] => this.must(id).accessList,
      createOrgKey: async (org: string, body: { desc: string; roles: string[] }): Promise<CreatedApiKey> => this.create(`createOrgKey desc=${body.desc}`, body.desc, body.roles.map((r) => ({ orgId: org, roleName: r }))),
      createProjectKey: async (projectId: string, body: { desc: string; roles: string[] }): Promise<CreatedApiKey> =>
        this.create(`createProjectKey desc=${body.desc}`, body.desc, body.roles.map((r) => ({ groupId: projectId, roleName: r }))),
      updateOrgKey: async (_org: string, id: string, body: { desc?: string; roles?: string[] }): Promise<ApiKey> => {
        this.writes.push(`om updateOrgKey ${id}${body.desc !== undefined ? ` desc=${body.desc}` : ''}${body.roles ? ` roles=${body.roles.join(',')}` : ''}`);
        this.check('updateOrgKey');
        const k = this.must(id);
        if (body.desc !== undefined) k.desc = body.desc;
        if (body.roles) k.roles = [...k.roles.filter((r) => r.groupId !== undefined), ...body.roles.map((r) => ({ orgId: ORG, roleName: r }))];
        return this.view(k);
      },
      deleteOrgKey: async (_org: string, id: string): Promise<void> => {
        this.writes.push(`om deleteOrgKey ${id}`);
        this.check('deleteOrgKey');
        this.must(id);
        this.keys.delete(id);
      },
      addAccessList: async (_org: string, id: string, entries: AccessListInput[]): Promise<AccessListEntry[]> => {
        const cidrs = entries.map((e) => ('ipAddress' in e ? `${e.ipAddress}/32` : e.cidrBlock));
        this.writes.push(`om addAccessList ${id} ${cidrs.join(',')}`);
        this.check('addAccessList');
        const k = this.must(id);
        k.accessList = [...new Set([...k.accessList, ...cidrs])];
        return k.accessList.map((c) => ({ cidrBlock: c, ipAddress: null }));
      },
      deleteAccessListEntry: async (_org: string, id: string, entry: string): Promise<void> => {
        this.writes.push(`om deleteAccessListEntry ${id} ${entry}`);
        this.check('deleteAccessListEntry');
        const k = this.must(id);
        k.accessList = k.accessList.filter((c) => c !== entry);
      },
      assignProjectKey: async (projectId: string, id: string, roles: string[]): Promise<ApiKey> => {
        this.writes.push(`om assignProjectKey ${projectId} ${id} ${roles.join(',')}`);
        this.check('assignProjectKey');
        const k = this.must(id);
        k.roles = [...k.roles.filter((r) => r.groupId !== projectId), ...roles.map((r) => ({ groupId: projectId, roleName: r }))];
        return this.view(k);
      },
      unassignProjectKey: async (projectId: string, id: string): Promise<void> => {
        this.writes.push(`om unassignProjectKey ${projectId} ${id}`);
        this.check('unassignProjectKey');
        const k = this.must(id);
        k.roles = k.roles.filter((r) => r.groupId !== projectId);
      },
      close: (): void => undefined,
    };
    return self as unknown as OpsManagerClient;
  }

  private create(line: string, desc: string, roles: RoleAssignment[]): CreatedApiKey {
    this.writes.push(`om ${line}`);
    this.check('create');
    const id = `new-${this.next++}`;
    this.keys.set(id, { id, desc, publicKey: `pub-${id}`, roles, accessList: [] });
    return { id, desc, publicKey: `pub-${id}`, privateKey: `priv-${id}-0000-4000-8000-000000000000`, roles, orgId: ORG };
  }
}
