import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

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
}

export class KubeConfigError extends Error {
  readonly code = 'INVALID_KUBECONFIG';
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

type Dict = Record<string, unknown>;

function named(doc: Dict, list: string, item: string, name: string): Dict {
  const entries = Array.isArray(doc[list]) ? (doc[list] as Dict[]) : [];
  const found = entries.find((e) => e?.name === name);
  if (!found) throw new KubeConfigError(`kubeconfig has no ${item} "${name}"`);
  const inner = found[item];
  return typeof inner === 'object' && inner !== null ? (inner as Dict) : {};
}

const str = (d: Dict, k: string): string | undefined => (typeof d[k] === 'string' && d[k] !== '' ? d[k] : undefined);

/**
 * The current context of a kubeconfig (YAML or JSON). Relative file paths are relative to the
 * kubeconfig's directory, as kubectl reads them. Exec and auth-provider plugins are not
 * supported: the operator runs with a ServiceAccount token or a client certificate.
 */
export function parseKubeconfig(text: string, opts: { baseDir: string; readFile: (f: string) => string; context?: string }): ClusterAccess {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeConfigError('kubeconfig is not valid YAML', { cause: err });
  }
  if (typeof doc !== 'object' || doc === null) throw new KubeConfigError('kubeconfig is empty');
  const d = doc as Dict;
  const ctxName = opts.context ?? str(d, 'current-context');
  if (!ctxName) throw new KubeConfigError('kubeconfig has no current-context');
  const ctx = named(d, 'contexts', 'context', ctxName);
  const clusterName = str(ctx, 'cluster');
  if (!clusterName) throw new KubeConfigError(`context "${ctxName}" names no cluster`);
  const cluster = named(d, 'clusters', 'cluster', clusterName);
  const userName = str(ctx, 'user');
  const user = userName ? named(d, 'users', 'user', userName) : {};
  const server = str(cluster, 'server');
  if (!server) throw new KubeConfigError(`cluster "${clusterName}" has no server`);
  if (user.exec || user['auth-provider']) throw new KubeConfigError(`user "${userName ?? ''}" uses an exec or auth-provider plugin, which omkeys does not support`);
  const file = (f: string): string => path.resolve(opts.baseDir, f);
  const pem = (d: Dict, dataKey: string, fileKey: string): string | undefined => {
    const data = str(d, dataKey);
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    const f = str(d, fileKey);
    if (!f) return undefined;
    try {
      return opts.readFile(file(f));
    } catch (err) {
      throw new KubeConfigError(`cannot read ${fileKey} ${file(f)}`, { cause: err });
    }
  };
  const access: ClusterAccess = { server: server.replace(/\/+$/, '') };
  const ca = pem(cluster, 'certificate-authority-data', 'certificate-authority');
  if (ca) access.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) access.insecureSkipTlsVerify = true;
  const cert = pem(user, 'client-certificate-data', 'client-certificate');
  const key = pem(user, 'client-key-data', 'client-key');
  if (cert && key) {
    access.cert = cert;
    access.key = key;
  } else if (cert || key) {
    throw new KubeConfigError(`user "${userName ?? ''}" has a client certificate or key but not both`);
  }
  const token = str(user, 'token');
  const tokenFile = str(user, 'tokenFile');
  if (token) access.token = token;
  else if (tokenFile) access.tokenFile = file(tokenFile);
  const ns = str(ctx, 'namespace');
  if (ns) access.namespace = ns;
  return access;
}
