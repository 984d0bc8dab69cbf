import { parseDuration } from '../controllers/shared/duration.ts';

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

export interface OperatorConfig {
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  /**
   * Hosts OpsManagerConnections (a team's own connection) may use; empty: any host that is not a
   * loopback or link-local address. `.example.com` allows its subdomains.
   */
  namespacedConnectionHosts: string[];
  concurrency: number;
  /** The most one reconcile may spend in Ops Manager calls (waits included) before it fails and backs off. */
  reconcileTimeoutMs: number;
  resyncPeriodMs: number;
  opsManager: { maxConcurrency: number; maxRequestsPerSecond: number; timeoutMs: number };
  leaderElection: false | { namespace: string; name: string; identity: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  http: { port: number; host: string };
  logLevel: string;
  /** Test-only crash points (see docs/crash-safety.md); empty in production. */
  failpoints: string[];
}

/** Settings of the connection an earlier version read from its environment; refused so that none is silently ignored. */
const REMOVED = [
  'om-base-url', 'om-public-key', 'om-private-key', 'om-credentials-secret', 'om-ca-file', 'om-insecure-skip-tls-verify',
  'default-connection-namespaces', 'allowed-roles', 'allow-org-owner', 'adopt-rotate-namespaces',
];

/**
 * Every setting is an environment variable `OMKEYS_<NAME>` or a flag `--<name>` (flags win),
 * e.g. OMKEYS_RESYNC_PERIOD=5m or --resync-period=5m. Pure.
 */
export function parseConfig(env: Record<string, string | undefined>, argv: readonly string[], hostname: string): OperatorConfig {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m?.[1]) throw new ConfigError(`unknown argument ${arg}; settings look like --resync-period=5m`);
    flags.set(m[1], m[2] ?? 'true');
  }
  for (const old of REMOVED) {
    if (flags.has(old) || env[`OMKEYS_${old.toUpperCase().replace(/-/g, '_')}`] !== undefined) {
      throw new ConfigError(`${old} is no longer a setting: the Ops Manager connection and what namespaces may do with it are ClusterOpsManagerConnection objects now (docs/multi-tenancy.md)`);
    }
  }
  const get = (name: string): string | undefined => flags.get(name) ?? env[`OMKEYS_${name.toUpperCase().replace(/-/g, '_')}`];
  const list = (name: string, dflt: string[]): string[] => {
    const v = get(name);
    return v === undefined ? dflt : v.split(',').map((s) => s.trim()).filter(Boolean);
  };
  const int = (name: string, dflt: number, min: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  const bool = (name: string, dflt: boolean): boolean => {
    const v = get(name);
    if (v === undefined) return dflt;
    if (!['true', 'false'].includes(v)) throw new ConfigError(`${name} must be true or false, got "${v}"`);
    return v === 'true';
  };
  const duration = (name: string, dflt: string): number => {
    const v = get(name) ?? dflt;
    try {
      return parseDuration(v);
    } catch {
      throw new ConfigError(`${name} must be a duration such as 10m, got "${v}"`);
    }
  };

  const leNamespace = get('leader-election-namespace') ?? env.POD_NAMESPACE ?? 'omkeys-system';
  // client-go's proportions (15 s lease, 10 s renew deadline, 2 s retry) scaled to the lease.
  const leaseMs = duration('leader-election-lease-duration', '15s');
  if (leaseMs < 2000) throw new ConfigError('leader-election-lease-duration must be at least 2s');
  return {
    namespaces: list('namespaces', []),
    namespacedConnectionHosts: list('namespaced-connection-hosts', []),
    concurrency: int('concurrency', 16, 1),
    resyncPeriodMs: duration('resync-period', '10m'),
    reconcileTimeoutMs: duration('reconcile-timeout', '2m'),
    opsManager: {
      maxConcurrency: int('om-max-concurrency', 16, 1),
      maxRequestsPerSecond: int('om-max-requests-per-second', 0, 0),
      timeoutMs: duration('om-timeout', '30s'),
    },
    leaderElection: bool('leader-election', true)
      ? {
          namespace: leNamespace,
          name: get('leader-election-lease') ?? 'omkeys-leader',
          identity: env.POD_NAME ?? `${hostname}-${process.pid}`,
          leaseDurationMs: leaseMs,
          renewDeadlineMs: Math.round((leaseMs * 2) / 3),
          retryPeriodMs: Math.round(leaseMs / 7.5),
        }
      : false,
    http: { port: int('http-port', 8080, 0), host: get('http-host') ?? '0.0.0.0' },
    logLevel: get('log-level') ?? 'info',
    failpoints: list('failpoints', []),
  };
}
