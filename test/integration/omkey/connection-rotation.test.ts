import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { parsePromText, samples } from '../../runtime/prom-text.ts';
import { useOperator } from '../support/suite.ts';
import { applyCredentials, connectionFor } from '../support/connections.ts';
import { expectOneLiveKey, useLeakScan } from './helpers.ts';

describe('omkey: a connection Secret comes from a watch of it: rotated, it is used at once; at rest, never read live', function () {
  this.timeout(120_000);
  // No periodic resync within the test: what reconciles is the change made here. The operator
  // watches only this test's namespace: the GET counter is the whole process's, and an operator
  // watching every namespace also finishes what earlier suites left terminating (live reads of
  // their Secrets, counted here on a busy machine).
  const NS = `conn-rotate-${randomBytes(3).toString('hex')}`;
  const s = useOperator({ env: { OMKEYS_RESYNC_PERIOD: '1h', OMKEYS_NAMESPACES: NS } });
  const scan = useLeakScan(s);

  /** The operator's live GETs of Secrets so far (omkeys_kube_requests_total). */
  async function secretGets(): Promise<number> {
    const res = await fetch(`${s().op.httpUrl}/metrics`);
    expect(res.status).to.equal(200);
    return samples(parsePromText(await res.text()), 'omkeys_kube_requests_total', { verb: 'get', resource: 'secrets' }).reduce((n, x) => n + x.value, 0);
  }

  /** The namespace's connection with `pair`: its credentials Secret written (created, then replaced on rotation). */
  async function writeConnection(ns: string, pair: { publicKey: string; privateKey: string }): Promise<{ kind: 'ClusterOpsManagerConnection'; name: string }> {
    const { env, sim } = s();
    return connectionFor(env.kc, ns, { ...sim, key: pair });
  }

  it('the next change after a rotation of the connection pair goes through with the new pair, without a live GET', async () => {
    const { sim, kube, env, privateKeys } = s();
    const ns = scan.track(await env.newNamespace('conn-rotate', NS));
    const owner = [{ orgId: sim.orgId, roleName: 'ORG_OWNER' }];
    const first = sim.state.addKey(sim.orgId, 'connection pair 1', owner);
    privateKeys.add(first.privateKey);
    const connectionRef = await writeConnection(ns, first);
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], connectionRef });
    const { data } = await expectOneLiveKey(s(), ns, 'k');

    // The pair is rotated: a new key in Ops Manager, the Secret updated, the old key deleted.
    const second = sim.state.addKey(sim.orgId, 'connection pair 2', owner);
    privateKeys.add(second.privateKey);
    await applyCredentials(env.kc, ns, connectionRef.name, { publicKey: second.publicKey, privateKey: second.privateKey });
    sim.state.apiKeys.delete(first.id);
    const gets = await secretGets();

    await kube.updateKeySpec(ns, 'k', (spec) => {
      spec.description = 'after the rotation';
    });
    // Within seconds (a generous deadline for a busy machine): a 401 with the old pair would back
    // off and try again, so the key's description in Ops Manager is checked too.
    const ready = await kube.waitForReady(ns, 'k', 20_000);
    expect(ready.status?.keyId).to.equal(data.keyId);
    expect(sim.state.apiKeys.get(data.keyId ?? '')?.desc).to.equal('after the rotation');
    expect(await secretGets(), 'live Secret GETs for the change').to.equal(gets);
  });

  scan.itScans();
});
