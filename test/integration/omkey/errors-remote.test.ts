import { expect } from 'chai';
import type { OpsManagerApiKeySpec } from '../../../src/api/types.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { useOperator } from '../support/suite.ts';
import { applyCredentials, applyNamespacedConnection, connectionFor, setDefaultPolicy, testGrant } from '../support/connections.ts';
import { expectBackedOff, expectOneLiveKey, keysOfResource, useLeakScan } from './helpers.ts';

const MISSING_ID = '0123456789abcdef01234567';

describe('omkey: Ops Manager errors (distinct reasons, Events, backoff, nothing deleted)', function () {
  this.timeout(90_000);
  const s = useOperator({ env: { OMKEYS_RESYNC_PERIOD: '2s' } });
  // The policy allows the missing ids too: what is refused here is Ops Manager's to refuse.
  before(async () => {
    const { env, sim } = s();
    await setDefaultPolicy(env.kc, sim, [testGrant(sim, { organizations: [sim.orgId, MISSING_ID], projects: [...sim.projectIds, MISSING_ID] })]);
  });
  const scan = useLeakScan(s);


  async function createFailing(prefix: string, spec: OpsManagerApiKeySpec): Promise<string> {
    const ns = scan.track(await s().env.newNamespace(prefix));
    await s().kube.createKey(ns, 'k', spec);
    return ns;
  }

  it('a missing organization is OrgNotFound', async () => {
    const ns = await createFailing('err-org', { orgId: MISSING_ID, roles: ['ORG_READ_ONLY'] });
    expect(await expectBackedOff(s(), ns, 'k', 'OrgNotFound')).to.include(MISSING_ID);
    expect(await s().kube.secret(ns, 'k')).to.equal(undefined);
  });

  it('a missing project is ProjectNotFound', async () => {
    const ns = await createFailing('err-project', { projectId: MISSING_ID, roles: ['GROUP_READ_ONLY'] });
    expect(await expectBackedOff(s(), ns, 'k', 'ProjectNotFound')).to.include(MISSING_ID);
  });

  it('an unreachable Ops Manager is OpsManagerUnreachable', async () => {
    const { env, sim, kube } = s();
    const ns = scan.track(await env.newNamespace('err-unreachable'));
    const connectionRef = await connectionFor(env.kc, ns, { ...sim, key: sim.admin }, { baseUrl: 'http://127.0.0.1:1' });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    await expectBackedOff(s(), ns, 'k', 'OpsManagerUnreachable');
  });

  it('a connectionRef to a connection that does not exist is ConnectionNotFound; one whose credentials Secret is missing, ConnectionInvalid', async () => {
    const { env, kube, sim } = s();
    const ns = await createFailing('err-conn', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef: { kind: 'OpsManagerConnection', name: 'absent' } });
    expect(await expectBackedOff(s(), ns, 'k', 'ConnectionNotFound')).to.include('OpsManagerConnection/absent not found');
    await applyNamespacedConnection(env.kc, ns, 'no-secret', { baseUrl: 'https://om.example.com', credentialsSecretRef: { name: 'absent' } });
    await kube.createKey(ns, 'k2', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef: { kind: 'OpsManagerConnection', name: 'no-secret' } });
    expect(await expectBackedOff(s(), ns, 'k2', 'ConnectionInvalid')).to.include(`credentials Secret ${ns}/absent not found`);
  });

  it('rate limiting (429) is RateLimited; the existing key and its Secret survive', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('err-429'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const { data, obj } = await expectOneLiveKey(s(), ns, 'k');
    sim.faults.set([{ fault: 'status', status: 429, retryAfter: 1 }]);
    try {
      await expectBackedOff(s(), ns, 'k', 'RateLimited');
      expect(keysOfResource(sim, obj, data.keyId).map((k) => k.id), 'nothing deleted').to.deep.equal([data.keyId]);
      expect((await kube.secretData(ns, 'k'))?.keyId).to.equal(data.keyId);
    } finally {
      sim.faults.clear();
    }
    const ready = await kube.waitForReady(ns, 'k');
    expect(ready.status?.keyId, 'the same key once the limit lifts').to.equal(data.keyId);
  });

  it('bad credentials on an existing key are Unauthorized; nothing is deleted or replaced', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('err-401'));
    const creds = { publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey };
    const connectionRef = await connectionFor(s().env.kc, ns, { ...sim, key: sim.admin });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    const { data, obj } = await expectOneLiveKey(s(), ns, 'k');
    const wrong = '11111111-2222-3333-4444-555555555555';
    s().privateKeys.add(wrong);
    await applyCredentials(s().env.kc, ns, connectionRef.name, { ...creds, privateKey: wrong });
    await expectBackedOff(s(), ns, 'k', 'Unauthorized');
    expect(keysOfResource(sim, obj, data.keyId).map((k) => k.id), 'nothing deleted').to.deep.equal([data.keyId]);
    expect((await kube.secretData(ns, 'k'))?.privateKey).to.equal(data.privateKey);
  });

  it('an organization that requires an access list refuses the connection: NotOnAccessList, then recovers', async () => {
    const { sim, kube } = s();
    const org = sim.state.orgs.get(sim.orgId)!;
    const adminKey = sim.state.apiKeys.get(sim.admin.id)!;
    const adminList = adminKey.accessList;
    // The operator's own key loses its addresses: the organization now refuses it everywhere.
    adminKey.accessList = [];
    org.requireAccessList = true;
    let ns = '';
    try {
      ns = await createFailing('err-access-list', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      expect(await expectBackedOff(s(), ns, 'k', 'NotOnAccessList')).to.match(/access list/);
    } finally {
      org.requireAccessList = false;
      adminKey.accessList = adminList;
    }
    await waitFor('recovery once the organization allows it', async () => (await kube.getKey(ns, 'k'))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 60_000);
    await expectOneLiveKey(s(), ns, 'k');
  });

  it('a project key needs the operator\'s address on its own key\'s access list (Ops Manager 5.0): NotOnAccessList says what to add, then recovers', async () => {
    const { sim, kube } = s();
    const adminKey = sim.state.apiKeys.get(sim.admin.id)!;
    const adminList = adminKey.accessList;
    adminKey.accessList = [];
    let ns = '';
    try {
      ns = await createFailing('err-project-access', { projectId: sim.projectIds[0] ?? '', roles: ['GROUP_READ_ONLY'] });
      const message = await expectBackedOff(s(), ns, 'k', 'NotOnAccessList');
      expect(message).to.match(/creating a project key/).and.match(/add 127\.0\.0\.1 to that key's access list/);
      const obj = await kube.getKey(ns, 'k');
      expect(obj && keysOfResource(sim, obj).map((k) => k.id), 'no key made').to.deep.equal([]);
    } finally {
      adminKey.accessList = adminList;
    }
    await waitFor('recovery once the address is on the list', async () => (await kube.getKey(ns, 'k'))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 60_000);
    await expectOneLiveKey(s(), ns, 'k');
  });

  scan.itScans();
});
