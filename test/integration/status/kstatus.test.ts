// kstatus (sigs.k8s.io/cli-utils, what Flux's health checks, Helm 4's --wait and kpt judge
// with) judges the operator's objects as the real API server holds them, in every state a
// platform team meets: new, creating, Ready, a spec change that succeeds or is refused, refused
// for good, deleting, a binding waiting for its key. kubectl wait waits for the latest generation.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { OpsManagerApiKey, ProjectKeyBinding } from '../../../src/api/types.ts';
import { TOOL_BUILD_TIMEOUT_MS, toolBin } from '../../deploy/tool-bins.ts';
import { kubectl } from '../support/kubectl.ts';
import { useOperator } from '../support/suite.ts';

interface Verdict { status: string; message: string }

/** kstatus's Compute on the object, by the hack/kstatus binary. */
async function judge(obj: OpsManagerApiKey | ProjectKeyBinding | undefined): Promise<Verdict> {
  if (!obj) throw new Error('no object to judge');
  const run = promisify(execFile)(toolBin('kstatus'), [], { encoding: 'utf8' });
  run.child.stdin?.end(JSON.stringify(obj));
  const { stdout } = await run;
  const { status, message } = JSON.parse(stdout) as Verdict;
  return { status, message };
}

const cond = (obj: { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } } | undefined, type: string): string | undefined => {
  const c = obj?.status?.conditions?.find((x) => x.type === type);
  return c ? `${c.status} ${c.reason}` : undefined;
};

const BAD_TEMPLATE = { template: { data: { url: '{{ .nope }}' } } };

describe('kstatus judges OpsManagerApiKey and ProjectKeyBinding (cli-utils v0.37.2 on the real API server)', () => {
  const s = useOperator();

  before(function () {
    this.timeout(TOOL_BUILD_TIMEOUT_MS);
    toolBin('kstatus');
  });

  it('a new key: not observed as created, the first status written says Reconciling, then Ready (Current)', async function () {
    this.timeout(180_000);
    const { kube, sim, env, op } = s();
    const ns = await env.newNamespace('kstatus-new');
    // The process dies right after its first status write for the key: the record of the new key.
    await op.stop();
    await op.restart({ OMKEYS_FAILPOINTS: 'after-status-write' });
    try {
      const created = await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      expect(created.status, 'the CRD default: nothing observed yet').to.deep.equal({ observedGeneration: 0 });
      expect(await judge(created)).to.deep.equal({ status: 'InProgress', message: 'OpsManagerApiKey generation is 1, but latest observed generation is 0' });
      await op.waitForExit();
      const recorded = await kube.getKey(ns, 'k');
      expect(cond(recorded, 'Reconciling'), 'the first status the operator writes').to.equal('True Progressing');
      expect(recorded?.status?.observedGeneration).to.equal(1);
      const v = await judge(recorded);
      expect(v.status).to.equal('InProgress');
      expect(v.message).to.match(/^recording key \S+ \(\S+\) and giving it its description$/);
    } finally {
      await op.restart({});
    }
    const ready = await kube.waitForReady(ns, 'k', 60_000);
    expect(cond(ready, 'Reconciling'), 'nothing left over').to.equal(undefined);
    expect(await judge(ready)).to.deep.equal({ status: 'Current', message: 'Resource is Ready' });
  });

  it('creating: while Ops Manager takes its time over the create, the marked resource is in progress', async function () {
    this.timeout(120_000);
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('kstatus-creating');
    sim.faults.set([{ method: 'POST', path: '/orgs/*/apiKeys', fault: 'latency', ms: 5000, count: 1 }]);
    try {
      await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
      const marked = await waitFor('create under way', async () => {
        const o = await kube.getKey(ns, 'k');
        return o?.metadata.annotations?.['omkeys.io/create-pending'] ? o : undefined;
      }, 30_000);
      expect(marked.status).to.deep.equal({ observedGeneration: 0 });
      expect((await judge(marked)).status).to.equal('InProgress');
    } finally {
      sim.faults.clear();
    }
    expect((await judge(await kube.waitForReady(ns, 'k', 60_000))).status).to.equal('Current');
  });

  it('a spec change: in progress until observed, Current once applied; refused by a bad template: Failed (Stalled) at the new generation', async function () {
    this.timeout(120_000);
    const { kube, sim, env, op } = s();
    const ns = await env.newNamespace('kstatus-change');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.waitForReady(ns, 'k', 60_000);
    // With the operator stopped, Ready=True of generation 1 must not count for generation 2.
    await op.stop();
    const changed = await kube.updateKeySpec(ns, 'k', (spec) => (spec.description = 'billing reader'));
    expect(changed.metadata.generation).to.equal(2);
    expect(await judge(changed)).to.deep.equal({ status: 'InProgress', message: 'OpsManagerApiKey generation is 2, but latest observed generation is 1' });
    const early = await kubectl(['wait', '-n', ns, 'opsmanagerapikey/k', '--for=condition=Ready', '--timeout=2s']);
    expect(early.code, `kubectl wait must wait for generation 2: ${early.out}`).to.not.equal(0);
    await op.restart({});
    const waited = await kubectl(['wait', '-n', ns, 'opsmanagerapikey/k', '--for=condition=Ready', '--timeout=60s']);
    expect(waited.code, waited.out).to.equal(0);
    const applied = await kube.getKey(ns, 'k');
    expect(applied?.status?.observedGeneration).to.equal(2);
    expect(sim.state.apiKeys.get(applied?.status?.keyId ?? '')?.desc).to.equal('billing reader');
    expect((await judge(applied)).status).to.equal('Current');

    await kube.updateKeySpec(ns, 'k', (spec) => (spec.secret = BAD_TEMPLATE));
    const refused = await waitFor('refused', async () => {
      const o = await kube.getKey(ns, 'k');
      return o?.status?.observedGeneration === 3 && cond(o, 'Stalled') === 'True InvalidSpec' ? o : undefined;
    }, 30_000);
    expect(cond(refused, 'Ready')).to.equal('False InvalidSpec');
    expect(cond(refused, 'Reconciling')).to.equal(undefined);
    const v = await judge(refused);
    expect(v.status).to.equal('Failed');
    expect(v.message).to.match(/^unknown placeholder \{\{ \.nope \}\}/);
    const fails = await kubectl(['wait', '-n', ns, 'opsmanagerapikey/k', '--for=condition=Ready', '--timeout=2s']);
    expect(fails.code, 'a refused spec is not Ready').to.not.equal(0);
    const stalled = await kubectl(['wait', '-n', ns, 'opsmanagerapikey/k', '--for=condition=Stalled', '--timeout=10s']);
    expect(stalled.code, stalled.out).to.equal(0);
  });

  it('refused for good from the start: Failed with the reason, after a single look', async function () {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('kstatus-refused');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], secret: BAD_TEMPLATE });
    const refused = await waitFor('stalled', async () => {
      const o = await kube.getKey(ns, 'k');
      return cond(o, 'Stalled') === 'True InvalidSpec' ? o : undefined;
    }, 30_000);
    expect(refused.status?.observedGeneration).to.equal(1);
    expect((await judge(refused)).status).to.equal('Failed');
  });

  it('deleting: Terminating while the finalizer holds it', async function () {
    this.timeout(120_000);
    const { kube, sim, env, op } = s();
    const ns = await env.newNamespace('kstatus-deleting');
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.waitForReady(ns, 'k', 60_000);
    await op.stop();
    await kube.deleteKey(ns, 'k');
    const deleting = await kube.getKey(ns, 'k');
    expect(deleting?.metadata.deletionTimestamp).to.be.a('string');
    expect(await judge(deleting)).to.deep.equal({ status: 'Terminating', message: 'Resource scheduled for deletion' });
    await op.restart({});
    await waitFor('gone', async () => ((await kube.getKey(ns, 'k')) === undefined ? true : undefined), 60_000);
  });

  it('a binding: not observed as created, then waiting for its key (in progress), Current once its key is Ready', async function () {
    this.timeout(120_000);
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('kstatus-binding');
    const created = await kube.createBinding(ns, 'b', { apiKeyRef: { name: 'k' }, projectId: sim.projectIds[0] ?? '', roles: ['GROUP_READ_ONLY'] });
    expect(await judge(created)).to.deep.equal({ status: 'InProgress', message: 'ProjectKeyBinding generation is 1, but latest observed generation is 0' });
    const waiting = await waitFor('waiting for its key', async () => {
      const o = await kube.getBinding(ns, 'b');
      return cond(o, 'Ready') === 'False KeyNotFound' ? o : undefined;
    }, 30_000);
    expect(cond(waiting, 'Reconciling')).to.equal('True KeyNotFound');
    expect(await judge(waiting)).to.deep.equal({ status: 'InProgress', message: 'OpsManagerApiKey k does not exist' });
    await kube.createKey(ns, 'k', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const bound = await waitFor('bound', async () => {
      const o = await kube.getBinding(ns, 'b');
      return cond(o, 'Ready') === 'True Assigned' ? o : undefined;
    }, 60_000);
    expect(await judge(bound)).to.deep.equal({ status: 'Current', message: 'Resource is Ready' });
  });
});
