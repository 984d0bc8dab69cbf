// Control-plane faults during the churn: kube-apiserver restarted, etcd restarted, and the
// operator's Lease lost twice (two replicas: the leader killed; the Lease taken over by a third
// party), with the Lease watched for two leaders at once.
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { waitFor } from '../../tools/envtest/process.ts';
import { Churn } from './churn.ts';
import { settle } from './settle.ts';
import { settleFigures, sleep, verdict, type Ctx, type ScenarioResult, type Violation } from './verdict.ts';
import { LEASE_NAME, OPERATOR_NAMESPACE, createNamespaces, leaderMetric, type ChaosWorld, type Replica } from './world.ts';

/** Polls every replica's `omkeys_leader` until stopped; records any moment two say they lead. */
function watchLeaders(world: ChaosWorld): { stop(): Promise<number> } {
  let both = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const leading = await Promise.all(world.replicas.map((r) => leaderMetric(r)));
      if (leading.filter(Boolean).length > 1) both++;
      await sleep(100);
    }
  })();
  return { stop: async () => ((running = false), await loop, both) };
}

async function timeToLeader(world: ChaosWorld, from: number, not?: string): Promise<{ ms: number; replica: Replica }> {
  const replica = await waitFor('a new leader', async () => {
    const r = await world.waitForLeader(60_000);
    return not === undefined || r.identity() !== not ? r : undefined;
  }, 90_000, 100);
  return { ms: Date.now() - from, replica };
}

export async function controlPlaneFaults(ctx: Ctx): Promise<ScenarioResult> {
  const { world, rng, short, log } = ctx;
  const t0 = Date.now();
  const namespaces = await createNamespaces(world, 'cp', 2);
  const churn = new Churn({ kube: world.kube, sim: world.sim, rng, journal: ctx.journal, namespaces, targetKeys: short ? 8 : 20 });
  await churn.populate(short ? 6 : 14);
  const stop = new AbortController();
  const churning = churn.run(stop.signal, [150, 400]);
  const figures: Record<string, unknown> = {};
  const violations: Violation[] = [];
  let faults = 0;
  let kills = 0;
  const leaders = watchLeaders(world);
  try {
    await sleep(short ? 2000 : 8000);
    let at = Date.now();
    // The short run restarts etcd only: a kube-apiserver restart takes 15 s on 2 busy cores.
    if (!short) {
      log('  control plane: kube-apiserver restarted');
      ctx.journal('kube-apiserver stopping');
      await world.plane.stopApiServer();
      await sleep(3000);
      await world.plane.startApiServer();
      ctx.journal('kube-apiserver serving again');
      faults++;
      figures.apiServerDownMs = Date.now() - at;
      figures.leaderAfterApiServerMs = (await timeToLeader(world, at)).ms;
      await sleep(6000);
    }

    log('  control plane: etcd killed and started again');
    at = Date.now();
    ctx.journal('etcd killed');
    await world.plane.restartEtcd(short ? 500 : 2000);
    ctx.journal('etcd healthy again');
    faults++;
    figures.etcdDownMs = Date.now() - at;
    figures.leaderAfterEtcdMs = (await timeToLeader(world, at)).ms;
    await sleep(short ? 1000 : 6000);

    log('  control plane: a standby replica; the leader killed');
    const standby = world.replicas[1] ?? (await world.addReplica());
    await waitFor('the standby to be ready', () => standby.ready(), 60_000, 200);
    const leader = await world.waitForLeader(60_000);
    const killed = leader.identity();
    at = Date.now();
    ctx.journal(`leader ${killed} killed (pid ${leader.kill() ?? '?'})`);
    kills++;
    faults++;
    const takeover = await timeToLeader(world, at, killed);
    figures.takeoverAfterKillMs = takeover.ms;
    figures.takeoverBy = takeover.replica.name;
    await sleep(short ? 1000 : 6000);

    if (!short) {
      log('  control plane: the Lease taken by another holder');
      await world.waitForLeader(60_000);
      at = Date.now();
      await stealLease(world);
      ctx.journal('Lease taken by chaos-intruder');
      faults++;
      figures.leaderAfterStolenLeaseMs = (await timeToLeader(world, at)).ms;
      await sleep(6000);
    }
  } finally {
    stop.abort();
    await churning;
    const both = await leaders.stop();
    if (both > 0) violations.push({ scenario: 'control-plane faults', invariant: 'at most one leader', subject: 'Lease', detail: `two replicas reported omkeys_leader 1 in ${both} polls (100 ms apart)` });
  }
  const end = Date.now();
  const s = await settle(world, { reported: ctx.reported, since: end, deadlineMs: short ? 60_000 : 120_000 });
  violations.push(...(await verdict(ctx, 'control-plane faults', s)));
  return { name: 'control-plane faults', durationMs: Date.now() - t0, events: churn.total, kills, faults, settle: settleFigures(s), violations, figures: { ...figures, churn: Object.fromEntries(churn.done), refusedOps: churn.failed } };
}

/** Another holder writes itself into the Lease, as a rogue or misconfigured replica would. */
async function stealLease(world: ChaosWorld): Promise<void> {
  const api = world.env.kc.makeApiClient(CoordinationV1Api);
  await waitFor('the Lease to be taken', async () => {
    const lease = await api.readNamespacedLease({ name: LEASE_NAME, namespace: OPERATOR_NAMESPACE });
    const now = new V1MicroTime(Date.now());
    const spec = { ...lease.spec, holderIdentity: 'chaos-intruder', acquireTime: now, renewTime: now, leaseDurationSeconds: 3, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 };
    await api.replaceNamespacedLease({ name: LEASE_NAME, namespace: OPERATOR_NAMESPACE, body: { metadata: lease.metadata, spec } });
    return true;
  }, 10_000, 50);
}
