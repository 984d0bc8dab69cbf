import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { waitFor } from '../../../tools/envtest/process.ts';
import { parsePromText, sampleValue, samples, type Family } from '../../runtime/prom-text.ts';
import { useOperator } from '../support/suite.ts';

type Families = Map<string, Family>;
const CONTROLLERS = ['opsmanagerapikey', 'projectkeybinding'];
const PER_KEY = ['omkeys_key_ready', 'omkeys_key_created_timestamp_seconds', 'omkeys_key_next_rotation_timestamp_seconds', 'omkeys_key_grace_revoke_timestamp_seconds'];
const secs = (iso: string | undefined): number => Date.parse(iso ?? '') / 1000;

describe('metrics: /metrics of a running operator, scraped over HTTP and parsed strictly', function () {
  this.timeout(120_000);
  // Its own namespace only: other suites' namespaces may still be finishing their clean-up, and
  // an operator watching them would count their reconciles in the series checked at zero.
  const NS = `metrics-${randomBytes(3).toString('hex')}`;
  const s = useOperator({ env: { OMKEYS_NAMESPACES: NS } });
  /** Every scrape's text, checked at the end for private keys. */
  const scraped: string[] = [];
  /** Every private key the simulator ever held (deleted keys too) and the operator's own. */
  const privateKeys = new Set<string>();
  before(() => {
    const { sim } = s();
    privateKeys.add(sim.admin.privateKey);
    const keys = sim.state.apiKeys;
    for (const k of keys.values()) privateKeys.add(k.privateKey);
    const set = keys.set.bind(keys);
    keys.set = (id, key) => {
      privateKeys.add(key.privateKey);
      return set(id, key);
    };
  });

  async function scrape(): Promise<Families> {
    const res = await fetch(`${s().op.httpUrl}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type') ?? '').to.match(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    scraped.push(text);
    return parsePromText(text);
  }

  /** Scrapes until `check` holds (the gauges follow the informer, a moment after the API server). */
  async function scrapeUntil(what: string, check: (f: Families) => boolean): Promise<Families> {
    let last: Families = new Map();
    try {
      return await waitFor(what, async () => {
        last = await scrape();
        return check(last) ? last : undefined;
      }, 30_000, 200);
    } catch (err) {
      const shown = [...last.values()].filter((f) => f.name.startsWith('omkeys_key')).flatMap((f) => f.samples.map((x) => `${x.name}${JSON.stringify(x.labels)} ${x.value}`));
      throw new Error(`${(err as Error).message}; omkeys_key* series last scraped:\n${shown.join('\n')}`);
    }
  }

  const count = (f: Families, name: string, labels: Record<string, string> = {}): number => sampleValue(f, name, labels) ?? NaN;
  const perKey = (f: Families, namespace: string, name: string): string[] => PER_KEY.filter((m) => sampleValue(f, m, { namespace, name }) !== undefined);

  it('right after start: reconcile totals, errors and queue depth at zero for both controllers, every counter at zero', async () => {
    const f = await scrape();
    for (const controller of CONTROLLERS) {
      for (const result of ['success', 'requeue', 'error', 'terminal']) {
        expect(sampleValue(f, 'omkeys_reconcile_total', { controller, result }), `${controller} ${result}`).to.be.a('number');
      }
      for (const code of ['TRANSIENT', 'TERMINAL']) expect(sampleValue(f, 'omkeys_reconcile_errors_total', { controller, code }), `${controller} ${code}`).to.equal(0);
      expect(sampleValue(f, 'omkeys_workqueue_depth', { controller }), `${controller} queue depth`).to.be.a('number');
      expect(sampleValue(f, 'omkeys_reconcile_duration_seconds_count', { controller }), `${controller} duration`).to.be.a('number');
    }
    // This suite's operator is new and its namespaces are empty: nothing created or replaced yet.
    expect(count(f, 'omkeys_keys_created_total')).to.equal(0);
    expect(count(f, 'omkeys_keys_orphans_swept_total')).to.equal(0);
    for (const reason of ['secret_lost', 'pair_edited', 'deleted_in_opsmanager', 'rotation', 'on_demand']) {
      expect(count(f, 'omkeys_keys_replaced_total', { reason }), reason).to.equal(0);
    }
    expect(f.get('omkeys_keys_replaced_total')?.type).to.equal('counter');
    expect(f.get('omkeys_key_ready')?.type).to.equal('gauge');
    expect(sampleValue(f, 'omkeys_leader')).to.equal(1);
  });

  it('per key and per create: ready, times, created and replaced counters; series gone with the resource', async () => {
    const { kube, sim, env } = s();
    const ns = await env.newNamespace('metrics', NS);
    const before = await scrape();
    const created0 = count(before, 'omkeys_keys_created_total');
    await kube.createKey(ns, 'rotating', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'], rotation: { every: '720h', gracePeriod: '1h' } });
    await kube.createKey(ns, 'plain', { orgId: sim.orgId, roles: ['ORG_READ_ONLY'] });
    const rotating = await kube.waitForReady(ns, 'rotating');
    const plain = await kube.waitForReady(ns, 'plain');

    const f1 = await scrapeUntil('both keys ready in /metrics, two keys created', (f) =>
      count(f, 'omkeys_key_ready', { namespace: ns, name: 'rotating' }) === 1 &&
      count(f, 'omkeys_key_ready', { namespace: ns, name: 'plain' }) === 1 &&
      count(f, 'omkeys_keys_created_total') === created0 + 2,
    );
    expect(count(f1, 'omkeys_key_created_timestamp_seconds', { namespace: ns, name: 'rotating' })).to.equal(secs(rotating.status?.rotatedAt));
    expect(count(f1, 'omkeys_key_next_rotation_timestamp_seconds', { namespace: ns, name: 'rotating' })).to.equal(secs(rotating.status?.nextRotationAt));
    expect(count(f1, 'omkeys_key_next_rotation_timestamp_seconds', { namespace: ns, name: 'rotating' }) - count(f1, 'omkeys_key_created_timestamp_seconds', { namespace: ns, name: 'rotating' })).to.equal(720 * 3600);
    expect(count(f1, 'omkeys_key_created_timestamp_seconds', { namespace: ns, name: 'plain' })).to.equal(secs(plain.status?.rotatedAt));
    expect(perKey(f1, ns, 'plain'), 'no rotation, no grace key: ready and created time only').to.deep.equal(['omkeys_key_ready', 'omkeys_key_created_timestamp_seconds']);
    const creates = samples(f1, 'omkeys_opsmanager_requests_total', { route: '/orgs/{orgId}/apiKeys', method: 'POST' }).filter((x) => /^2\d\d$/.test(x.labels.status ?? ''));
    expect(creates.reduce((n, x) => n + x.value, 0), 'Ops Manager creates by route and status').to.be.at.least(2);

    // The Secret goes: the key is replaced, counted by its reason; a replacement is not a create.
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: 'plain' });
    const f2 = await scrapeUntil('replaced{reason="secret_lost"} 1, ready again', (f) =>
      count(f, 'omkeys_keys_replaced_total', { reason: 'secret_lost' }) === 1 && count(f, 'omkeys_key_ready', { namespace: ns, name: 'plain' }) === 1,
    );
    expect(count(f2, 'omkeys_keys_created_total')).to.equal(created0 + 2);
    for (const reason of ['pair_edited', 'deleted_in_opsmanager', 'rotation', 'on_demand']) expect(count(f2, 'omkeys_keys_replaced_total', { reason }), reason).to.equal(0);

    // The resource goes: every one of its series goes too, the other key's stay.
    await kube.deleteKey(ns, 'rotating');
    await waitFor('rotating deleted', async () => (await kube.getKey(ns, 'rotating')) === undefined, 30_000);
    const f3 = await scrapeUntil('the deleted key has no series left', (f) => perKey(f, ns, 'rotating').length === 0);
    expect(perKey(f3, ns, 'plain')).to.deep.equal(['omkeys_key_ready', 'omkeys_key_created_timestamp_seconds']);
    await kube.deleteKey(ns, 'plain');
    await scrapeUntil('no series of the namespace', (f) => PER_KEY.every((m) => samples(f, m, { namespace: ns }).length === 0));

    // Per-key series carry the namespace and name only.
    for (const m of PER_KEY) for (const x of samples(f1, m)) expect(Object.keys(x.labels).sort(), m).to.deep.equal(['name', 'namespace']);
  });

  it('no private key in any label value or anywhere in what was scraped', () => {
    expect(privateKeys.size, 'private keys seen').to.be.greaterThan(3);
    expect(scraped.length).to.be.greaterThan(3);
    const leaks: string[] = [];
    for (const text of scraped) {
      const labelValues = [...parsePromText(text).values()].flatMap((f) => f.samples.flatMap((x) => Object.values(x.labels)));
      for (const pk of privateKeys) {
        if (labelValues.some((v) => v.includes(pk))) leaks.push(`label: ${pk.slice(0, 4)}…`);
        else if (text.includes(pk)) leaks.push(`text: ${pk.slice(0, 4)}…`);
      }
    }
    expect(leaks).to.deep.equal([]);
  });
});
