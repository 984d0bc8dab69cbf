import { expect } from 'chai';
import { decide } from '../../../src/controllers/opsmanagerapikey/decide.ts';
import type { Decision, Gathered, Plan } from '../../../src/controllers/opsmanagerapikey/plan.ts';
import { NOW, ORG, PROJECT, RECORDED, gathered, key, ours, remote, stepLines } from './fixtures.ts';
import { grantedAccess } from '../support/connection-fixtures.ts';

const ADOPTED = '65a1b2c3d4e5f60718293a4b';
const unread = { state: 'unread' } as const;
const absent = { state: 'absent' } as const;
const hourAgo = new Date(NOW.getTime() - 3_600_000).toISOString();
/** The rotate annotation with value `value`, and an open create-pending mark answering it. */
const marked = (value: string): Partial<Parameters<typeof key>[2]> => ({
  annotations: { 'omkeys.io/rotate': value, 'omkeys.io/create-pending': JSON.stringify({ id: 'm1', tag: 't', startedAt: hourAgo, rotationRequest: value, connection: 'ClusterOpsManagerConnection/om' }) },
});
const rotate = (value: string): Partial<Parameters<typeof key>[2]> => ({ annotations: { 'omkeys.io/rotate': value } });

function plan(d: Decision): Plan {
  if (d.kind !== 'act') throw new Error(`expected a plan, got reads ${d.reads.join(',')}`);
  return d.plan;
}

const adoptRead = (over: Partial<Extract<Gathered['adopt'], { state: 'read' }>> = {}): Gathered['adopt'] => ({
  state: 'read',
  key: remote({ id: ADOPTED, desc: 'made by hand', roles: ['ORG_MEMBER'] }),
  projectRoles: [{ projectId: PROJECT, roles: ['GROUP_READ_ONLY'] }],
  pair: { state: 'checked', valid: true, privateKey: 'priv-adopted' },
  ...over,
});
const adoptSpec = { adopt: { keyId: ADOPTED, privateKeySecretRef: { name: 'old', key: 'pk' } } };
const adoptLost = { adopt: { keyId: ADOPTED, rotate: true }, rotation: { every: '720h', gracePeriod: '1h' } };

const rows: Array<{ name: string; g: Gathered; steps: string[] }> = [
  { name: 'rotate now: a new annotation value rotates once, the Secret in one write, old key kept for no grace without rotation', g: gathered(key({}, { ...RECORDED }, rotate('r1'))), steps: ['PendingMark', 'StatusWrite', 'Event Rotating', 'Create org', 'SecretWrite', 'StatusWrite', 'KeyUpdate created desc=team-a/k', 'KeyDelete key-1', 'StatusWrite', 'Event KeyReplaced'] },
  { name: 'rotate now with a rotation spec keeps the old key for the grace period', g: gathered(key({ rotation: { every: '720h', gracePeriod: '1h' } }, { ...RECORDED, rotatedAt: hourAgo }, rotate('r1'))), steps: ['PendingMark', 'StatusWrite', 'Event Rotating', 'Create org', 'SecretWrite', 'StatusWrite', 'KeyUpdate created desc=team-a/k', 'StatusWrite', 'Event KeyReplaced'] },
  { name: 'the value handled last does not rotate again', g: gathered(key({}, { ...RECORDED, lastRotationRequest: 'r1' }, rotate('r1'))), steps: ['StatusWrite'] },
  { name: 'rotate now rests on live reads', g: gathered(key({}, { ...RECORDED }, rotate('r2')), { live: false }), steps: ['read live'] },
  { name: 'adopt: reads the key, the private key and the pair check first', g: gathered(key(adoptSpec), { secret: absent, adopt: unread }), steps: ['read adopt'] },
  {
    name: 'adopt with a good pair: the takeover recorded (Secret, status) before the key is made equal to the spec, then Ready',
    g: gathered(key(adoptSpec), { secret: absent, adopt: adoptRead() }),
    steps: ['SecretWrite', 'StatusWrite', 'Event KeyAdopted', 'KeyUpdate 65a1b2c3d4e5f60718293a4b desc=team-a/k roles=ORG_READ_ONLY', 'Event Updated', 'StatusWrite'],
  },
  { name: 'adopt: unknown key changes nothing', g: gathered(key(adoptSpec), { secret: absent, adopt: absent }), steps: ['StatusWrite', 'Event AdoptionKeyNotFound'] },
  { name: 'adopt: a wrong pair changes nothing', g: gathered(key(adoptSpec), { secret: absent, adopt: adoptRead({ pair: { state: 'checked', valid: false, privateKey: 'x' } }) }), steps: ['StatusWrite', 'Event AdoptionPairInvalid'] },
  { name: 'adopt: a missing private-key Secret changes nothing', g: gathered(key(adoptSpec), { secret: absent, adopt: adoptRead({ pair: { state: 'secretMissing' } }) }), steps: ['StatusWrite', 'Event AdoptionSecretInvalid'] },
  { name: 'adopt: a key another resource manages changes nothing', g: gathered(key(adoptSpec), { secret: absent, adopt: adoptRead(), adoptRivals: ['team-b/other'] }), steps: ['StatusWrite', 'Event AdoptionConflict'] },
  {
    name: 'adopt a key whose private key is lost: replaced at once, its project roles kept on the new key, the old one kept for the grace period',
    g: gathered(key(adoptLost), { secret: absent, adopt: adoptRead({ pair: undefined }), access: grantedAccess([ORG], [PROJECT], { adoption: 'Rotate' }) }),
    steps: ['PendingMark', 'StatusWrite', 'Create org', `ProjectAssign ${PROJECT} GROUP_READ_ONLY`, 'SecretWrite', 'StatusWrite', 'KeyUpdate created desc=team-a/k', 'StatusWrite', 'Event KeyReplaced'],
  },
  { name: 'once adopted (the Secret names the key) it is an ordinary key', g: gathered(key(adoptSpec, { keyId: ADOPTED }), { secret: ours({ keyId: ADOPTED }), remote: { state: 'present', key: remote({ id: ADOPTED }) } }), steps: ['StatusWrite'] },
  { name: 'adopt with rotate: true where the policy does not allow it: refused, nothing written to Ops Manager', g: gathered(key(adoptLost), { secret: absent, adopt: adoptRead({ pair: undefined }), access: grantedAccess([ORG], [PROJECT], { adoption: 'WithPrivateKey' }) }), steps: ['StatusWrite', 'Event PolicyDenied'] },
  { name: 'adopt the credential of another connection the operator knows (a cluster connection, through a namespace\'s own): refused', g: gathered(key(adoptSpec), { secret: absent, adopt: adoptRead({ isCredential: true }) }), steps: ['StatusWrite', 'Event AdoptionRefused'] },
  { name: 'adopt the credential of the connection itself: refused, whatever the proof', g: gathered(key(adoptSpec), { secret: absent, adopt: adoptRead({ key: remote({ id: ADOPTED, publicKey: 'opsmgrkey' }) }) }), steps: ['StatusWrite', 'Event AdoptionRefused'] },
  { name: 'adopt a key whose project roles the policy would not grant: refused', g: gathered(key(adoptSpec), { secret: absent, adopt: adoptRead(), access: grantedAccess([ORG], [PROJECT], { roles: ['ORG_READ_ONLY', 'ORG_MEMBER'] }) }), steps: ['StatusWrite', 'Event PolicyDenied'] },
  { name: 'adopt: a Secret already there (forged) does not stop the proof being asked', g: gathered(key(adoptSpec), { secret: ours({ keyId: ADOPTED }), adopt: unread }), steps: ['read adopt'] },
  {
    name: 'MongoDB operator ConfigMap: written with baseUrl, orgId and projectName',
    g: gathered(key({ opsManagerConfigMap: { name: 'om-project', projectName: 'my-rs' } }, { ...RECORDED })),
    steps: ['ConfigMapWrite', 'StatusWrite'],
  },
  {
    name: 'a ConfigMap of that name that is not ours is never taken over',
    g: gathered(key({ opsManagerConfigMap: { name: 'om-project', projectName: 'my-rs' } }), { configMap: { state: 'foreign' } }),
    steps: ['StatusWrite', 'Event ConfigMapConflict'],
  },
];

describe('omkey decide: rotation on request, adoption, the MongoDB operator ConfigMap', () => {
  for (const row of rows) {
    it(row.name, () => {
      expect(stepLines(decide(row.g))).to.deep.equal(row.steps);
    });
  }

  it('the rotation request is recorded with the pending mark and in the final status, never before the new pair is safe', () => {
    const p = plan(decide(gathered(key({}, { ...RECORDED }, rotate('r1')))));
    const mark = p.steps[0];
    if (mark?.kind !== 'PendingMark') throw new Error('no mark');
    expect(mark.mark.rotationRequest).to.equal('r1');
    const progress = p.steps[1];
    if (progress?.kind !== 'StatusWrite' || typeof progress.status === 'function') throw new Error('no status');
    expect(progress.status.lastRotationRequest).to.equal(undefined);
    expect(progress.status.conditions?.find((c) => c.type === 'KeyProvisioned')?.reason).to.equal('Rotating');
    const final = p.steps.findLast((s) => s.kind === 'StatusWrite');
    if (final?.kind !== 'StatusWrite' || typeof final.status !== 'function') throw new Error('no final status');
    expect(final.status({ id: 'n', publicKey: 'p', privateKey: 'x' }).lastRotationRequest).to.equal('r1');
  });

  it('a sweep after a crash that came after the Secret write records the request (it never rotates twice)', () => {
    const p = plan(decide(gathered(key({}, { ...RECORDED, previousKeyId: 'key-1' }, marked('r1')), { secret: ours({ keyId: 'new-1' }), pending: { state: 'read', keyIds: ['new-1'], holder: 'new-1' } })));
    const st = p.steps.find((s) => s.kind === 'StatusWrite');
    if (st?.kind !== 'StatusWrite' || typeof st.status === 'function') throw new Error('no status');
    expect(st.status.lastRotationRequest).to.equal('r1');
    expect(st.status.rotatedAt).to.equal(hourAgo);
    expect(st.status.previousKeyId).to.equal('key-1');
    expect(st.status.createSettled).to.equal(JSON.stringify({ id: 'm1', tag: 't', startedAt: hourAgo, rotationRequest: 'r1', connection: 'ClusterOpsManagerConnection/om' }));
  });

  it('a sweep that records a key still carrying the tag says Ready=False until the rename (a rotation kept it True)', () => {
    const ready = { type: 'Ready', status: 'True' as const, reason: 'Ready', message: 'ok', lastTransitionTime: hourAgo };
    const obj = key({}, { ...RECORDED, conditions: [ready] }, marked('r1'));
    const p = plan(decide(gathered(obj, { secret: ours({ keyId: 'new-1' }), pending: { state: 'read', keyIds: ['new-1'], holder: 'new-1' } })));
    const i = p.steps.findIndex((s) => s.kind === 'StatusWrite');
    const st = p.steps[i];
    if (st?.kind !== 'StatusWrite' || typeof st.status === 'function') throw new Error('no status');
    expect(st.status.keyId).to.equal('new-1');
    expect(st.status.conditions?.find((c) => c.type === 'Ready')).to.include({ status: 'False', reason: 'Progressing' });
    expect(p.steps[i + 1]).to.include({ kind: 'KeyUpdate', keyId: 'new-1' });
  });

  it('a sweep after a crash before the create leaves the request to be handled', () => {
    const p = plan(decide(gathered(key({}, { ...RECORDED, previousKeyId: 'key-1' }, marked('r1')), { pending: { state: 'read', keyIds: [] } })));
    const st = p.steps.find((s) => s.kind === 'StatusWrite');
    if (st?.kind !== 'StatusWrite' || typeof st.status === 'function') throw new Error('no status');
    expect(st.status.lastRotationRequest).to.equal(undefined);
    expect(st.status.previousKeyId).to.equal(undefined);
  });

  it('the ConfigMap holds what the MongoDB operator reads, owned by the resource', () => {
    const p = plan(decide(gathered(key({ orgId: undefined, projectId: PROJECT, roles: ['GROUP_READ_ONLY'], opsManagerConfigMap: { name: 'om-project' } }, { ...RECORDED }), { projectName: 'Project A' })));
    const cm = p.steps.find((s) => s.kind === 'ConfigMapWrite');
    if (cm?.kind !== 'ConfigMapWrite') throw new Error('no ConfigMap');
    expect(cm.desired.data).to.deep.equal({ baseUrl: 'http://om.example', orgId: ORG, projectName: 'Project A' });
    expect(cm.desired.metadata?.ownerReferences?.[0]).to.include({ kind: 'OpsManagerApiKey', uid: 'uid-1', controller: true });
  });
});
