import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { ExecConfig } from './exec-credential.ts';
import { KubeConfigError } from './kube-config-error.ts';
import { checkFields, dict, execExtension, parseCluster, parseUser, str, type Dict } from './kubeconfig-fields.ts';

/** How to reach and authenticate to one API server: what a kubeconfig context or the in-cluster files resolve to. */
export interface ClusterAccess {
  /** e.g. https://10.96.0.1:443 */
  server: string;
  /** PEM of the CA that signed the API server's certificate; the system's CAs when absent. */
  ca?: string;
  /** Client certificate and key (PEM), for certificate authentication. */
  cert?: string;
  key?: string;
  /** A bearer token, fixed for the process. */
  token?: string;
  /** A file holding the bearer token, read again periodically (projected ServiceAccount tokens rotate). */
  tokenFile?: string;
  insecureSkipTlsVerify?: boolean;
  /** The context's namespace, if any (informational). */
  namespace?: string;
  /** The name the API server's certificate is checked against and sent as SNI (tls-server-name). */
  tlsServerName?: string;
  /** An http:// proxy every request to the API server goes through, by HTTP CONNECT (proxy-url). */
  proxyUrl?: string;
  /** Whom every request acts as (as, as-uid, as-groups, as-user-extra). */
  impersonate?: Impersonation;
  /** A credential plugin run for a token or a client certificate (exec). */
  exec?: ExecConfig;
}

export interface Impersonation {
  user: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}


export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ConfigSources {
  env: Record<string, string | undefined>;
  readFile: (file: string) => string;
  exists: (file: string) => boolean;
  home: string;
}

const realSources = (): ConfigSources => ({
  env: process.env,
  readFile: (f) => readFileSync(f, 'utf8'),
  exists: existsSync,
  home: homedir(),
});

/**
 * client-go's order (and client-node's loadFromDefault): $KUBECONFIG (the first of its
 * paths that exists), else ~/.kube/config, else the in-cluster ServiceAccount.
 */
export function loadClusterAccess(src: ConfigSources = realSources()): ClusterAccess {
  const list = (src.env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  const file = list.find((f) => src.exists(f));
  if (file) return loadKubeconfigFile(file, src);
  if (list.length > 0) throw new KubeConfigError(`KUBECONFIG names no existing file: ${list.join(path.delimiter)}`);
  const home = path.join(src.home, '.kube', 'config');
  if (src.exists(home)) return loadKubeconfigFile(home, src);
  if (src.env.KUBERNETES_SERVICE_HOST) return inClusterAccess(src);
  throw new KubeConfigError('no kubeconfig: set KUBECONFIG, provide ~/.kube/config, or run in a pod with a ServiceAccount');
}

/** The pod's ServiceAccount: the API server's Service from the environment, token and CA from the mounted files. */
export function inClusterAccess(src: ConfigSources = realSources(), dir = SERVICE_ACCOUNT_DIR): ClusterAccess {
  const host = src.env.KUBERNETES_SERVICE_HOST;
  const port = src.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new KubeConfigError('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set in a pod');
  const tokenFile = path.join(dir, 'token');
  if (!src.exists(tokenFile)) throw new KubeConfigError(`no ServiceAccount token at ${tokenFile}`);
  const caFile = path.join(dir, 'ca.crt');
  const nsFile = path.join(dir, 'namespace');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tokenFile,
    ...(src.exists(caFile) ? { ca: src.readFile(caFile) } : {}),
    ...(src.exists(nsFile) ? { namespace: src.readFile(nsFile).trim() } : {}),
  };
}

export function loadKubeconfigFile(file: string, src: ConfigSources = realSources(), context?: string): ClusterAccess {
  let text: string;
  try {
    text = src.readFile(file);
  } catch (err) {
    throw new KubeConfigError(`cannot read kubeconfig ${file}`, { cause: err });
  }
  return parseKubeconfig(text, { baseDir: path.dirname(file), readFile: src.readFile, ...(context ? { context } : {}) });
}

type Entry = { inner: Dict; where: string };

function named(doc: Dict, list: 'clusters' | 'users' | 'contexts', item: string, name: string): Entry {
  const entries = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
  const found = entries.find((e): e is Dict => typeof e === 'object' && e !== null && (e as Dict).name === name);
  if (!found) throw new KubeConfigError(`kubeconfig has no ${item} "${name}"`);
  checkFields(found, list, `${list}[${name}]`);
  const where = `${list}[${name}].${item}`;
  return { inner: dict(found[item], where), where };
}

/**
 * The current context of a kubeconfig (YAML or JSON), as client-go reads it; the fields of that
 * context, its cluster and its user that omkeys does not understand (see UNDERSTOOD_FIELDS) are
 * errors, the other entries are not looked at. Relative file paths are relative to the
 * kubeconfig's directory.
 */
export function parseKubeconfig(text: string, opts: { baseDir: string; readFile: (f: string) => string; context?: string }): ClusterAccess {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeConfigError('kubeconfig is not valid YAML', { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KubeConfigError('kubeconfig is empty');
  const d = doc as Dict;
  checkFields(d, 'config', '');
  const kind = str(d, 'kind', '');
  if (kind && kind !== 'Config') {
    throw new KubeConfigError(`kubeconfig has kind "${kind}", not Config`, { field: 'kind' });
  }
  const ctxName = opts.context ?? str(d, 'current-context', '');
  if (!ctxName) throw new KubeConfigError('kubeconfig has no current-context');
  const ctx = named(d, 'contexts', 'context', ctxName);
  checkFields(ctx.inner, 'context', ctx.where);
  const clusterName = str(ctx.inner, 'cluster', ctx.where);
  if (!clusterName) throw new KubeConfigError(`context "${ctxName}" names no cluster`);
  const cluster = named(d, 'clusters', 'cluster', clusterName);
  const access = parseCluster(cluster.inner, cluster.where, opts);
  const userName = str(ctx.inner, 'user', ctx.where);
  if (userName) {
    const user = named(d, 'users', 'user', userName);
    parseUser(user.inner, userName, user.where, opts, access);
    const config = execExtension(cluster.inner);
    if (access.exec && config !== undefined) access.exec.clusterConfig = config;
  }
  const ns = str(ctx.inner, 'namespace', ctx.where);
  if (ns) access.namespace = ns;
  return access;
}
