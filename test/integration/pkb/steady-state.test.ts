import { CoreV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { Suite } from '../support/suite.ts';
import { useOperator } from '../support/suite.ts';
import { omWrites, waitForBinding } from './helpers.ts';

/** Binding reconciles the operator has logged for a namespace (one `plan` debug line each). */
function bindingReconciles(s: Suite, ns: string): number {
  return s.op.logText().split('\n').filter((l) => l.includes('"controller":"projectkeybinding"') && l.includes(`"namespace":"${ns}"`) && l.includes('"msg":"plan"')).length;
}

function projectLists(s: Suite): number {
  return s.sim.stats.count('GET', '/groups/{groupId}/apiKeys');
}

function orgLists(s: Suite): number {
  return s.sim.stats.count('GET', '/orgs/{orgId}/apiKeys');
}

describe('pkb: steady state (resync every 2 s, nothing changes)', () => {
  // This operator watches only the test's namespace: other suites' namespaces, still being
  // deleted, would otherwise send their finalizers' calls to this suite's simulator.
  const opEnv: Record<string, string> = { OMKEYS_RESYNC_PERIOD: '2s' };
  let ns = '';
  before(async () => {
    ns = await testEnv().newNamespace('pkb-steady');
    opEnv.OMKEYS_NAMESPACES = ns;
  });
  const s = useOperator({ env: opEnv });

  it('a resync writes nothing to Ops Manager or Kubernetes, and bindings of one project share one list', async () => {
    const suite = s();
    const { kube, sim, env } = suite;
    const [p1, p2] = sim.projectIds;
    const bindings: string[] = [];
    for (const k of ['a', 'b', 'c', 'd']) {
      await kube.createKey(ns, k, { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      for (const [i, p] of [p1!, p2!].entries()) {
        await kube.createBinding(ns, `${k}-${i}`, { apiKeyRef: { name: k }, projectId: p, roles: ['GROUP_READ_ONLY'] });
        bindings.push(`${k}-${i}`);
      }
    }
    for (const k of ['a', 'b', 'c', 'd']) await kube.waitForReady(ns, k);
    for (const b of bindings) await waitForBinding(kube, ns, b, 'True');
    // Let the first resync after the setup pass (it may still see the setup's echoes).
    const settled = bindingReconciles(suite, ns);
    await waitFor('a full resync', () => Promise.resolve(bindingReconciles(suite, ns) >= settled + bindings.length), 30_000, 100);

    const versions = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const k of ['a', 'b', 'c', 'd']) {
        out.push(`key ${k} ${(await kube.getKey(ns, k))?.metadata.resourceVersion ?? ''}`);
        out.push(`secret ${k} ${(await kube.secret(ns, k))?.metadata?.resourceVersion ?? ''}`);
      }
      for (const b of bindings) out.push(`binding ${b} ${(await kube.getBinding(ns, b))?.metadata.resourceVersion ?? ''}`);
      return out;
    };
    const events = async (): Promise<number> => (await env.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: ns })).items.length;
    const before = await versions();
    const eventsBefore = await events();
    sim.stats.reset();
    const start = bindingReconciles(suite, ns);
    // At least two more full resyncs of every binding.
    await waitFor('two resyncs', () => Promise.resolve(bindingReconciles(suite, ns) >= start + 2 * bindings.length), 60_000, 100);
    const reconciles = bindingReconciles(suite, ns) - start;

    expect(omWrites(sim), JSON.stringify(sim.stats.list())).to.equal(0);
    expect(await versions()).to.deep.equal(before);
    expect(await events()).to.equal(eventsBefore);
    // Resyncs did read Ops Manager, and one list served the bindings together (without sharing
    // there would be one list per reconcile): the organization's, which its keys read anyway
    // (these are organization keys in an organization of one page), and no project's.
    const lists = orgLists(suite);
    expect(lists).to.be.greaterThan(0);
    expect(lists * 3, `${lists} lists for ${reconciles} binding reconciles`).to.be.at.most(reconciles);
    expect(projectLists(suite), 'project lists').to.equal(0);
  });
});
