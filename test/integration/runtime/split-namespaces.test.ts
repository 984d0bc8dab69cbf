import { expect } from 'chai';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { waitForBinding } from '../pkb/helpers.ts';
import { Kube } from '../support/kube.ts';
import { OPERATOR_NAMESPACE, OperatorProcess } from '../support/operator-process.ts';
import { testGrant } from '../support/connections.ts';

interface LogLine { msg?: string; controller?: string; namespace?: string }

/** The namespaces an operator's controllers logged about (reconcile plans, failures, passes). */
function namespacesIn(op: OperatorProcess): Set<string> {
  const seen = new Set<string>();
  for (const raw of op.logText().split('\n')) {
    if (!raw.startsWith('{')) continue;
    const l = JSON.parse(raw) as LogLine;
    if (l.controller && l.namespace) seen.add(l.namespace);
  }
  return seen;
}

async function scrape(op: OperatorProcess): Promise<string> {
  return (await fetch(`${op.httpUrl}/metrics`)).text();
}

/**
 * omkeys_reconcile_total of the key and binding controllers, summed over results (the cluster
 * connections' controller serves every namespace, so its reconciles say nothing about scope).
 */
async function keyAndBindingReconciles(op: OperatorProcess): Promise<number> {
  const scoped = /^omkeys_reconcile_total\{[^}]*controller="(opsmanagerapikey|projectkeybinding)"/;
  return (await scrape(op)).split('\n').filter((l) => scoped.test(l)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function keyReadyNamespaces(op: OperatorProcess): Promise<string[]> {
  const ns = [...(await scrape(op)).matchAll(/^omkeys_key_ready\{namespace="([^"]+)"/gm)].map((m) => m[1] ?? '');
  return [...new Set(ns)].sort();
}

describe('runtime: two operators split the namespaces (OMKEYS_NAMESPACES, a Lease each, one simulator)', () => {
  let sim: SimHandle | undefined;
  let a: OperatorProcess | undefined;
  let b: OperatorProcess | undefined;
  const names: string[] = [];

  after(async function () {
    this.timeout(150_000);
    // The root hook has asked for the namespaces to go; their keys' finalizers need the operators.
    if (a && b) await testEnv().waitForNamespacesGone(names, 90_000);
    await a?.stop();
    await b?.stop();
    await sim?.close();
  });

  it('each reconciles only its own namespaces, both make their keys Ready, and neither touches the other\'s keys even while the other is down', async function () {
    this.timeout(240_000);
    const env = testEnv();
    const kube = new Kube(env);
    // A watches two namespaces (a watch in each); B one. Both run under deploy/rbac.yaml, which grants more.
    const [a1, a2, b1, nobody] = [await env.newNamespace('split-a1'), await env.newNamespace('split-a2'), await env.newNamespace('split-b1'), await env.newNamespace('split-none')];
    names.push(a1, a2, b1, nobody);
    sim = await startSimulator({ admin: true });
    const projectId = sim.state.addProject(sim.orgId, 'split project').id;
    // The project made here is named in the default connection's policy too.
    const grants = [testGrant(sim, { projects: [...sim.projectIds, projectId] })];
    a = await OperatorProcess.start(env, sim, { env: { OMKEYS_NAMESPACES: `${a1},${a2}`, OMKEYS_LEADER_ELECTION_LEASE: 'omkeys-split-a' }, grants });
    b = await OperatorProcess.start(env, sim, { env: { OMKEYS_NAMESPACES: b1, OMKEYS_LEADER_ELECTION_LEASE: 'omkeys-split-b' }, grants });

    const spec = { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] };
    for (const [ns, name] of [[a1, 'ka1'], [a2, 'ka2'], [b1, 'kb1'], [nobody, 'kn']] as const) await kube.createKey(ns, name, { ...spec, description: `${ns}/${name}` });
    await kube.createBinding(a1, 'ba1', { apiKeyRef: { name: 'ka1' }, projectId, roles: ['GROUP_READ_ONLY'] });
    await kube.createBinding(b1, 'bb1', { apiKeyRef: { name: 'kb1' }, projectId, roles: ['GROUP_READ_ONLY'] });
    for (const [ns, name] of [[a1, 'ka1'], [a2, 'ka2'], [b1, 'kb1']] as const) await kube.waitForReady(ns, name, 60_000);
    await waitForBinding(kube, a1, 'ba1', 'True', undefined, 60_000);
    await waitForBinding(kube, b1, 'bb1', 'True', undefined, 60_000);

    // Both lead at once, each on its own Lease.
    const leases = env.kc.makeApiClient(CoordinationV1Api);
    const holderA = (await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: 'omkeys-split-a' })).spec?.holderIdentity;
    const holderB = (await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: 'omkeys-split-b' })).spec?.holderIdentity;
    expect(holderA).to.be.a('string').and.not.equal(holderB);

    // The key in nobody's namespace was left exactly as applied: no finalizer, status or Secret, no Ops Manager key.
    const untouched = await kube.getKey(nobody, 'kn');
    expect(untouched?.metadata.finalizers ?? []).to.deep.equal([]);
    // Only the API server's default (the CRD's: not observed yet) is there.
    expect(untouched?.status).to.deep.equal({ observedGeneration: 0 });
    expect(await kube.secret(nobody, 'kn')).to.equal(undefined);
    expect([...sim.state.apiKeys.values()].map((k) => k.desc)).not.to.include(`${nobody}/kn`);
    expect(await kube.eventsFor(nobody, 'kn')).to.deep.equal([]);

    // Each logged, and exports per-key series, about its own namespaces only.
    expect([...namespacesIn(a)].sort()).to.deep.equal([a1, a2].sort());
    expect([...namespacesIn(b)]).to.deep.equal([b1]);
    expect(await keyReadyNamespaces(a)).to.deep.equal([a1, a2].sort());
    expect(await keyReadyNamespaces(b)).to.deep.equal([b1]);

    // A is down: changing and deleting its keys wakes nothing in B.
    await a.stop();
    const before = await keyAndBindingReconciles(b);
    expect(before, 'B reconciled its own key and binding').to.be.greaterThan(0);
    const ka1 = await kube.getKey(a1, 'ka1');
    const keyId = ka1?.status?.keyId ?? '';
    await kube.updateKeySpec(a1, 'ka1', (s) => {
      s.description = 'changed while its operator was down';
    });
    await kube.deleteKey(a2, 'ka2');
    const ka2KeyId = (await kube.getKey(a2, 'ka2'))?.status?.keyId ?? '';
    await new Promise((r) => setTimeout(r, 4000));
    expect(await keyAndBindingReconciles(b), 'B reconciled nothing while A\'s keys changed').to.equal(before);
    expect(sim.state.apiKeys.get(keyId)?.desc).to.equal(`${a1}/ka1`);
    expect((await kube.getKey(a2, 'ka2'))?.metadata.deletionTimestamp, 'ka2 waits for its own operator').to.be.a('string');
    expect(sim.state.apiKeys.has(ka2KeyId)).to.equal(true);

    // A back: it catches up on its own keys; B's stay Ready and B still never saw A's namespaces.
    await a.restart();
    await kube.waitForReady(a1, 'ka1', 60_000);
    await waitFor('the description in Ops Manager', () => Promise.resolve(sim?.state.apiKeys.get(keyId)?.desc === 'changed while its operator was down'), 30_000, 100);
    await waitFor('ka2 gone', async () => (await kube.getKey(a2, 'ka2')) === undefined, 30_000, 100);
    expect(sim.state.apiKeys.has(ka2KeyId)).to.equal(false);
    await kube.waitForReady(b1, 'kb1', 10_000);
    expect([...namespacesIn(b)]).to.deep.equal([b1]);
    expect([...namespacesIn(a)].sort()).to.deep.equal([a1, a2].sort());
  });
});
