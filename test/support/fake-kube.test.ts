import { expect } from 'chai';
import type { V1Secret } from '@kubernetes/client-node';
import type { OpsManagerApiKey } from '../../src/api/types.ts';
import { isConflict, isNotFound } from '../../src/kube/api-errors.ts';
import { FencedError } from './fake-kube-errors.ts';
import { FakeKube, type KubeObject } from './fake-kube.ts';
import { RecordingEvents } from './recording-events.ts';

const key = (name: string, ns = 'a'): KubeObject => ({
  apiVersion: 'omkeys.io/v1alpha1',
  kind: 'OpsManagerApiKey',
  metadata: { name, namespace: ns },
  spec: { orgId: 'o', roles: ['ORG_READ_ONLY'] },
  status: { keyId: 'ignored' },
});

const secretOf = (owner: KubeObject, name = owner.metadata?.name ?? ''): V1Secret => ({
  metadata: { name, namespace: owner.metadata?.namespace, labels: { mine: 'x' }, ownerReferences: [{ apiVersion: 'v1', kind: 'OpsManagerApiKey', name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true }] },
  data: { a: 'MQ==' },
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('FakeKube', () => {
  it('assigns uid, resourceVersion and generation; drops status on create; 409 on a duplicate name', () => {
    const kube = new FakeKube();
    const k = kube.create('OpsManagerApiKey', key('k'));
    expect(k.metadata?.uid).to.be.a('string');
    expect(k.metadata?.generation).to.equal(1);
    expect(k.status).to.equal(undefined);
    expect((k.spec as { deletionPolicy?: string }).deletionPolicy).to.equal('Delete');
    expect(isConflict(catchSync(() => kube.create('OpsManagerApiKey', key('k'))))).to.equal(true);
  });

  it('replace bumps generation on spec changes only and ignores status; replaceStatus changes status only', async () => {
    const kube = new FakeKube();
    const keys = kube.keys();
    const k = kube.create('OpsManagerApiKey', key('k'));
    const r1 = await keys.replace({ ...(k as unknown as OpsManagerApiKey), metadata: { ...k.metadata, labels: { l: '1' } }, status: { keyId: 'x' } });
    expect(r1.metadata.generation).to.equal(1);
    expect(r1.status).to.equal(undefined);
    const r2 = await keys.replace({ ...r1, spec: { ...r1.spec, roles: ['ORG_MEMBER'] } });
    expect(r2.metadata.generation).to.equal(2);
    const r3 = await keys.replaceStatus({ ...r2, spec: { ...r2.spec, roles: ['ORG_OWNER'] }, status: { keyId: 'id-1' } });
    expect(r3.status?.keyId).to.equal('id-1');
    expect(r3.spec.roles).to.deep.equal(['ORG_MEMBER']);
    expect(isConflict(await rejection(keys.replaceStatus({ ...r2, status: {} })))).to.equal(true);
    expect(isNotFound(await rejection(keys.get('a', 'nope')))).to.equal(true);
    expect(kube.writes.map((w) => `${w.by} ${w.verb} ${w.kind} ${w.namespace}/${w.name}`)).to.deep.equal([
      'user create OpsManagerApiKey a/k',
      'operator replace OpsManagerApiKey a/k',
      'operator replace OpsManagerApiKey a/k',
      'operator replaceStatus OpsManagerApiKey a/k',
    ]);
  });

  it('holds a deleted object with finalizers until the last one goes, then collects its Secrets', async () => {
    const kube = new FakeKube();
    const k = kube.create('OpsManagerApiKey', { ...key('k'), metadata: { name: 'k', namespace: 'a', finalizers: ['f'] } });
    await kube.secrets().create(secretOf(k));
    kube.delete('OpsManagerApiKey', 'a', 'k');
    const deleting = kube.get('OpsManagerApiKey', 'a', 'k');
    expect(deleting?.metadata?.deletionTimestamp).to.be.a('string');
    expect(deleting?.metadata?.generation).to.equal(2);
    expect(isUnprocessable(await rejection(kube.keys().replace({ ...(deleting as unknown as OpsManagerApiKey), metadata: { ...deleting?.metadata, finalizers: ['f', 'g'] } })))).to.equal(true);
    await kube.keys().replace({ ...(deleting as unknown as OpsManagerApiKey), metadata: { ...deleting?.metadata, finalizers: [] } });
    expect(kube.get('OpsManagerApiKey', 'a', 'k')).to.equal(undefined);
    expect(await kube.secrets().get('a', 'k')).to.equal(undefined);
  });

  it('Secret update keeps foreign labels and uses the current resourceVersion', async () => {
    const kube = new FakeKube();
    const k = kube.create('OpsManagerApiKey', key('k'));
    const s = await kube.secrets().create(secretOf(k));
    const updated = await kube.secrets().update(s, { ...secretOf(k), metadata: { ...secretOf(k).metadata, labels: { ours: 'y' } }, data: { b: 'Mg==' } });
    expect(updated.metadata?.labels).to.deep.equal({ mine: 'x', ours: 'y' });
    expect(updated.data).to.deep.equal({ b: 'Mg==' });
    expect(isConflict(await rejection(kube.secrets().update(s, secretOf(k))))).to.equal(true);
  });

  it('deletes a namespace: refuses creates while it terminates, and forgets it once empty', async () => {
    const kube = new FakeKube();
    const k = kube.create('OpsManagerApiKey', { ...key('k'), metadata: { name: 'k', namespace: 'a', finalizers: ['f'] } });
    kube.create('ProjectKeyBinding', { metadata: { name: 'b', namespace: 'a' }, spec: {} });
    kube.deleteNamespace('a');
    expect(kube.get('ProjectKeyBinding', 'a', 'b')).to.equal(undefined);
    expect(kube.isTerminating('a')).to.equal(true);
    expect(httpCode(await rejection(kube.secrets().create(secretOf(k))))).to.equal(403);
    const cur = kube.get('OpsManagerApiKey', 'a', 'k');
    await kube.keys().replace({ ...(cur as unknown as OpsManagerApiKey), metadata: { ...cur?.metadata, finalizers: [] } });
    expect(kube.isTerminating('a')).to.equal(false);
    kube.create('OpsManagerApiKey', key('k'));
  });

  it('fences the adapters of a crashed instance and replays objects to new listeners', async () => {
    const kube = new FakeKube();
    const old = kube.keys();
    const k = kube.create('OpsManagerApiKey', key('k'));
    kube.fence();
    expect(await rejection(old.replace(k as unknown as OpsManagerApiKey))).to.be.instanceOf(FencedError);
    await kube.keys().replace(k as unknown as OpsManagerApiKey);
    const seen: string[] = [];
    kube.onChange('OpsManagerApiKey', (o, change) => seen.push(`${change} ${o.metadata?.name ?? ''}`));
    kube.delete('OpsManagerApiKey', 'a', 'k');
    expect(seen).to.deep.equal(['add k', 'delete k']);
    const events = new RecordingEvents();
    await events.record(k, 'Normal', 'R', 'm');
    expect(events.events).to.deep.equal([{ namespace: 'a', name: 'k', uid: k.metadata?.uid, type: 'Normal', reason: 'R', message: 'm' }]);
  });
});

function catchSync(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function httpCode(err: unknown): unknown {
  return (err as { code?: unknown }).code;
}

function isUnprocessable(err: unknown): boolean {
  return httpCode(err) === 422;
}
