// Deletion storms: whole namespaces deleted with keys and bindings in them (some still being
// created), and keys, bindings and a namespace deleted while Ops Manager is down, after which
// it comes back. Nothing may be left in Ops Manager, and nothing may let go of its finalizer
// while the key it must delete is still there.
import { Churn } from './churn.ts';
import { snapshot } from './judge.ts';
import { settle } from './settle.ts';
import { faultedAnswers, settleFigures, sleep, verdict, type Ctx, type ScenarioResult, type Violation } from './verdict.ts';
import { createNamespaces } from './world.ts';

export async function deletionStorms(ctx: Ctx): Promise<ScenarioResult> {
  const { world, rng, short, log } = ctx;
  const t0 = Date.now();
  const violations: Violation[] = [];
  let events = 0;

  // 1. Namespaces deleted whole, some while their resources are still being created.
  const doomed = await createNamespaces(world, 'del', short ? 2 : 5);
  const churnA = new Churn({ kube: world.kube, sim: world.sim, rng, journal: ctx.journal, namespaces: doomed, targetKeys: 100 });
  await churnA.populate(short ? 6 : 16);
  events += churnA.total;
  await sleep(rng.int(0, 3000));
  for (const ns of doomed) {
    await world.kube.core.deleteNamespace({ name: ns });
    ctx.journal(`namespace ${ns} deleted`);
    churnA.forgetNamespace(ns);
    events++;
    await sleep(rng.int(0, 800));
  }
  log(`  deletion storm: ${doomed.length} namespaces deleted with ${churnA.done.get('create-key') ?? 0} keys and ${churnA.done.get('create-binding') ?? 0} bindings`);

  // 2. Deletions while Ops Manager is down.
  const [kept, lost] = await createNamespaces(world, 'down', 2);
  const churnB = new Churn({ kube: world.kube, sim: world.sim, rng, journal: ctx.journal, namespaces: [kept!, lost!], targetKeys: 100 });
  await churnB.populate(short ? 6 : 12);
  events += churnB.total;
  const ready = await settle(world, { reported: ctx.reported, since: Date.now(), deadlineMs: 90_000, namespacesGone: doomed });
  if (!ready.settled) violations.push(...(await verdict(ctx, 'deletion storms (before the outage)', ready)));
  const downAt = Date.now();
  // Down for everything: every call is refused or cut.
  world.sim.faults.set([{ fault: 'reset', rate: 0.5 }, { fault: 'status', status: 503 }]);
  ctx.journal('Ops Manager down (every call reset or 503)');
  const deleted: Array<{ ns: string; name: string; keyId?: string }> = [];
  const before = await snapshot(world.kube, world.sim);
  for (const name of churnB.keyNames(kept!)) {
    if (!rng.chance(0.5)) continue;
    deleted.push({ ns: kept!, name, keyId: before.keys.find((k) => k.metadata.namespace === kept && k.metadata.name === name)?.status?.keyId });
    await churnB.deleteKeyOnly(kept!, name);
    ctx.journal(`delete-key ${kept!}/${name} while Ops Manager is down`);
    events++;
  }
  for (const name of churnB.bindingNames(kept!)) {
    if (!rng.chance(0.5)) continue;
    await churnB.deleteBindingByName(kept!, name);
    ctx.journal(`delete-binding ${kept!}/${name} while Ops Manager is down`);
    events++;
  }
  await world.kube.core.deleteNamespace({ name: lost! });
  ctx.journal(`namespace ${lost!} deleted while Ops Manager is down`);
  churnB.forgetNamespace(lost!);
  events++;
  await sleep(short ? 4000 : 10_000);
  // A resource gone while Ops Manager was down cannot have deleted its key there.
  const during = await snapshot(world.kube, world.sim);
  for (const d of deleted) {
    const present = during.keys.some((k) => k.metadata.namespace === d.ns && k.metadata.name === d.name);
    const keyLeft = d.keyId !== undefined && during.simKeys.some((k) => k.id === d.keyId);
    if (!present && keyLeft) violations.push({ scenario: 'deletion storms', invariant: 'no orphaned key', subject: `OpsManagerApiKey ${d.ns}/${d.name}`, detail: `gone while Ops Manager was down; its key ${d.keyId ?? ''} is still there` });
  }
  const lostStillThere = during.keys.filter((k) => k.metadata.namespace === lost).length;
  world.sim.faults.clear();
  ctx.journal('Ops Manager back');
  const faults = faultedAnswers(world, downAt).total;
  const end = Date.now();
  log(`  deletion storm: Ops Manager back after ${end - downAt} ms (${faults} calls refused); settling`);
  const s = await settle(world, { reported: ctx.reported, since: end, deadlineMs: short ? 60_000 : 120_000, namespacesGone: [...doomed, lost!] });
  violations.push(...(await verdict(ctx, 'deletion storms', s)));
  return {
    name: 'deletion storms',
    durationMs: Date.now() - t0,
    events,
    kills: 0,
    faults,
    settle: settleFigures(s),
    violations,
    figures: { namespacesDeleted: doomed.length + 1, keysDeletedWhileDown: deleted.length, keysOfDeletedNamespaceHeldWhileDown: lostStillThere, outageMs: end - downAt },
  };
}
