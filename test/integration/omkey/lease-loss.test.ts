import { expect } from 'chai';
import { isPendingTagOf } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { OPERATOR_NAMESPACE, OperatorProcess } from '../support/operator-process.ts';
import { useOperator } from '../support/suite.ts';
import { expectOneLiveKey, pendingKeys } from './helpers.ts';

const LEASE = 'omkeys-leader';

/** The time of the first line of a pino log whose message includes `msg`. */
function loggedAt(log: string, msg: string): number | undefined {
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: string };
    if (entry.msg?.includes(msg) && entry.time) return Date.parse(entry.time);
  }
  return undefined;
}

describe('omkey: the leader loses its Lease in the middle of a create', function () {
  this.timeout(180_000);
  // Replica A leads (a 4 s Lease: renew deadline 2.7 s, retry 0.5 s); B is the standby.
  const s = useOperator();
  let standby: OperatorProcess | undefined;
  // Registered after useOperator's: B, the leader by then, finishes the suite's clean-up first.
  after(async () => {
    await standby?.stop();
  });

  it('the old leader stops and exits 1 before the standby leads; one working key, nothing tagged left', async () => {
    const { kube, sim, env, op: leader } = s();
    standby = await OperatorProcess.start(env, sim, { standby: true });
    const ns = await env.newNamespace('lease-loss');
    // A key made first gives the leader's client a Digest nonce: the fault hits the create itself.
    await kube.createKey(ns, 'warm', { orgId: sim.orgId, roles: ['ORG_MEMBER'] });
    await expectOneLiveKey(s(), ns, 'warm');

    // The create is carried out at once; its answer is held until the caller hangs up.
    sim.faults.set([{ method: 'POST', path: '/orgs/*/apiKeys', fault: 'delay-after-apply', ms: 120_000, count: 1 }]);
    sim.requests.enable();
    try {
      await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      const uid = (await kube.getKey(ns, 'k'))?.metadata.uid;
      await waitFor('the create to be carried out, its answer held', () =>
        Promise.resolve(pendingKeys(sim).some((k) => isPendingTagOf(k.desc, uid))), 30_000, 50);
      expect(leader.exitCode).to.equal(null);

      // Another holder takes the Lease, as a partitioned leader would see it: A can no longer renew.
      const path = `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/${LEASE}`;
      await waitFor('the Lease to be taken', async () => {
        const lease = await env.kube.request<{ spec?: Record<string, unknown> }>({ path });
        const renewTime = new Date().toISOString().replace('Z', '000Z');
        const spec = { ...lease.spec, holderIdentity: 'thief', renewTime, leaseDurationSeconds: 4 };
        try {
          await env.kube.request({ method: 'PUT', path, body: { ...lease, spec } });
          return true;
        } catch (err) {
          if (statusOf(err) === 409) return false;
          throw err;
        }
      }, 10_000, 20);
      const takenAt = Date.now();

      await leader.waitForExit(10_000);
      const exitedAt = Date.now();
      expect(leader.exitCode, 'the old leader exits non-zero').to.equal(1);
      const lostAt = loggedAt(leader.logText(), 'lost the Lease: stopping every reconcile and exiting');
      expect(lostAt, 'the old leader logged the loss').to.be.a('number');
      // Its deadline runs from its last renewal, before the Lease was taken: well within it.
      expect(exitedAt - takenAt).to.be.below(2_700);

      await expectOneLiveKey(s(), ns, 'k', 90_000);
      const ledAt = loggedAt(standby.logText(), 'became leader');
      expect(ledAt, 'the standby took over').to.be.a('number');
      expect(ledAt!, 'not before the Lease taken from A ran out').to.be.at.least(takenAt + 4_000 - 250);
      expect(ledAt! - lostAt!, 'the old leader stopped well before').to.be.at.least(3_000);
      // Between the loss and the takeover nobody wrote to Ops Manager: the old leader sent nothing more.
      const writes = sim.requests.list().filter((r) => r.method !== 'GET' && r.arrivedAt >= lostAt! && r.arrivedAt < ledAt!);
      expect(writes.map((r) => `${r.method} ${r.route}`)).to.deep.equal([]);
      expect(pendingKeys(sim)).to.deep.equal([]);
      const ours = [...sim.state.apiKeys.values()].filter((k) => k.desc === `${ns}/k` || isPendingTagOf(k.desc, uid));
      expect(ours, 'exactly one key for the resource').to.have.length(1);
    } finally {
      sim.faults.clear();
      sim.requests.enable(false);
    }
  });
});
