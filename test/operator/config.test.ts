import { expect } from 'chai';
import { ConfigError, parseConfig } from '../../src/operator/config.ts';

describe('operator configuration', () => {
  it('has safe defaults', () => {
    const c = parseConfig({}, [], 'host');
    expect(c.namespaces).to.deep.equal([]);
    expect(c.namespacedConnectionHosts).to.deep.equal([]);
    expect(c.resyncPeriodMs).to.equal(600_000);
    expect(c.reconcileTimeoutMs).to.equal(120_000);
    expect(c.leaderElection).to.deep.include({ namespace: 'omkeys-system', name: 'omkeys-leader' });
    expect(c.http).to.deep.equal({ port: 8080, host: '0.0.0.0' });
    expect(c.failpoints).to.deep.equal([]);
  });

  it('reads OMKEYS_* variables, and flags win over them', () => {
    const c = parseConfig(
      { OMKEYS_NAMESPACES: 'a, b', OMKEYS_RESYNC_PERIOD: '5m', OMKEYS_NAMESPACED_CONNECTION_HOSTS: 'om.example.com', OMKEYS_CONCURRENCY: '4', POD_NAME: 'omkeys-0', POD_NAMESPACE: 'ops' },
      ['--concurrency=8', '--namespaced-connection-hosts=om.example.com, .corp.example', '--leader-election=true'],
      'host',
    );
    expect(c.namespaces).to.deep.equal(['a', 'b']);
    expect(c.resyncPeriodMs).to.equal(300_000);
    expect(c.concurrency).to.equal(8);
    expect(c.namespacedConnectionHosts).to.deep.equal(['om.example.com', '.corp.example']);
    expect(c.leaderElection).to.deep.equal({ namespace: 'ops', name: 'omkeys-leader', identity: 'omkeys-0', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
  });

  it('can switch leader election off', () => {
    expect(parseConfig({ OMKEYS_LEADER_ELECTION: 'false' }, [], 'h').leaderElection).to.equal(false);
  });

  const bad: Array<[Record<string, string>, string[], RegExp]> = [
    [{}, ['concurrency=2'], /unknown argument/],
    [{ OMKEYS_CONCURRENCY: '0' }, [], /concurrency must be an integer >= 1/],
    [{ OMKEYS_RESYNC_PERIOD: '10 minutes' }, [], /resync-period must be a duration/],
    [{ OMKEYS_LEADER_ELECTION: 'yes' }, [], /true or false/],
    // The connection and its policy are objects now: an old setting stops the operator rather than being ignored.
    [{ OMKEYS_OM_BASE_URL: 'https://om.example' }, [], /om-base-url is no longer a setting.*ClusterOpsManagerConnection/],
    [{ OMKEYS_OM_CREDENTIALS_SECRET: 'ops/om' }, [], /om-credentials-secret is no longer a setting/],
    [{ OMKEYS_DEFAULT_CONNECTION_NAMESPACES: '*' }, [], /default-connection-namespaces is no longer a setting/],
    [{}, ['--allowed-roles=ORG_READ_ONLY'], /allowed-roles is no longer a setting/],
    [{ OMKEYS_ALLOW_ORG_OWNER: 'true' }, [], /allow-org-owner is no longer a setting/],
    [{ OMKEYS_ADOPT_ROTATE_NAMESPACES: 'a' }, [], /adopt-rotate-namespaces is no longer a setting/],
    [{ OMKEYS_LEADER_ELECTION_LEASE_DURATION: '1s' }, [], /at least 2s/],
  ];
  for (const [env, argv, msg] of bad) {
    it(`refuses ${JSON.stringify(env)} ${argv.join(' ')} with a clear message`, () => {
      expect(() => parseConfig(env, argv, 'h')).to.throw(ConfigError, msg);
    });
  }
});
