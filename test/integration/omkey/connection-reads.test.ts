import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../tools/envtest/process.ts';
import { parsePromText, samples } from '../../runtime/prom-text.ts';
import { useOperator } from '../support/suite.ts';
import { connectionFor } from '../support/connections.ts';
import { simProjectRoles, updateBindingSpec, waitForBinding } from '../pkb/helpers.ts';
import { expectOneLiveKey, useLeakScan } from './helpers.ts';

const KEYS = ['a', 'b', 'c'];

describe('omkey: resolving a key\'s connection reads no Kubernetes object (caches, a watch)', function () {
  this.timeout(120_000);
  // No periodic resync within the test: what reconciles is the change made here. The operator
  // watches only this test's namespace: the counter is the whole process's.
  const NS = `conn-reads-${randomBytes(3).toString('hex')}`;
  const s = useOperator({ env: { OMKEYS_RESYNC_PERIOD: '1h', OMKEYS_NAMESPACES: NS } });
  const scan = useLeakScan(s);

  /** The operator's reads (get, list) by resource so far, Lease renewals apart (omkeys_kube_requests_total). */
  async function reads(): Promise<Record<string, number>> {
    const res = await fetch(`${s().op.httpUrl}/metrics`);
    expect(res.status).to.equal(200);
    const out: Record<string, number> = {};
    for (const x of samples(parsePromText(await res.text()), 'omkeys_kube_requests_total', {})) {
      const { verb = '', resource = '' } = x.labels;
      if ((verb !== 'get' && verb !== 'list') || resource === 'leases' || x.value === 0) continue;
      out[`${verb} ${resource}`] = (out[`${verb} ${resource}`] ?? 0) + x.value;
    }
    return out;
  }

  it('keys and a binding reconciled through a cluster connection: no get or list of any kind', async () => {
    const { sim, kube, env, privateKeys } = s();
    const ns = scan.track(await env.newNamespace('conn-reads', NS));
    const owner = sim.state.addKey(sim.orgId, 'connection pair', [{ orgId: sim.orgId, roleName: 'ORG_OWNER' }]);
    privateKeys.add(owner.privateKey);
    const connectionRef = await connectionFor(env.kc, ns, { ...sim, key: owner });
    const projectId = sim.projectIds[0] ?? '';
    for (const k of KEYS) await kube.createKey(ns, k, { orgId: sim.orgId, roles: ['ORG_MEMBER'], connectionRef });
    await kube.createBinding(ns, 'b', { apiKeyRef: { name: 'a' }, projectId, roles: ['GROUP_READ_ONLY'] });
    const keyIds = new Map<string, string>();
    for (const k of KEYS) keyIds.set(k, (await expectOneLiveKey(s(), ns, k)).data.keyId ?? '');
    await waitForBinding(kube, ns, 'b', 'True');
    const before = await reads();

    // Each change is a reconcile that resolves the connection and calls Ops Manager through it.
    for (const k of KEYS) {
      await kube.updateKeySpec(ns, k, (spec) => {
        spec.description = `changed ${k}`;
      });
    }
    await updateBindingSpec(kube, ns, 'b', (spec) => {
      spec.roles = ['GROUP_DATA_ACCESS_READ_ONLY'];
    });
    await waitFor('the changes in Ops Manager', () => Promise.resolve(
      KEYS.every((k) => sim.state.apiKeys.get(keyIds.get(k) ?? '')?.desc === `changed ${k}`) &&
        simProjectRoles(sim, keyIds.get('a') ?? '', projectId).join() === 'GROUP_DATA_ACCESS_READ_ONLY',
    ), 30_000, 100);
    for (const k of KEYS) await kube.waitForReady(ns, k);
    await waitForBinding(kube, ns, 'b', 'True');

    expect(await reads(), 'the operator\'s gets and lists').to.deep.equal(before);
  });

  scan.itScans();
});
