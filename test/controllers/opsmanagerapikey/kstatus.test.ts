// What each plan's status says to kstatus (Flux, Helm 4's --wait, kubectl wait): Reconciling
// while work is under way, Stalled for what only a person gets past, neither at rest;
// observedGeneration on every status that judged this generation; the reconcile request handled.
import { expect } from 'chai';
import type { Condition, OpsManagerApiKey, OpsManagerApiKeyStatus } from '../../../src/api/types.ts';
import { decide } from '../../../src/controllers/opsmanagerapikey/decide.ts';
import { failurePlan } from '../../../src/controllers/opsmanagerapikey/decide-failure.ts';
import type { Created, Decision, Gathered, Plan } from '../../../src/controllers/opsmanagerapikey/plan.ts';
import { NotFoundError, UnavailableError } from '../../../src/opsmanager/errors.ts';
import { gathered, key, NOW, ours, RECORDED, remote } from './fixtures.ts';

const T0 = '2026-11-28T11:00:00Z';
const cond = (type: string, status: Condition['status'], reason: string, observedGeneration = 1): Condition => ({ type, status, reason, message: '', lastTransitionTime: T0, observedGeneration });
const READY = cond('Ready', 'True', 'Provisioned');
const CREATED: Created = { id: 'new-1', publicKey: 'newpub', privateKey: 'secret-never-shown' };
const REQUEST = { 'reconcile.fluxcd.io/requestedAt': '2026-11-28T11:59:00Z' };

/** The statuses a plan writes, in order, the created key filled in. */
function statuses(p: Plan): OpsManagerApiKeyStatus[] {
  return p.steps.flatMap((s) => (s.kind === 'StatusWrite' ? [typeof s.status === 'function' ? s.status(CREATED) : s.status] : []));
}

function plan(d: Decision): Plan {
  if (d.kind !== 'act') throw new Error(`expected a plan, got reads ${d.reads.join(',')}`);
  return d.plan;
}

/** One status as kstatus weighs it: `gen` observed, then Reconciling, Stalled and Ready. */
function verdict(st: OpsManagerApiKeyStatus): string {
  const c = (type: string): Condition | undefined => st.conditions?.find((x) => x.type === type);
  const parts = [`gen=${st.observedGeneration ?? '-'}`];
  for (const type of ['Reconciling', 'Stalled']) {
    const x = c(type);
    if (x) parts.push(`${type}=${x.status} ${x.reason}`);
  }
  const ready = c('Ready');
  parts.push(ready ? `Ready=${ready.status} ${ready.reason}` : 'Ready absent');
  if (st.lastHandledReconcileAt !== undefined) parts.push(`handled=${st.lastHandledReconcileAt}`);
  return parts.join(' ');
}

const gen2 = { generation: 2 };
const withTrue = (st: OpsManagerApiKeyStatus, ...c: Condition[]): OpsManagerApiKeyStatus => ({ ...st, observedGeneration: 1, conditions: c });

interface Row { name: string; g: Gathered; writes: string[] }

const rows: Row[] = [
  {
    name: 'a first key: the record says Reconciling (its first status), the last write Ready with neither condition',
    g: gathered(key(), { secret: { state: 'absent' } }),
    writes: ['gen=1 Reconciling=True Progressing Ready=False Progressing', 'gen=1 Ready=True Provisioned'],
  },
  {
    name: 'a spec change that succeeds: generation 2 observed, nothing left over',
    g: gathered(key({ description: 'billing' }, withTrue(RECORDED, READY), gen2), { remote: { state: 'present', key: remote() } }),
    writes: ['gen=2 Ready=True Provisioned'],
  },
  {
    name: 'a spec change the policy refuses: Stalled PolicyDenied at generation 2',
    g: gathered(key({ roles: ['ORG_OWNER'] }, withTrue(RECORDED, READY), gen2)),
    writes: ['gen=2 Stalled=True PolicyDenied Ready=False PolicyDenied'],
  },
  {
    name: 'a Secret that is not ours: Stalled SecretConflict (a person must move it)',
    g: gathered(key(), { secret: { state: 'foreign' } }),
    writes: ['gen=1 Stalled=True SecretConflict Ready=False SecretConflict'],
  },
  {
    name: 'a template that cannot render: Stalled InvalidSpec',
    g: gathered(key({}, withTrue(RECORDED, READY)), { templateError: 'unknown placeholder {{ .nope }}' }),
    writes: ['gen=1 Stalled=True InvalidSpec Ready=False InvalidSpec'],
  },
  {
    name: 'fixed after a stall: Stalled goes with the Ready write',
    g: gathered(key({}, withTrue(RECORDED, cond('Ready', 'False', 'PolicyDenied'), cond('Stalled', 'True', 'PolicyDenied')))),
    writes: ['gen=1 Ready=True Provisioned'],
  },
  {
    name: 'a rotation due: Reconciling while the new key is made, Ready kept True (the old pair works)',
    g: gathered(key({ rotation: { every: '1h', gracePeriod: '1h' } }, withTrue({ ...RECORDED, rotatedAt: '2026-11-28T10:00:00Z' }, READY)), { remote: { state: 'present', key: remote() } }),
    writes: ['gen=1 Reconciling=True Rotating Ready=True Provisioned', 'gen=1 Reconciling=True Progressing Ready=False Progressing', 'gen=1 Ready=True Rotating'],
  },
  {
    name: 'a requested reconcile is recorded as handled on the status it ends with',
    g: gathered(key({}, withTrue(RECORDED, READY), { annotations: REQUEST })),
    writes: ['gen=1 Ready=True Provisioned handled=2026-11-28T11:59:00Z'],
  },
];

describe('omkey plans as kstatus reads them', () => {
  for (const row of rows) {
    it(row.name, () => {
      expect(statuses(plan(decide(row.g))).map(verdict)).to.deep.equal(row.writes);
    });
  }

  it('at rest with nothing to change, no status is written (an upgrade rewrites no settled status)', () => {
    const st = { ...RECORDED, observedGeneration: 1, roles: ['ORG_READ_ONLY'], accessList: [], secretName: 'k', conditions: [] };
    const first = statuses(plan(decide(gathered(key({}, st)))));
    const settled = first.at(-1);
    expect(settled, 'the first converge writes Ready').to.not.equal(undefined);
    expect(statuses(plan(decide(gathered(key({}, settled)))))).to.deep.equal([]);
  });

  const failures: Array<{ name: string; error: unknown; writes: string }> = [
    { name: 'Ops Manager unreachable: retried, so Reconciling', error: new UnavailableError('down', { status: 503 }), writes: 'gen=2 Reconciling=True OpsManagerUnreachable Ready=False OpsManagerUnreachable' },
    { name: 'the project unknown to Ops Manager: Stalled until someone fixes it', error: new NotFoundError('no project', { status: 404, errorCode: 'GROUP_NOT_FOUND' }), writes: 'gen=2 Stalled=True ProjectNotFound Ready=False ProjectNotFound' },
  ];
  for (const f of failures) {
    it(`a failure at generation 2: ${f.name}`, () => {
      const obj: OpsManagerApiKey = key({ orgId: undefined, projectId: '6a1b2c3d4e5f60718293a4b5', roles: ['GROUP_READ_ONLY'] }, withTrue(RECORDED, READY), gen2);
      const p = failurePlan(gathered(obj), obj, { error: f.error });
      expect(statuses(p).map(verdict)).to.deep.equal([f.writes]);
    });
  }

  it('reconcile.fluxcd.io/requestedAt skips the freshness shortcut once, then the shortcut holds again', () => {
    const unread = { state: 'unread' } as const;
    const fresh = { lastSync: { generation: 1, keyId: 'key-1', at: NOW.getTime() - 1000, bindings: '' }, freshnessMs: 60_000, remote: unread, connection: unread, secret: ours() };
    const asked = key({}, withTrue(RECORDED, READY), { annotations: REQUEST });
    expect(decide(gathered(asked, fresh))).to.deep.equal({ kind: 'read', reads: ['connection', 'remote'] });
    const handled = key({}, { ...withTrue(RECORDED, READY), lastHandledReconcileAt: REQUEST['reconcile.fluxcd.io/requestedAt'] }, { annotations: REQUEST });
    expect(plan(decide(gathered(handled, fresh))).name).to.equal('InSync');
  });
});
