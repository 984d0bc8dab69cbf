import { expect } from 'chai';
import type { ConnectionGrant } from '../../src/api/types.ts';
import { adoptionVerdict, bindingVerdict, keyVerdict, selectorMatches, type Access } from '../../src/controllers/shared/policy.ts';
import { catalogOf, clusterConnection, namespacedConnection } from './support/connection-fixtures.ts';

const ORG = '5f0c3b7c2e9a1b0001a1b2c3';
const P_A = '6a1b2c3d4e5f60718293a4b5';
const P_B = '6a1b2c3d4e5f60718293a4b6';
const C = 'ClusterOpsManagerConnection/shared';
const teamA: ConnectionGrant = { namespaces: { names: ['team-a'] }, organizations: [ORG], projects: [P_A], roles: ['ORG_READ_ONLY', 'GROUP_READ_ONLY'], maxKeys: 2, adoption: 'WithPrivateKey' };
const granted = (grants: ConnectionGrant[], keysAhead = 0): Access => ({ kind: 'granted', connection: C, grants, keysAhead });

describe('connection policy: keys (default deny)', () => {
  const rows: Array<{ name: string; access: Access; spec: { orgId?: string; projectId?: string; roles: string[] }; holds?: boolean; allowed: boolean; match?: RegExp }> = [
    { name: 'a namespace no grant names is not served', access: granted([]), spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, allowed: false, match: /does not serve namespace team-a.*namespaces/ },
    { name: 'an allowed organization and role', access: granted([teamA]), spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, allowed: true },
    { name: 'an organization not listed', access: granted([teamA]), spec: { orgId: 'ffffffffffffffffffffffff', roles: ['ORG_READ_ONLY'] }, allowed: false, match: /organization f{24} is not in policy.grants\[\].organizations/ },
    { name: "another namespace's project", access: granted([teamA]), spec: { projectId: P_B, roles: ['GROUP_READ_ONLY'] }, allowed: false, match: new RegExp(`project ${P_B} is not in policy.grants\\[\\].projects`) },
    { name: 'its own project', access: granted([teamA]), spec: { projectId: P_A, roles: ['GROUP_READ_ONLY'] }, allowed: true },
    { name: 'a role not listed', access: granted([teamA]), spec: { orgId: ORG, roles: ['ORG_READ_ONLY', 'ORG_MEMBER'] }, allowed: false, match: /role\(s\) ORG_MEMBER not in policy.grants\[\].roles/ },
    { name: 'ORG_OWNER only when named', access: granted([teamA]), spec: { orgId: ORG, roles: ['ORG_OWNER'] }, allowed: false, match: /ORG_OWNER only when named/ },
    { name: 'ORG_OWNER named', access: granted([{ ...teamA, roles: ['ORG_OWNER'] }]), spec: { orgId: ORG, roles: ['ORG_OWNER'] }, allowed: true },
    { name: 'the quota reached: a new key is refused', access: granted([teamA], 2), spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, allowed: false, match: /has 2 key\(s\) through it, policy.grants\[\].maxKeys is 2/ },
    { name: 'the quota reached: a key already held is kept', access: granted([teamA], 2), spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, holds: true, allowed: true },
    { name: 'under the quota', access: granted([teamA], 1), spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, allowed: true },
    { name: 'a held key whose roles the policy no longer allows is reported', access: granted([{ ...teamA, roles: ['GROUP_READ_ONLY'] }]), spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, holds: true, allowed: false, match: /ORG_READ_ONLY not in/ },
    { name: 'one grant of several allowing it all is enough', access: granted([teamA, { namespaces: { names: ['team-a'] }, organizations: [ORG], roles: ['ORG_MEMBER'] }]), spec: { orgId: ORG, roles: ['ORG_MEMBER'] }, allowed: true },
    { name: 'grants are not merged: roles of one, organization of another', access: granted([{ namespaces: { names: ['team-a'] }, roles: ['ORG_MEMBER'] }, { namespaces: { names: ['team-a'] }, organizations: [ORG] }]), spec: { orgId: ORG, roles: ['ORG_MEMBER'] }, allowed: false },
    { name: "a team's own connection: its credential bounds it", access: { kind: 'own', connection: 'OpsManagerConnection/om' }, spec: { orgId: ORG, roles: ['ORG_OWNER'] }, allowed: true },
    { name: 'no such connection', access: { kind: 'unresolved', reason: 'ConnectionNotFound', message: 'ClusterOpsManagerConnection/x not found' }, spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, allowed: false, match: /not found/ },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const v = keyVerdict(r.access, 'team-a', r.spec, r.holds === true);
      expect(v.allowed).to.equal(r.allowed);
      if (!v.allowed && r.match) expect(v.message).to.match(r.match);
      if (!v.allowed && r.access.kind === 'granted') expect(v.reason).to.equal('PolicyDenied');
      if (!v.allowed) expect(v.retry === true, 'only the quota can lift without the key changing').to.equal(/maxKeys/.test(v.message));
    });
  }
});

describe('connection policy: bindings and adoption', () => {
  it('a binding to its own project with allowed roles; another project, another role refused', () => {
    expect(bindingVerdict(granted([teamA]), 'team-a', P_A, ['GROUP_READ_ONLY']).allowed).to.equal(true);
    const other = bindingVerdict(granted([teamA]), 'team-a', P_B, ['GROUP_READ_ONLY']);
    expect(other.allowed ? '' : other.message).to.match(new RegExp(`project ${P_B}`));
    const role = bindingVerdict(granted([teamA]), 'team-a', P_A, ['GROUP_OWNER']);
    expect(role.allowed ? '' : role.message).to.match(/GROUP_OWNER not in/);
  });
  const rows: Array<{ name: string; adoption?: ConnectionGrant['adoption']; form: 'WithPrivateKey' | 'Rotate'; kept?: Array<{ projectId: string; roles: string[] }>; allowed: boolean; match?: RegExp }> = [
    { name: 'None (the default) refuses adoption with the private key', form: 'WithPrivateKey', allowed: false, match: /adoption with the private key is not allowed.*is None/ },
    { name: 'WithPrivateKey allows it', adoption: 'WithPrivateKey', form: 'WithPrivateKey', allowed: true },
    { name: 'WithPrivateKey refuses rotate: true', adoption: 'WithPrivateKey', form: 'Rotate', allowed: false, match: /with rotate: true is not allowed/ },
    { name: 'Rotate allows both', adoption: 'Rotate', form: 'Rotate', allowed: true },
    { name: 'roles kept in a project of another namespace are refused', adoption: 'Rotate', form: 'WithPrivateKey', kept: [{ projectId: P_B, roles: ['GROUP_READ_ONLY'] }], allowed: false, match: new RegExp(`roles in project ${P_B} would be kept`) },
    { name: 'roles kept in its own project, allowed', adoption: 'Rotate', form: 'WithPrivateKey', kept: [{ projectId: P_A, roles: ['GROUP_READ_ONLY'] }], allowed: true },
  ];
  for (const r of rows) {
    it(`adoption: ${r.name}`, () => {
      const { adoption: _a, ...base } = teamA;
      const v = adoptionVerdict(granted([{ ...base, ...(r.adoption ? { adoption: r.adoption } : {}) }]), 'team-a', r.form, { orgId: ORG, roles: ['ORG_READ_ONLY'] }, r.kept ?? []);
      expect(v.allowed).to.equal(r.allowed);
      if (!v.allowed && r.match) expect(v.message).to.match(r.match);
    });
  }
});

describe('label selectors', () => {
  const rows: Array<[string, Parameters<typeof selectorMatches>[0], Record<string, string>, boolean]> = [
    ['{} matches every namespace', {}, {}, true],
    ['matchLabels', { matchLabels: { team: 'b' } }, { team: 'b', x: 'y' }, true],
    ['matchLabels, another value', { matchLabels: { team: 'b' } }, { team: 'c' }, false],
    ['In', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev', 'prod'] }] }, { env: 'dev' }, true],
    ['In, label absent', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, {}, false],
    ['NotIn, label absent', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, {}, true],
    ['Exists', { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, { team: '' }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, { team: 'a' }, false],
  ];
  for (const [name, sel, labels, want] of rows) it(name, () => expect(selectorMatches(sel, labels)).to.equal(want));
});

describe('connection catalog: which connection a name means, from the caches', () => {
  const grant: ConnectionGrant = { namespaces: { selector: { matchLabels: { team: 'b' } } }, organizations: [ORG], roles: ['ORG_READ_ONLY'], maxKeys: 1 };
  const key = (name: string, created: string, keyId?: string) => ({
    apiVersion: 'omkeys.io/v1alpha1' as const, kind: 'OpsManagerApiKey' as const,
    metadata: { name, namespace: 'team-b', uid: `uid-${name}`, creationTimestamp: created },
    spec: { orgId: ORG, roles: ['ORG_READ_ONLY'] }, ...(keyId ? { status: { keyId } } : {}),
  });
  const keys = [key('first', '2026-01-01T00:00:00Z'), key('second', '2026-01-02T00:00:00Z')];
  const catalog = catalogOf({
    cluster: [clusterConnection('shared', { default: true }, [grant]), clusterConnection('other')],
    namespaced: [namespacedConnection('team-b', 'own')],
    labels: { 'team-b': { team: 'b' }, 'team-c': { team: 'c' } },
    keys: () => keys,
  });

  it('`default` is the connection marked default; a namespaced name is looked up in the namespace only', () => {
    expect(catalog.concrete('default')).to.equal(C);
    expect(catalog.find('team-b', 'OpsManagerConnection/own').kind).to.equal('namespaced');
    expect(catalog.find('team-c', 'OpsManagerConnection/own')).to.deep.equal({ kind: 'missing', message: 'OpsManagerConnection/own not found in namespace team-c' });
    expect(catalog.find('team-b', 'Secret/om').kind, 'a name an earlier version recorded').to.equal('missing');
  });
  it('no default, or several: nothing is picked, and the message says why', () => {
    expect(catalogOf({ cluster: [clusterConnection('a')] }).find('x', 'default')).to.deep.include({ kind: 'missing' });
    const two = catalogOf({ cluster: [clusterConnection('a', { default: true }), clusterConnection('b', { default: true })] });
    expect(two.find('x', 'default')).to.deep.equal({ kind: 'missing', message: 'several ClusterOpsManagerConnections are marked default: true (a, b); an admin must keep one' });
  });
  it('a namespace is served by its labels; the quota counts earlier keys of the namespace through the connection', () => {
    expect(catalog.access('team-c', 'default')).to.deep.include({ kind: 'granted', grants: [] });
    expect(catalog.access('team-b', 'default', keys[0])).to.deep.include({ keysAhead: 0 });
    expect(catalog.access('team-b', 'default', keys[1])).to.deep.include({ keysAhead: 1 });
    expect(keyVerdict(catalog.access('team-b', 'default', keys[1]), 'team-b', keys[1]?.spec ?? { roles: [] }, false).allowed).to.equal(false);
  });

  it('a connection deleted after keys were made through it is still found for their cleanup, and only for that', () => {
    const world = { cluster: [clusterConnection('gone')], namespaced: [namespacedConnection('team-b', 'own')] };
    const c = catalogOf(world);
    expect(c.find('team-b', 'ClusterOpsManagerConnection/gone').kind).to.equal('cluster');
    expect(c.find('team-b', 'OpsManagerConnection/own').kind).to.equal('namespaced');
    world.cluster = [];
    world.namespaced = [];
    expect(c.find('team-b', 'ClusterOpsManagerConnection/gone').kind).to.equal('missing');
    expect(c.find('team-b', 'ClusterOpsManagerConnection/gone', { forCleanup: true }).kind).to.equal('cluster');
    expect(c.find('team-b', 'OpsManagerConnection/own', { forCleanup: true }).kind).to.equal('namespaced');
    expect(c.find('team-c', 'OpsManagerConnection/own', { forCleanup: true }).kind, 'another namespace\'s').to.equal('missing');
  });
});
