import path from 'node:path';
import type { ExecConfig } from './exec-credential.ts';
import { KubeConfigError } from './kube-config-error.ts';
import type { ClusterAccess, Impersonation } from './kube-config.ts';

export type Dict = Record<string, unknown>;

/**
 * The fields read (or harmlessly accepted) in each part of a kubeconfig. client-go ignores what
 * it does not know; the operator refuses it, so that a setting it would not apply (a proxy, an
 * identity to impersonate) never goes unnoticed.
 */
export const UNDERSTOOD_FIELDS = {
  config: ['apiVersion', 'kind', 'preferences', 'clusters', 'users', 'contexts', 'current-context', 'extensions'],
  clusters: ['name', 'cluster'],
  users: ['name', 'user'],
  contexts: ['name', 'context'],
  cluster: [
    'server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name',
    'proxy-url', 'disable-compression', 'extensions',
  ],
  user: [
    'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile',
    'as', 'as-uid', 'as-groups', 'as-user-extra', 'exec', 'extensions',
  ],
  // `name` inside the context is not client-go's, but client-node's exportConfig writes it.
  context: ['cluster', 'user', 'namespace', 'extensions', 'name'],
  exec: ['command', 'args', 'env', 'apiVersion', 'installHint', 'provideClusterInfo', 'interactiveMode'],
  env: ['name', 'value'],
} as const;

/** Fields client-go knows that the operator refuses, and why. */
const REFUSED: Record<string, string> = {
  'auth-provider': 'auth-provider plugins are not supported (client-go dropped gcp and azure in 1.26): use the ' +
    'provider\'s exec plugin instead (gke-gcloud-auth-plugin, kubelogin, aws eks get-token)',
  username: 'basic authentication is not supported (the API server dropped it in Kubernetes 1.19)',
  password: 'basic authentication is not supported (the API server dropped it in Kubernetes 1.19)',
};

const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
/** The cluster extension whose content client-go hands to an exec plugin as spec.cluster.config. */
const EXEC_EXTENSION = 'client.authentication.k8s.io/exec';

export function checkFields(obj: Dict, section: keyof typeof UNDERSTOOD_FIELDS, where: string): void {
  const known: readonly string[] = UNDERSTOOD_FIELDS[section];
  for (const [k, v] of Object.entries(obj)) {
    // A field written without a value (`as:`) is not set, in client-go as here.
    if (known.includes(k) || v === null) continue;
    const why = REFUSED[k] ?? `not understood by omkeys (it reads ${known.join(', ')})`;
    throw new KubeConfigError(`kubeconfig ${where}.${k}: ${why}`, { field: `${where}.${k}` });
  }
}

function invalid(where: string, key: string, what: string): KubeConfigError {
  return new KubeConfigError(`kubeconfig ${where}.${key} ${what}`, { field: `${where}.${key}` });
}

/** A string field; absent and '' are the same, as in client-go. */
export function str(d: Dict, key: string, where: string): string | undefined {
  const v = d[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(where, key, 'must be a string');
  return v;
}

function bool(d: Dict, key: string, where: string): boolean {
  const v = d[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw invalid(where, key, 'must be true or false');
  return v;
}

function strList(d: Dict, key: string, where: string): string[] {
  const v = d[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw invalid(where, key, 'must be a list of strings');
  return v as string[];
}

export function dict(v: unknown, where: string): Dict {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new KubeConfigError(`kubeconfig ${where} must be a mapping`, { field: where });
  }
  return v as Dict;
}

/** A value sent in an HTTP header: Node refuses control characters, so say so at start rather than at every request. */
function headerSafe(value: string, where: string, key: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(where, key, 'holds a control character');
  return value;
}

export interface FieldSources {
  baseDir: string;
  readFile: (file: string) => string;
}

/** Relative paths are relative to the kubeconfig's directory, as kubectl reads them. */
const resolve = (src: FieldSources, f: string): string => path.resolve(src.baseDir, f);

function pem(d: Dict, dataKey: string, fileKey: string, where: string, src: FieldSources): string | undefined {
  const data = str(d, dataKey, where);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const f = str(d, fileKey, where);
  if (!f) return undefined;
  try {
    return src.readFile(resolve(src, f));
  } catch (err) {
    const field = `${where}.${fileKey}`;
    throw new KubeConfigError(`cannot read ${fileKey} ${resolve(src, f)}`, { cause: err, field });
  }
}

export function parseCluster(cluster: Dict, where: string, src: FieldSources): ClusterAccess {
  checkFields(cluster, 'cluster', where);
  const server = str(cluster, 'server', where);
  if (!server) throw new KubeConfigError(`kubeconfig ${where} has no server`, { field: `${where}.server` });
  if (!/^https?:\/\/[^/]/.test(server)) throw invalid(where, 'server', `must be an http(s) URL, not "${server}"`);
  const access: ClusterAccess = { server: server.replace(/\/+$/, '') };
  const ca = pem(cluster, 'certificate-authority-data', 'certificate-authority', where, src);
  if (ca) access.ca = ca;
  if (bool(cluster, 'insecure-skip-tls-verify', where)) access.insecureSkipTlsVerify = true;
  const serverName = str(cluster, 'tls-server-name', where);
  if (serverName) access.tlsServerName = serverName;
  const proxy = str(cluster, 'proxy-url', where);
  if (proxy) access.proxyUrl = parseProxyUrl(proxy, where);
  // The operator never asks for compressed responses, so disable-compression holds either way.
  bool(cluster, 'disable-compression', where);
  return access;
}

function parseProxyUrl(proxy: string, where: string): string {
  let url: URL;
  try {
    url = new URL(proxy);
  } catch (err) {
    const field = `${where}.proxy-url`;
    throw new KubeConfigError(`kubeconfig ${field} is not a URL`, { cause: err, field });
  }
  if (url.protocol !== 'http:') {
    const scheme = url.protocol.replace(/:$/, '');
    throw invalid(where, 'proxy-url', `uses ${scheme}: only http:// proxies (HTTP CONNECT) are supported`);
  }
  return url.toString();
}

/** The content of the cluster's `client.authentication.k8s.io/exec` extension, if any. */
export function execExtension(cluster: Dict): unknown {
  const list = Array.isArray(cluster.extensions) ? (cluster.extensions as unknown[]) : [];
  const found = list.find((e): e is Dict => typeof e === 'object' && e !== null && (e as Dict).name === EXEC_EXTENSION);
  return found?.extension;
}

/** Client certificate, token, impersonation and exec plugin of the context's user, onto `access`. */
export function parseUser(user: Dict, name: string, where: string, src: FieldSources, access: ClusterAccess): void {
  checkFields(user, 'user', where);
  const cert = pem(user, 'client-certificate-data', 'client-certificate', where, src);
  const key = pem(user, 'client-key-data', 'client-key', where, src);
  if (cert && key) {
    access.cert = cert;
    access.key = key;
  } else if (cert || key) {
    throw new KubeConfigError(`user "${name}" has a client certificate or key but not both`, { field: where });
  }
  const token = str(user, 'token', where);
  const tokenFile = str(user, 'tokenFile', where);
  if (token) access.token = token;
  else if (tokenFile) access.tokenFile = resolve(src, tokenFile);
  const impersonate = parseImpersonation(user, name, where);
  if (impersonate) access.impersonate = impersonate;
  if (user.exec !== undefined && user.exec !== null) {
    if (token || tokenFile || cert) {
      const why = `user "${name}" has an exec plugin and a token or client certificate: give one`;
      throw new KubeConfigError(why, { field: `${where}.exec` });
    }
    access.exec = parseExec(dict(user.exec, `${where}.exec`), name, `${where}.exec`, src);
  }
}

function parseImpersonation(user: Dict, name: string, where: string): Impersonation | undefined {
  const as = str(user, 'as', where);
  const uid = str(user, 'as-uid', where);
  const groups = strList(user, 'as-groups', where);
  const extraDict = dict(user['as-user-extra'], `${where}.as-user-extra`);
  const extra: Record<string, string[]> = {};
  for (const k of Object.keys(extraDict)) extra[k] = strList(extraDict, k, `${where}.as-user-extra`);
  if (!as) {
    // client-go refuses these too: the API server only impersonates a user.
    if (uid || groups.length || Object.keys(extra).length) {
      const why = `user "${name}" sets as-uid, as-groups or as-user-extra without as`;
      throw new KubeConfigError(why, { field: `${where}.as` });
    }
    return undefined;
  }
  for (const g of groups) headerSafe(g, where, 'as-groups');
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) headerSafe(v, `${where}.as-user-extra`, k);
  return {
    user: headerSafe(as, where, 'as'),
    ...(uid ? { uid: headerSafe(uid, where, 'as-uid') } : {}),
    ...(groups.length ? { groups } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}

function parseExec(exec: Dict, user: string, where: string, src: FieldSources): ExecConfig {
  checkFields(exec, 'exec', where);
  const command = str(exec, 'command', where);
  if (!command) throw invalid(where, 'command', 'is missing');
  const apiVersion = str(exec, 'apiVersion', where);
  const version = EXEC_API_VERSIONS.find((v) => v === apiVersion);
  if (!version) {
    throw invalid(where, 'apiVersion', `must be one of ${EXEC_API_VERSIONS.join(', ')}, not "${apiVersion ?? ''}"`);
  }
  // client-go: v1 must say how interactive the plugin may be; v1beta1 defaults to IfAvailable.
  const mode = str(exec, 'interactiveMode', where) ?? (version.endsWith('v1beta1') ? 'IfAvailable' : undefined);
  if (mode === 'Always') {
    throw invalid(where, 'interactiveMode', 'is Always, but the operator has no terminal to prompt on');
  }
  if (mode !== 'Never' && mode !== 'IfAvailable') {
    throw invalid(where, 'interactiveMode', 'must be Never or IfAvailable');
  }
  const envList = exec.env ?? [];
  if (!Array.isArray(envList)) throw invalid(where, 'env', 'must be a list of {name, value}');
  const env = envList.map((e: unknown, i) => {
    const at = `${where}.env[${i}]`;
    const d = dict(e, at);
    checkFields(d, 'env', at);
    const name = str(d, 'name', at);
    if (!name) throw invalid(at, 'name', 'is missing');
    return { name, value: str(d, 'value', at) ?? '' };
  });
  const installHint = str(exec, 'installHint', where);
  return {
    user,
    // A command with a path separator is relative to the kubeconfig (client-go); a bare name is looked up in PATH.
    command: command.includes('/') ? resolve(src, command) : command,
    args: strList(exec, 'args', where),
    env,
    apiVersion: version,
    interactiveMode: mode,
    provideClusterInfo: bool(exec, 'provideClusterInfo', where),
    ...(installHint ? { installHint } : {}),
  };
}
