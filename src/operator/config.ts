import { readFileSync } from 'node:fs';
import { parseDuration } from '../controllers/shared/duration.ts';
import type { KeyPolicy } from '../controllers/shared/policy.ts';
import type { DefaultConnectionConfig } from '../controllers/shared/connections.ts';

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

export interface OperatorConfig {
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  connection: DefaultConnectionConfig;
  policy: KeyPolicy;
  concurrency: number;
  resyncPeriodMs: number;
  opsManager: { maxConcurrency: number; maxRequestsPerSecond: number; timeoutMs: number };
  leaderElection: false | { namespace: string; name: string; identity: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  http: { port: number; host: string };
  logLevel: string;
  /** Test-only crash points (see docs/crash-safety.md); empty in production. */
  failpoints: string[];
}

/**
 * Every setting is an environment variable `OMKEYS_<NAME>` or a flag `--<name>` (flags win),
 * e.g. OMKEYS_RESYNC_PERIOD=5m or --resync-period=5m. Pure apart from reading the CA file.
 */
export function parseConfig(env: Record<string, string | undefined>, argv: readonly string[], hostname: string): OperatorConfig {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m?.[1]) throw new ConfigError(`unknown argument ${arg}; settings look like --resync-period=5m`);
    flags.set(m[1], m[2] ?? 'true');
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

  const connection: DefaultConnectionConfig = {};
  const baseUrl = get('om-base-url');
  if (baseUrl) {
    if (!/^https?:\/\//.test(baseUrl)) throw new ConfigError(`om-base-url must start with http:// or https://, got "${baseUrl}"`);
    connection.baseUrl = baseUrl.replace(/\/+$/, '');
  }
  const credSecret = get('om-credentials-secret');
  if (credSecret) {
    const [namespace, name, extra] = credSecret.split('/');
    if (!namespace || !name || extra !== undefined) throw new ConfigError(`om-credentials-secret must be <namespace>/<name>, got "${credSecret}"`);
    connection.credentialsSecret = { namespace, name };
  }
  const pub = get('om-public-key');
  const priv = get('om-private-key');
  if (pub) connection.publicKey = pub;
  if (priv) connection.privateKey = priv;
  const caFile = get('om-ca-file');
  if (caFile) connection.caPem = readFileSync(caFile, 'utf8');
  if (bool('om-insecure-skip-tls-verify', false)) connection.insecureSkipTlsVerify = true;

  const leNamespace = get('leader-election-namespace') ?? env.POD_NAMESPACE ?? 'omkeys-system';
  // client-go's proportions (15 s lease, 10 s renew deadline, 2 s retry) scaled to the lease.
  const leaseMs = duration('leader-election-lease-duration', '15s');
  if (leaseMs < 2000) throw new ConfigError('leader-election-lease-duration must be at least 2s');
  return {
    namespaces: list('namespaces', []),
    connection,
    policy: {
      defaultConnectionNamespaces: list('default-connection-namespaces', ['*']),
      allowedRoles: list('allowed-roles', []),
      allowOrgOwnerViaDefault: bool('allow-org-owner', false),
      adoptRotateNamespaces: list('adopt-rotate-namespaces', []),
    },
    concurrency: int('concurrency', 16, 1),
    resyncPeriodMs: duration('resync-period', '10m'),
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
