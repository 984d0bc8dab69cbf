import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { useOperator, type Suite } from '../support/suite.ts';
import { expectOneLiveKey, useLeakScan, waitForEvent } from './helpers.ts';


/** The simulator's view of a key, in a comparable form. */
function simView(sim: SimHandle, keyId: string): { desc: string; roles: string[]; accessList: string[] } | undefined {
  const k = sim.state.apiKeys.get(keyId);
  if (!k) return undefined;
  return { desc: k.desc, roles: k.roles.map((r) => r.roleName).sort(), accessList: k.accessList.map((e) => e.cidrBlock).sort() };
}

/**
 * Evidence that nothing about one key was written: the very same access-list entry objects
 * (an entry deleted and added again is a new object) and no Updated or DriftCorrected Event.
 * Ops Manager's request counters are shared with every other resource, so they cannot say this.
 */
async function untouched(s: Suite, ns: string, keyId: string): Promise<() => Promise<void>> {
  const { sim, kube } = s;
  const entries = [...(sim.state.apiKeys.get(keyId)?.accessList ?? [])];
  const key = sim.state.apiKeys.get(keyId);
  const view = simView(sim, keyId);
  const changeEvents = async (): Promise<number> => (await kube.eventsFor(ns, 'k')).filter((e) => e.reason === 'Updated' || e.reason === 'DriftCorrected').length;
  const before = await changeEvents();
  return async () => {
    expect(sim.state.apiKeys.get(keyId), 'the same key').to.equal(key);
    const now = sim.state.apiKeys.get(keyId)?.accessList ?? [];
    expect(now.length).to.equal(entries.length);
    now.forEach((e, i) => expect(e, `access-list entry ${e.cidrBlock} not re-created`).to.equal(entries[i]));
    expect(simView(sim, keyId)).to.deep.equal(view);
    expect(await changeEvents(), 'Updated/DriftCorrected Events').to.equal(before);
  };
}

/** Waits until the operator has looked at the key `n` more times (resyncs), so that "nothing written" means something. */
async function afterResyncs(s: Suite, ns: string, n: number): Promise<void> {
  const me = `"namespace":"${ns}","name":"k","plan":"Converge"`;
  const count = (): number => s.op.logText().split('\n').filter((l) => l.includes(me)).length;
  const start = count();
  await waitFor(`${n} resyncs`, () => Promise.resolve(count() >= start + n), 30_000, 100);
}

describe('omkey: spec updates and drift in Ops Manager', function () {
  this.timeout(90_000);
  const s = useOperator({ env: { OMKEYS_RESYNC_PERIOD: '2s' } });
  const scan = useLeakScan(s);

  it('follows description, role and access-list changes in the spec; 192.0.2.1 is 192.0.2.1/32 (no churn)', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('omkey-update'));
    await kube.createKey(ns, 'k', {
      orgId: sim.orgId,
      roles: ['ORG_READ_ONLY'],
      accessList: [{ ipAddress: '192.0.2.1' }, { cidrBlock: '10.0.0.0/8' }],
    });
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    const keyId = data.keyId!;

    await kube.updateKeySpec(ns, 'k', (spec) => {
      spec.description = 'billing reader, second edition';
      spec.roles = ['ORG_MEMBER', 'ORG_READ_ONLY'];
      spec.accessList = [{ ipAddress: '192.0.2.1' }, { cidrBlock: '198.51.100.0/24' }];
    });
    const want = { desc: 'billing reader, second edition', roles: ['ORG_MEMBER', 'ORG_READ_ONLY'], accessList: ['192.0.2.1/32', '198.51.100.0/24'] };
    await waitFor('Ops Manager to follow the spec', () => Promise.resolve(JSON.stringify(simView(sim, keyId)) === JSON.stringify(want)), 30_000);
    const ready = await kube.waitForReady(ns, 'k');
    expect(ready.status?.keyId, 'the same key, changed in place').to.equal(keyId);
    expect(ready.status?.roles).to.deep.equal(want.roles);
    expect(ready.status?.accessList).to.deep.equal(want.accessList);
    const ev = await waitForEvent(kube, ns, 'k', 'Updated');
    expect(ev.type).to.equal('Normal');

    // The same address written as a /32 block is the same entry: nothing to write, now or on resync.
    const check = await untouched(s(), ns, keyId);
    await kube.updateKeySpec(ns, 'k', (spec) => {
      spec.accessList = [{ cidrBlock: '192.0.2.1/32' }, { cidrBlock: '198.51.100.0/24' }];
    });
    await kube.waitForReady(ns, 'k');
    await afterResyncs(s(), ns, 2);
    await check();
    expect(simView(sim, keyId)).to.deep.equal(want);
    expect(sim.state.apiKeys.get(keyId)?.accessList.find((e) => e.cidrBlock === '192.0.2.1/32')?.ipAddress, 'the entry was not re-created').to.equal('192.0.2.1');
  });

  it('compares IPv6 entries in canonical form: no churn whatever the spelling', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('omkey-ipv6'));
    await kube.createKey(ns, 'k', {
      orgId: sim.orgId,
      roles: ['ORG_READ_ONLY'],
      accessList: [{ ipAddress: '2001:DB8:0:0:0:0:0:1' }, { cidrBlock: '2001:db8:abcd:0::/64' }, { ipAddress: '192.0.2.7' }],
    });
    const { data } = await expectOneLiveKey(s(), ns, 'k');
    const want = ['192.0.2.7/32', '2001:db8::1/128', '2001:db8:abcd::/64'];
    expect(simView(sim, data.keyId!)?.accessList).to.deep.equal(want);
    const check = await untouched(s(), ns, data.keyId!);
    await afterResyncs(s(), ns, 2);
    await check();
    expect((await kube.getKey(ns, 'k'))?.status?.accessList).to.deep.equal(want);
  });

  it('puts back description, roles and access list changed by hand in Ops Manager, with a DriftCorrected Warning', async () => {
    const { kube, sim, env } = s();
    const ns = scan.track(await env.newNamespace('omkey-drift'));
    await kube.createKey(ns, 'k', { orgId: sim.orgId, description: 'as declared', roles: ['ORG_READ_ONLY'], accessList: [{ cidrBlock: '10.20.0.0/16' }] });
    await kube.waitForReady(ns, 'k');
    const keyId = (await kube.secretData(ns, 'k'))?.keyId ?? '';
    const declared = { desc: 'as declared', roles: ['ORG_READ_ONLY'], accessList: ['10.20.0.0/16'] };
    await waitFor('key settled', () => Promise.resolve(JSON.stringify(simView(sim, keyId)) === JSON.stringify(declared)), 30_000);
    s().privateKeys.add((await kube.secretData(ns, 'k'))?.privateKey ?? '');

    const key = sim.state.apiKeys.get(keyId)!;
    key.desc = 'edited in the UI';
    key.roles = [{ orgId: sim.orgId, roleName: 'ORG_MEMBER' }];
    key.accessList = [{ cidrBlock: '203.0.113.0/24', ipAddress: null, created: new Date().toISOString(), count: 0 }];

    await waitFor('drift put back', () => Promise.resolve(JSON.stringify(simView(sim, keyId)) === JSON.stringify(declared)), 30_000);
    const ev = await waitForEvent(kube, ns, 'k', 'DriftCorrected');
    expect(ev.type).to.equal('Warning');
    expect(ev.note).to.match(/roles/).and.to.match(/description/).and.to.match(/access list/);
    const ready = await kube.waitForReady(ns, 'k');
    expect(ready.status?.keyId).to.equal(keyId);
    expect(ready.status?.accessList).to.deep.equal(['10.20.0.0/16']);
  });

  scan.itScans();
});
