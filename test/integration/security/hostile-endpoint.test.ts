import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { MAX_MESSAGE } from '../../../src/api/bounded-text.ts';
import { MemoryCgroup } from '../../../bench/lib/memory-cgroup.ts';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { compileOperator, repoRoot, type CompiledOperator } from '../../deploy/compiled.ts';
import { makeTlsFixture } from '../../opsmanager/tls-fixture.ts';
import { applyCredentials, applyNamespacedConnection } from '../support/connections.ts';
import { Kube } from '../support/kube.ts';
import { OperatorProcess } from '../support/operator-process.ts';
import { Tenant } from '../support/tenant.ts';
import { routableAddress, startHostileEndpoint, type HostileEndpoint, type HostileMode } from './hostile-endpoint.ts';

/** The chart's memory limit, in MiB (what a pod of the operator gets). */
function chartMemoryLimitMiB(): number {
  const values = parse(readFileSync(path.join(repoRoot, 'charts', 'omkeys', 'values.yaml'), 'utf8')) as { resources: { limits: { memory: string } } };
  const m = /^(\d+)Mi$/.exec(values.resources.limits.memory);
  if (!m?.[1]) throw new Error(`the chart's memory limit ${values.resources.limits.memory} is not in Mi`);
  return Number(m[1]);
}

/** The process's peak resident set (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/** More keys on the slow server than the operator has workers (16): without a share they would hold them all. */
const KEYS: Record<HostileMode, number> = { slow: 20, huge: 3, pages: 3, retry: 3 };
/** The operator's default (OMKEYS_CONCURRENCY 16), and a namespaced connection's share of it. */
const NAMESPACED_SHARE = 4;

/*
 * A tenant's own OpsManagerConnection pointing at a server it runs is no better than that server:
 * the operator must stay within its pod's memory and keep serving every other namespace whatever
 * it answers. The compiled operator runs in a memory cgroup with the chart's limit where this
 * machine allows one (its peak RSS is judged either way), with request and reconcile timeouts of ten minutes,
 * so a call held by the slow server never ends during the test and only the share frees workers.
 */
describe('security: a tenant\'s hostile Ops Manager endpoint (huge bodies, endless pages, slow answers, Retry-After of hours)', function () {
  this.timeout(300_000);
  const limitMiB = chartMemoryLimitMiB();
  const host = routableAddress();
  const tls = makeTlsFixture([host]);
  let compiled: CompiledOperator | undefined;
  let cgroup: MemoryCgroup | undefined;
  let sim: SimHandle | undefined;
  let op: OperatorProcess | undefined;
  const endpoints = new Map<HostileMode, HostileEndpoint>();
  const namespaces: string[] = [];

  before(async function () {
    this.timeout(240_000);
    compiled = await compileOperator();
    const made = MemoryCgroup.create(limitMiB, `omkeys-hostile-${process.pid}`);
    if (made instanceof MemoryCgroup) cgroup = made;
    else console.log(`    (no memory cgroup here: ${made.reason}; the peak RSS is still judged against ${limitMiB} MiB)`);
    sim = await startSimulator({ admin: true });
    for (const mode of Object.keys(KEYS) as HostileMode[]) endpoints.set(mode, await startHostileEndpoint(mode, host, tls));
    const node = { file: process.execPath, args: ['dist/main.js'] };
    op = await OperatorProcess.start(testEnv(), sim, {
      command: { ...(cgroup ? cgroup.wrap(node) : node), cwd: compiled.root },
      env: { OMKEYS_OM_TIMEOUT: '10m', OMKEYS_RECONCILE_TIMEOUT: '10m', OMKEYS_NAMESPACED_CONNECTION_HOSTS: host },
    });
  });

  after(async function () {
    this.timeout(120_000);
    // Their keys' clean-up can only go through the hostile servers: the finalizers are taken off.
    await testEnv().cleanupNamespaces();
    await testEnv().waitForNamespacesGone(namespaces, 1000);
    await op?.stop();
    for (const ep of endpoints.values()) await ep.close();
    await sim?.close();
    cgroup?.remove();
    compiled?.remove();
  });

  it('keeps the operator under the chart\'s memory limit, alive, and serving other namespaces\' keys meanwhile', async () => {
    const env = testEnv();
    const kube = new Kube(env);
    const pid = op!.pid!;
    for (const [mode, ep] of endpoints) {
      const ns = await env.newNamespace(`hostile-${mode}`);
      namespaces.push(ns);
      const tenant = await Tenant.of(env, ns);
      await applyCredentials(env.kc, ns, 'own-om', { publicKey: 'HOSTILEK', privateKey: '00000000-0000-0000-0000-000000000000', 'ca.crt': tls.caPem });
      await applyNamespacedConnection(env.kc, ns, 'own', { baseUrl: ep.url, credentialsSecretRef: { name: 'own-om' }, caSecretRef: { name: 'own-om' } });
      for (let i = 0; i < KEYS[mode]; i++) {
        await tenant.createKey(`k${i}`, { orgId: sim!.orgId, roles: ['ORG_READ_ONLY'], connectionRef: { kind: 'OpsManagerConnection', name: 'own' } });
      }
    }
    const slow = endpoints.get('slow')!;
    await waitFor('the slow server holding a full share of requests', () => Promise.resolve(slow.inFlight >= NAMESPACED_SHARE), 60_000, 100);
    await waitFor('every hostile server asked', () => Promise.resolve([...endpoints.values()].every((ep) => ep.requests > 0)), 60_000, 100);

    // Meanwhile, two teams on the admin's connection.
    const good: Array<[string, string]> = [];
    for (const team of ['team-a', 'team-b']) {
      const ns = await env.newNamespace(`hostile-${team}`);
      namespaces.push(ns);
      for (let i = 0; i < 3; i++) {
        await kube.createKey(ns, `k${i}`, { orgId: sim!.orgId, roles: ['ORG_READ_ONLY'] });
        good.push([ns, `k${i}`]);
      }
    }
    for (const [ns, name] of good) await kube.waitForReady(ns, name, 60_000);
    expect(slow.inFlight, 'the slow server still held requests while they became Ready').to.be.greaterThan(0);
    expect(slow.peakInFlight, 'the slow server never held more than the share').to.be.at.most(NAMESPACED_SHARE);

    // The keys through the answering servers say why, in bounded words; none is Ready.
    for (const mode of ['huge', 'pages', 'retry'] as const) {
      const ns = namespaces[Object.keys(KEYS).indexOf(mode)]!;
      for (let i = 0; i < KEYS[mode]; i++) {
        const obj = await waitFor(`${ns}/k${i} refused`, async () => {
          const k = await kube.getKey(ns, `k${i}`);
          const c = k?.status?.conditions?.find((x) => x.type === 'Ready');
          return c?.status === 'False' && c.reason !== 'Progressing' ? c : undefined;
        }, 60_000, 200);
        expect(obj.message.length, `${mode} ${obj.reason}`).to.be.at.most(MAX_MESSAGE);
      }
    }
    const huge = endpoints.get('huge')!;
    expect(huge.largestAnswerBytes, 'bytes of the 400 MB answer that got out before the operator stopped reading').to.be.below(32 * 1024 * 1024);
    expect(endpoints.get('pages')!.highestPage, 'pages followed').to.be.at.most(50);
    expect(endpoints.get('retry')!.requests, 'calls sent into a Retry-After of ten hours').to.be.at.most(KEYS.retry + 2);

    // Alive, never restarted, and within the pod's memory.
    expect(op!.exitCode).to.equal(null);
    expect(op!.pid).to.equal(pid);
    expect(op!.restarts).to.equal(0);
    const peak = peakRssMiB(pid);
    console.log(`    peak RSS ${peak.toFixed(1)} MiB of the chart's ${limitMiB} MiB${cgroup ? `; cgroup peak ${cgroup.stats().peakMiB} MiB` : ''}`);
    expect(peak).to.be.below(limitMiB);
    if (cgroup) expect(cgroup.stats().oomKills, 'OOM kills in the cgroup').to.equal(0);
  });
});
