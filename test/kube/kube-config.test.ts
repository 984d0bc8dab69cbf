import { expect } from 'chai';
import { KubeConfigError } from '../../src/kube/kube-config-error.ts';
import { inClusterAccess, loadClusterAccess, parseKubeconfig, type ClusterAccess, type ConfigSources } from '../../src/kube/kube-config.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'other', cluster: { server: 'https://wrong' } }, { name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'ns1' } }],
    'current-context': 'x',
    ...extra,
  });
}

const files: Record<string, string> = { '/cfg/ca.pem': 'CA-FILE', '/cfg/client.crt': 'CERT-FILE', '/keys/client.key': 'KEY-FILE' };
const readFile = (f: string): string => {
  const v = files[f];
  if (v === undefined) throw new Error(`ENOENT ${f}`);
  return v;
};

describe('kubeconfig parsing', () => {
  const cases: Array<{ name: string; text: string; want?: ClusterAccess; error?: RegExp }> = [
    {
      name: 'token and insecure-skip-tls-verify (the test control plane, client-node exportConfig)',
      text: kubeconfig({ server: 'https://127.0.0.1:6443/', 'insecure-skip-tls-verify': true }, { token: 't0k' }),
      want: { server: 'https://127.0.0.1:6443', insecureSkipTlsVerify: true, token: 't0k', namespace: 'ns1' },
    },
    {
      name: 'inline CA, client certificate and key',
      text: kubeconfig({ server: 'https://k', 'certificate-authority-data': b64('CA') }, { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }),
      want: { server: 'https://k', ca: 'CA', cert: 'CERT', key: 'KEY', namespace: 'ns1' },
    },
    {
      name: 'files relative to the kubeconfig, absolute ones as they are; tokenFile',
      text: kubeconfig({ server: 'https://k', 'certificate-authority': 'ca.pem' }, { 'client-certificate': 'client.crt', 'client-key': '/keys/client.key', tokenFile: 'tok' }),
      want: { server: 'https://k', ca: 'CA-FILE', cert: 'CERT-FILE', key: 'KEY-FILE', tokenFile: '/cfg/tok', namespace: 'ns1' },
    },
    {
      name: 'a token wins over a tokenFile',
      text: kubeconfig({ server: 'http://k' }, { token: 'a', tokenFile: 'tok' }),
      want: { server: 'http://k', token: 'a', namespace: 'ns1' },
    },
    {
      name: 'YAML',
      text: 'current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "https://y"}\nusers:\n- name: u\n  user: {token: t}\n',
      want: { server: 'https://y', token: 't' },
    },
    { name: 'no current-context', text: kubeconfig({ server: 'https://k' }, {}, { 'current-context': '' }), error: /no current-context/ },
    { name: 'context names a missing cluster', text: kubeconfig({ server: 'https://k' }, {}).replace('"cluster":"c"', '"cluster":"gone"'), error: /no cluster "gone"/ },
    { name: 'cluster without server', text: kubeconfig({}, {}), error: /has no server/ },
    { name: 'certificate without key', text: kubeconfig({ server: 'https://k' }, { 'client-certificate-data': b64('C') }), error: /not both/ },
    { name: 'missing CA file', text: kubeconfig({ server: 'https://k', 'certificate-authority': 'nope.pem' }, {}), error: /cannot read certificate-authority/ },
    { name: 'not YAML', text: '{{{', error: /not valid YAML/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const run = (): ClusterAccess => parseKubeconfig(c.text, { baseDir: '/cfg', readFile });
      if (c.error) {
        expect(run).to.throw(KubeConfigError, c.error);
      } else {
        expect(run()).to.deep.equal(c.want);
      }
    });
  }

  it('reads a named context instead of the current one', () => {
    const text = kubeconfig({ server: 'https://k' }, { token: 't' }, { contexts: [{ name: 'x', context: { cluster: 'other' } }, { name: 'y', context: { cluster: 'c', user: 'u' } }] });
    expect(parseKubeconfig(text, { baseDir: '/', readFile, context: 'y' })).to.deep.equal({ server: 'https://k', token: 't' });
    expect(parseKubeconfig(text, { baseDir: '/', readFile }).server).to.equal('https://wrong');
  });
});

describe('where the cluster access comes from', () => {
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  const sources = (env: Record<string, string>, present: Record<string, string>): ConfigSources => ({
    env,
    home: '/home/me',
    exists: (f) => f in present,
    readFile: (f) => {
      const v = present[f];
      if (v === undefined) throw new Error(`ENOENT ${f}`);
      return v;
    },
  });
  const cfg = (server: string): string => kubeconfig({ server }, { token: 't' });
  const pod = { [`${sa}/token`]: 'tok', [`${sa}/ca.crt`]: 'POD-CA', [`${sa}/namespace`]: 'omkeys-system\n' };
  const cases: Array<{ name: string; env: Record<string, string>; present: Record<string, string>; server?: string; error?: RegExp }> = [
    { name: 'KUBECONFIG, its first existing file', env: { KUBECONFIG: '/a:/b', KUBERNETES_SERVICE_HOST: '10.0.0.1' }, present: { '/b': cfg('https://b'), ...pod }, server: 'https://b' },
    { name: 'KUBECONFIG naming nothing that exists is an error, not a fallback', env: { KUBECONFIG: '/a' }, present: pod, error: /names no existing file/ },
    { name: '~/.kube/config', env: {}, present: { '/home/me/.kube/config': cfg('https://home') }, server: 'https://home' },
    { name: 'in cluster', env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, present: pod, server: 'https://10.96.0.1:443' },
    { name: 'in cluster over IPv6', env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, present: pod, server: 'https://[fd00::1]:443' },
    { name: 'nothing at all', env: {}, present: {}, error: /no kubeconfig/ },
    { name: 'in a pod without a token', env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '1' }, present: {}, error: /no ServiceAccount token/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const run = (): ClusterAccess => loadClusterAccess(sources(c.env, c.present));
      if (c.error) expect(run).to.throw(KubeConfigError, c.error);
      else expect(run().server).to.equal(c.server);
    });
  }

  it('in cluster: the token is a file (read again as it rotates), CA and namespace from the mount', () => {
    expect(inClusterAccess(sources({ KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '6443' }, pod))).to.deep.equal({
      server: 'https://h:6443',
      tokenFile: `${sa}/token`,
      ca: 'POD-CA',
      namespace: 'omkeys-system',
    });
  });
});
