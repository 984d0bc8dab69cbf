import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import type { OpsManagerApiKeyStatus } from '../../src/api/types.ts';
import { countTally, watchKeyMetrics } from '../../src/operator/key-metrics.ts';
import { createMetrics, REPLACE_REASONS, type Metrics } from '../../src/runtime/metrics.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { fakeInformer, type FakeListWatch } from '../runtime/fake-list-watch.ts';

const T0 = '2026-11-28T12:00:00Z';
const T1 = '2026-12-28T12:00:00Z';
const T2 = '2026-11-28T12:10:00Z';
const secs = (iso: string): number => Date.parse(iso) / 1000;

function omkey(namespace: string, name: string, status?: OpsManagerApiKeyStatus, rv = '1'): KubernetesObject {
  return {
    apiVersion: 'omkeys.io/v1alpha1',
    kind: 'OpsManagerApiKey',
    metadata: { namespace, name, resourceVersion: rv },
    spec: { orgId: '5f0c3b7c2e9a1b0001a1b2c3', roles: ['ORG_READ_ONLY'] },
    ...(status ? { status } : {}),
  } as KubernetesObject;
}

const ready = (s: 'True' | 'False'): OpsManagerApiKeyStatus['conditions'] => [{ type: 'Ready', status: s, reason: s === 'True' ? 'Provisioned' : 'Progressing', message: '', lastTransitionTime: T0 }];

/** Every per-key series in the registry, as `metric{namespace/name} value`, sorted. */
async function perKeySeries(registry: Registry): Promise<string[]> {
  const out: string[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    if (!m.name.startsWith('omkeys_key_')) continue;
    for (const v of m.values) out.push(`${m.name}{${String(v.labels.namespace)}/${String(v.labels.name)}} ${v.value}`);
  }
  return out.sort();
}

describe('per-key metrics from the OpsManagerApiKey informer', () => {
  let registry: Registry;
  let metrics: Metrics;
  let lw: FakeListWatch<KubernetesObject>;

  beforeEach(async () => {
    registry = new Registry();
    metrics = createMetrics(registry);
    const f = fakeInformer<KubernetesObject>(new FakeClock(), 'omkeys');
    lw = f.lw;
    watchKeyMetrics({ informer: f.informer, metrics, inScope: (ns) => ns !== 'elsewhere' });
    await f.informer.start();
  });

  it('a new resource without status: not ready, no times', async () => {
    lw.emit('add', omkey('team-a', 'k'));
    expect(await perKeySeries(registry)).to.deep.equal(['omkeys_key_ready{team-a/k} 0']);
  });

  it('follows the status: Ready, created, next rotation and grace revoke times in Unix seconds', async () => {
    lw.emit('add', omkey('team-a', 'k', { conditions: ready('False') }));
    lw.emit('update', omkey('team-a', 'k', { conditions: ready('True'), rotatedAt: T0, nextRotationAt: T1, previousKeyRevokeAt: T2 }, '2'));
    expect(await perKeySeries(registry)).to.deep.equal([
      `omkeys_key_created_timestamp_seconds{team-a/k} ${secs(T0)}`,
      `omkeys_key_grace_revoke_timestamp_seconds{team-a/k} ${secs(T2)}`,
      `omkeys_key_next_rotation_timestamp_seconds{team-a/k} ${secs(T1)}`,
      'omkeys_key_ready{team-a/k} 1',
    ]);
  });

  it('a stalled key has omkeys_key_stalled 1 while Stalled is True, no series once it is not', async () => {
    const stalled = [...(ready('False') ?? []), { type: 'Stalled', status: 'True' as const, reason: 'PolicyDenied', message: '', lastTransitionTime: T0 }];
    lw.emit('add', omkey('team-a', 'k', { conditions: stalled }));
    expect(await perKeySeries(registry)).to.deep.equal(['omkeys_key_ready{team-a/k} 0', 'omkeys_key_stalled{team-a/k} 1']);
    lw.emit('update', omkey('team-a', 'k', { conditions: ready('True') }, '2'));
    expect(await perKeySeries(registry)).to.deep.equal(['omkeys_key_ready{team-a/k} 1']);
  });

  it('drops a time the status no longer holds (grace period over, rotation removed)', async () => {
    lw.emit('add', omkey('team-a', 'k', { conditions: ready('True'), rotatedAt: T0, nextRotationAt: T1, previousKeyRevokeAt: T2 }));
    lw.emit('update', omkey('team-a', 'k', { conditions: ready('True'), rotatedAt: T0, nextRotationAt: 'not a time' }, '2'));
    expect(await perKeySeries(registry)).to.deep.equal([`omkeys_key_created_timestamp_seconds{team-a/k} ${secs(T0)}`, 'omkeys_key_ready{team-a/k} 1']);
  });

  it('removes every series of a deleted resource and keeps the others', async () => {
    lw.emit('add', omkey('team-a', 'k', { conditions: ready('True'), rotatedAt: T0, nextRotationAt: T1, previousKeyRevokeAt: T2 }));
    lw.emit('add', omkey('team-b', 'k', { conditions: ready('True'), rotatedAt: T0 }));
    lw.emit('delete', omkey('team-a', 'k', undefined, '3'));
    expect(await perKeySeries(registry)).to.deep.equal([`omkeys_key_created_timestamp_seconds{team-b/k} ${secs(T0)}`, 'omkeys_key_ready{team-b/k} 1']);
  });

  it('ignores resources outside the watched namespaces', async () => {
    lw.emit('add', omkey('elsewhere', 'k', { conditions: ready('True'), rotatedAt: T0 }));
    expect(await perKeySeries(registry)).to.deep.equal([]);
  });

  it('labels are the namespace and name only, whatever the status holds', async () => {
    lw.emit('add', omkey('team-a', 'k', { conditions: ready('True'), rotatedAt: T0, keyId: 'key-1', publicKey: 'abcdefgh', secretName: 's' }));
    for (const m of await registry.getMetricsAsJSON()) {
      for (const v of m.values) if (m.name.startsWith('omkeys_key_')) expect(Object.keys(v.labels).sort()).to.deep.equal(['name', 'namespace']);
    }
  });
});

describe('counters of what act carried out', () => {
  async function counts(registry: Registry): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of await registry.getMetricsAsJSON()) {
      if (!/^omkeys_keys_/.test(m.name)) continue;
      for (const v of m.values) out[`${m.name}${v.labels.reason ? `{${String(v.labels.reason)}}` : ''}`] = v.value;
    }
    return out;
  }

  it('start at zero, every replacement reason included (on_demand too)', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const c = await counts(registry);
    expect(c).to.deep.equal({
      omkeys_keys_created_total: 0,
      omkeys_keys_orphans_swept_total: 0,
      ...Object.fromEntries(REPLACE_REASONS.map((r) => [`omkeys_keys_replaced_total{${r}}`, 0])),
    });
  });

  it('a first key counts as created, a replacement by its reason, an orphan as swept', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    countTally(metrics, { kind: 'KeyMinted', why: 'Initial' });
    countTally(metrics, { kind: 'KeyMinted', why: 'SecretDeleted' });
    countTally(metrics, { kind: 'KeyMinted', why: 'PairEdited' });
    countTally(metrics, { kind: 'KeyMinted', why: 'KeyDeletedInOpsManager' });
    countTally(metrics, { kind: 'KeyMinted', why: 'Rotation' });
    countTally(metrics, { kind: 'KeyMinted', why: 'Rotation' });
    countTally(metrics, { kind: 'OrphanDeleted' });
    expect(await counts(registry)).to.deep.equal({
      omkeys_keys_created_total: 1,
      omkeys_keys_orphans_swept_total: 1,
      'omkeys_keys_replaced_total{secret_lost}': 1,
      'omkeys_keys_replaced_total{pair_edited}': 1,
      'omkeys_keys_replaced_total{deleted_in_opsmanager}': 1,
      'omkeys_keys_replaced_total{rotation}': 2,
      'omkeys_keys_replaced_total{on_demand}': 0,
    });
  });
});
