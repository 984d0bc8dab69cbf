import { expect } from 'chai';
import { GROUP, OPS_MANAGER_API_KEY_PLURAL, VERSION, type OpsManagerApiKey } from '../../../src/api/types.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import type { ApiKey } from '../../../tools/opsmanager-sim/state.ts';
import { digestGet } from '../support/digest-probe.ts';
import type { Kube } from '../support/kube.ts';
import type { Suite } from '../support/suite.ts';
import { isPendingTagOf } from '../../../src/controllers/opsmanagerapikey/pending-tag.ts';

export const PENDING_PREFIX = 'omkeys-pending:';

/** Every simulator key that belongs to a resource: the one its Secret names, or any carrying its description or pending tag. */
export function keysOfResource(sim: SimHandle, obj: OpsManagerApiKey, secretKeyId?: string): ApiKey[] {
  const desc = obj.spec.description ?? `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  return [...sim.state.apiKeys.values()].filter((k) => k.id === secretKeyId || k.desc === desc || isPendingTagOf(k.desc, obj.metadata.uid));
}

export function pendingKeys(sim: SimHandle): ApiKey[] {
  return [...sim.state.apiKeys.values()].filter((k) => k.desc.startsWith(PENDING_PREFIX));
}

/**
 * The crash-safety invariant: the resource is Ready, exactly one live key in Ops Manager is
 * its own (the one its Secret names), nothing tagged pending remains, and the pair in the
 * Secret authenticates (Digest, with a client independent of the operator's).
 */
export async function expectOneLiveKey(s: Suite, ns: string, name: string, timeoutMs = 60_000): Promise<{ obj: OpsManagerApiKey; data: Record<string, string> }> {
  const { kube, sim } = s;
  await kube.waitForReady(ns, name, timeoutMs);
  // Judged on one fresh read of both, once settled: Ready, the Secret and status naming the same
  // key, and that key carrying its real description (the last step of a create).
  let obj: OpsManagerApiKey | undefined;
  let final: Record<string, string> = {};
  const settled = async (): Promise<boolean> => {
    obj = await kube.getKey(ns, name);
    final = (await kube.secretData(ns, name)) ?? {};
    const ready = obj?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === obj?.metadata.generation);
    return !!(ready && final.keyId && obj?.status?.keyId === final.keyId && sim.state.apiKeys.get(final.keyId)?.desc === `${ns}/${name}` && keysOfResource(sim, obj, final.keyId).length === 1);
  };
  await waitFor(`${ns}/${name} settled`, settled, timeoutMs).catch(() => undefined);
  if (!obj) throw new Error(`${ns}/${name} not found`);
  const keyId = final.keyId ?? '';
  expect(keyId, 'Secret names a key').to.not.equal('');
  if (final.privateKey) s.privateKeys.add(final.privateKey);
  expect(obj.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
  expect(obj.status?.keyId, 'status names the Secret\'s key').to.equal(keyId);
  const mine = keysOfResource(sim, obj, keyId).map((k) => k.id);
  expect(mine, `keys of ${ns}/${name} in Ops Manager`).to.deep.equal([keyId]);
  expect(pendingKeys(sim).filter((k) => isPendingTagOf(k.desc, obj?.metadata.uid)), 'keys still tagged pending').to.deep.equal([]);
  const orgId = final.orgId ?? sim.state.apiKeys.get(keyId)?.orgId ?? '';
  // A project key may read its project's keys, an org key itself.
  const probe = final.projectId ? `/groups/${final.projectId}/apiKeys` : `/orgs/${orgId}/apiKeys/${keyId}`;
  const res = await digestGet(`${sim.url}/api/public/v1.0${probe}`, final.publicKey ?? '', final.privateKey ?? '');
  expect(res.status, 'the Secret pair authenticates').to.equal(200);
  return { obj, data: final };
}

export async function waitForEvent(kube: Kube, ns: string, name: string, reason: string, timeoutMs = 30_000): Promise<{ type: string; reason: string; note: string }> {
  return waitFor(`Event ${reason} on ${ns}/${name}`, async () => (await kube.eventsFor(ns, name)).find((e) => e.reason === reason), timeoutMs);
}

export function totalRequests(sim: SimHandle): number {
  return sim.stats.list().reduce((n, r) => n + r.count, 0);
}

/** How many requests reach Ops Manager in a quiet window: a failing resource must back off, not loop. */
export async function requestsDuring(sim: SimHandle, windowMs: number): Promise<number> {
  sim.stats.reset();
  await new Promise((r) => setTimeout(r, windowMs));
  return totalRequests(sim);
}

/** Reconcile attempts that failed for one resource, as the operator's controller logs them. */
function failedAttempts(log: string, ns: string, name: string): number {
  const me = `"namespace":"${ns}","name":"${name}"`;
  return log.split('\n').filter((l) => l.includes(me) && /"msg":"reconcile failed(;| terminally)/.test(l)).length;
}

const QUIET_WINDOW_MS = 3_000;
/**
 * A hot loop retries hundreds of times a second. With backoff a failing create is retried a
 * few times a second at first (each attempt writes status twice, and those echoes re-queue it),
 * then less and less.
 */
const MAX_ATTEMPTS_IN_WINDOW = 20;
/** All of Ops Manager's traffic (leftovers of other tests included): generous, catches only a hot loop. */
const MAX_REQUESTS_IN_WINDOW = 300;

/**
 * The resource is stuck with `reason` on Ready and on its detail condition, says so in a
 * Warning Event, and then stays quiet: it is retried with backoff (few failed attempts in a
 * window), Ops Manager is not flooded, and the reason holds. Returns the detail condition's
 * message.
 */
export async function expectBackedOff(s: Suite, ns: string, name: string, reason: string): Promise<string> {
  const { kube, sim, op } = s;
  const obj = await kube.waitForKeyCondition(ns, name, 'Ready', 'False', reason, 45_000);
  const detail = obj.status?.conditions?.find((c) => c.type !== 'Ready' && c.status === 'False');
  expect(detail?.reason).to.equal(reason);
  const ev = await waitForEvent(kube, ns, name, reason);
  expect(ev.type).to.equal('Warning');
  const attemptsBefore = failedAttempts(op.logText(), ns, name);
  const n = await requestsDuring(sim, QUIET_WINDOW_MS);
  const attemptsAfter = failedAttempts(op.logText(), ns, name);
  const attempts = attemptsAfter - attemptsBefore;
  expect(attempts, `failed reconciles of ${ns}/${name} in ${QUIET_WINDOW_MS} ms`).to.be.at.most(MAX_ATTEMPTS_IN_WINDOW);
  expect(n, `requests to Ops Manager in ${QUIET_WINDOW_MS} ms`).to.be.at.most(MAX_REQUESTS_IN_WINDOW);
  expect(attemptsAfter, 'failed reconciles are logged (else the count above proves nothing)').to.be.greaterThan(0);
  const later = await kube.getKey(ns, name);
  expect(later?.status?.conditions?.find((c) => c.type === 'Ready')?.reason).to.equal(reason);
  return detail?.message ?? '';
}

/**
 * Deletes a test's resources while its operator and simulator still run, so that no finalizer
 * outlives them and later suites (with another simulator) see no leftovers; a finalizer that
 * cannot complete is stripped.
 */
async function removeKeys(kube: Kube, ns: string): Promise<void> {
  const api = { group: GROUP, version: VERSION, namespace: ns, plural: OPS_MANAGER_API_KEY_PLURAL };
  const names = async (): Promise<string[]> => ((await kube.custom.listNamespacedCustomObject(api)) as { items: OpsManagerApiKey[] }).items.map((o) => o.metadata.name ?? '');
  for (const name of await names()) await kube.deleteKey(ns, name).catch(() => undefined);
  const gone = await waitFor(`resources of ${ns} to go`, async () => (await names()).length === 0, 20_000).catch(() => false);
  if (gone) return;
  for (const name of await names()) {
    await kube.custom.patchNamespacedCustomObject({ ...api, name, body: [{ op: 'replace', path: '/metadata/finalizers', value: [] }] }).catch(() => undefined);
  }
}

/**
 * Collects, per test, the Events and OpsManagerApiKey objects of the namespaces it used (they
 * are deleted after each test), and every private key the simulator ever minted, so that a
 * final test can scan all of it together with the operator's log.
 */
/**
 * A reused keep-alive connection the API server closed as the request went out fails with
 * "socket hang up" or ECONNRESET (seen once in a fresh-clone run, in this clean-up): the request
 * is sent again, once. Any other failure, or a second one, is the test's.
 */
async function onceMore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const text = `${(err as { code?: string }).code ?? ''} ${(err as Error).message}`;
    if (!/socket hang up|ECONNRESET/.test(text)) throw err;
    return call();
  }
}

export function useLeakScan(s: () => Suite): { track(ns: string): string; itScans(): void } {
  const namespaces: string[] = [];
  const texts: string[] = [];
  before(() => {
    const { sim } = s();
    const keys = sim.state.apiKeys;
    const set = keys.set.bind(keys);
    for (const k of keys.values()) s().privateKeys.add(k.privateKey);
    keys.set = (id: string, key: ApiKey) => {
      s().privateKeys.add(key.privateKey);
      return set(id, key);
    };
  });
  afterEach(async function () {
    this.timeout(60_000);
    const { kube } = s();
    for (const ns of namespaces.splice(0)) {
      texts.push(await onceMore(() => kube.allEventsText(ns)));
      const list: unknown = await onceMore(() => kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: OPS_MANAGER_API_KEY_PLURAL }));
      texts.push(JSON.stringify(list));
      await onceMore(() => removeKeys(kube, ns));
    }
  });
  return {
    track(ns: string): string {
      namespaces.push(ns);
      return ns;
    },
    itScans(): void {
      it('leaks no private key into the operator log, Events or status', () => {
        const { op, privateKeys } = s();
        const log = op.logText();
        expect(privateKeys.size, 'private keys seen').to.be.greaterThan(1);
        expect(texts.length, 'captured Events and objects').to.be.greaterThan(0);
        expect(log.length).to.be.greaterThan(0);
        const leaks: string[] = [];
        for (const pk of privateKeys) {
          if (log.includes(pk)) leaks.push(`log: ${pk.slice(0, 6)}…`);
          if (texts.some((t) => t.includes(pk))) leaks.push(`Events/status: ${pk.slice(0, 6)}…`);
        }
        expect(leaks).to.deep.equal([]);
      });
    },
  };
}
