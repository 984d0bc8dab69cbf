import { expect } from 'chai';
import { KubeConfigError } from '../../src/kube/kube-config-error.ts';
import { parseKubeconfig, type ClusterAccess } from '../../src/kube/kube-config.ts';

type Dict = Record<string, unknown>;

/** A kubeconfig whose current context uses cluster `c` and user `u`; the other entries hold what no one reads. */
function kubeconfig(cluster: Dict, user: Dict, extra: Dict = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: 'c', cluster }, { name: 'unused', cluster: { server: 'https://u', 'some-future-field': 1 } }],
    users: [{ name: 'u', user }, { name: 'old-gke', user: { 'auth-provider': { name: 'gcp' } } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
    ...extra,
  });
}

const v1 = 'client.authentication.k8s.io/v1';
const v1beta1 = 'client.authentication.k8s.io/v1beta1';
const server = 'https://k';
const parse = (text: string): ClusterAccess => parseKubeconfig(text, { baseDir: '/cfg', readFile: () => 'PEM' });

describe('kubeconfig: the forms omkeys understands', () => {
  const cases: Array<{ name: string; text: string; want: ClusterAccess }> = [
    {
      name: 'exec plugin v1 (EKS), bare command looked up in PATH, env, Never',
      text: kubeconfig({ server }, {
        exec: {
          apiVersion: v1, command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'prod'],
          env: [{ name: 'AWS_PROFILE', value: 'dev' }], interactiveMode: 'Never', installHint: 'install the AWS CLI',
        },
      }),
      want: {
        server,
        exec: {
          user: 'u', command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'prod'], env: [{ name: 'AWS_PROFILE', value: 'dev' }],
          apiVersion: v1, interactiveMode: 'Never', provideClusterInfo: false, installHint: 'install the AWS CLI',
        },
      },
    },
    {
      name: 'exec plugin v1beta1: interactiveMode defaults to IfAvailable; a command with a slash is relative to the kubeconfig',
      text: kubeconfig({ server }, { exec: { apiVersion: v1beta1, command: './bin/get-token', env: null, args: null } }),
      want: {
        server,
        exec: { user: 'u', command: '/cfg/bin/get-token', args: [], env: [], apiVersion: v1beta1, interactiveMode: 'IfAvailable', provideClusterInfo: false },
      },
    },
    {
      name: 'provideClusterInfo with the cluster\'s exec extension (kubelogin, GKE)',
      text: kubeconfig(
        { server, extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'a' } }, { name: 'other', extension: {} }] },
        { exec: { apiVersion: v1, command: 'kubelogin', interactiveMode: 'IfAvailable', provideClusterInfo: true } },
      ),
      want: {
        server,
        exec: {
          user: 'u', command: 'kubelogin', args: [], env: [], apiVersion: v1, interactiveMode: 'IfAvailable', provideClusterInfo: true,
          clusterConfig: { audience: 'a' },
        },
      },
    },
    {
      name: 'impersonation: as, as-uid, as-groups, as-user-extra',
      text: kubeconfig({ server }, { token: 't', as: 'jane', 'as-uid': '42', 'as-groups': ['dev', 'ops'], 'as-user-extra': { scopes: ['view', 'edit'] } }),
      want: { server, token: 't', impersonate: { user: 'jane', uid: '42', groups: ['dev', 'ops'], extra: { scopes: ['view', 'edit'] } } },
    },
    {
      name: 'tls-server-name, proxy-url, disable-compression and extensions everywhere',
      text: kubeconfig(
        { server, 'tls-server-name': 'api.internal', 'proxy-url': 'http://user:p%40ss@proxy:3128', 'disable-compression': true, extensions: [] },
        { token: 't', extensions: [] },
        { extensions: [], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', extensions: [] } }] },
      ),
      want: { server, token: 't', tlsServerName: 'api.internal', proxyUrl: 'http://user:p%40ss@proxy:3128/' },
    },
    {
      name: 'client-node\'s exportConfig (a name inside the context); fields without a value',
      text: '{"apiVersion":"v1","kind":"Config","clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:1",' +
        '"insecure-skip-tls-verify":true}}],"users":[{"name":"u","user":{"token":"t","as":null,"auth-provider":null}}],' +
        '"contexts":[{"name":"sa","context":{"name":"sa","cluster":"c","user":"u","namespace":"n"}}],"preferences":{},' +
        '"current-context":"sa"}',
      want: { server: 'https://127.0.0.1:1', insecureSkipTlsVerify: true, token: 't', namespace: 'n' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(parse(c.text)).to.deep.equal(c.want);
    });
  }
});

describe('kubeconfig: what is refused at start, naming the field', () => {
  const exec = (e: Dict): Dict => ({ exec: { apiVersion: v1, command: 'p', interactiveMode: 'Never', ...e } });
  const cases: Array<{ name: string; text: string; error: RegExp; field?: string }> = [
    { name: 'an unknown user field', text: kubeconfig({ server }, { token: 't', 'as-user': 'x' }), error: /users\[u\]\.user\.as-user: not understood/, field: 'users[u].user.as-user' },
    { name: 'an unknown cluster field', text: kubeconfig({ server, proxy: 'http://p' }, {}), error: /clusters\[c\]\.cluster\.proxy: not understood/, field: 'clusters[c].cluster.proxy' },
    { name: 'an unknown context field', text: kubeconfig({ server }, {}, { contexts: [{ name: 'x', context: { cluster: 'c', ns: 'a' } }] }), error: /contexts\[x\]\.context\.ns: not understood/ },
    { name: 'an unknown field beside name', text: kubeconfig({ server }, {}, { users: [{ name: 'u', user: {}, as: 'x' }] }), error: /users\[u\]\.as: not understood/ },
    { name: 'an unknown top-level field', text: kubeconfig({ server }, {}, { 'current-cluster': 'c' }), error: /kubeconfig \.current-cluster: not understood/ },
    { name: 'an exec field', text: kubeconfig({ server }, exec({ stdin: true })), error: /users\[u\]\.user\.exec\.stdin: not understood/ },
    { name: 'an exec env field', text: kubeconfig({ server }, exec({ env: [{ name: 'A', value: 'b', secret: true }] })), error: /exec\.env\[0\]\.secret: not understood/ },
    { name: 'auth-provider', text: kubeconfig({ server }, { 'auth-provider': { name: 'oidc' } }), error: /auth-provider: auth-provider plugins are not supported.*exec plugin/ },
    { name: 'basic authentication', text: kubeconfig({ server }, { username: 'a', password: 'b' }), error: /username: basic authentication is not supported/ },
    { name: 'exec beside a token', text: kubeconfig({ server }, { token: 't', ...exec({}) }), error: /exec plugin and a token/ },
    { name: 'exec without command', text: kubeconfig({ server }, exec({ command: '' })), error: /exec\.command is missing/ },
    { name: 'exec v1alpha1', text: kubeconfig({ server }, exec({ apiVersion: 'client.authentication.k8s.io/v1alpha1' })), error: /exec\.apiVersion must be one of/ },
    { name: 'exec v1 without interactiveMode', text: kubeconfig({ server }, exec({ interactiveMode: undefined })), error: /interactiveMode must be Never or IfAvailable/ },
    { name: 'exec interactiveMode Always', text: kubeconfig({ server }, exec({ interactiveMode: 'Always' })), error: /Always, but the operator has no terminal/ },
    { name: 'exec args not strings', text: kubeconfig({ server }, exec({ args: ['a', 1] })), error: /exec\.args must be a list of strings/ },
    { name: 'a socks5 proxy', text: kubeconfig({ server, 'proxy-url': 'socks5://p:1080' }, {}), error: /proxy-url uses socks5: only http:\/\/ proxies/ },
    { name: 'an https proxy', text: kubeconfig({ server, 'proxy-url': 'https://p:3128' }, {}), error: /proxy-url uses https: only http:\/\// },
    { name: 'a proxy-url that is no URL', text: kubeconfig({ server, 'proxy-url': 'http://[::1' }, {}), error: /proxy-url is not a URL/ },
    { name: 'as-groups without as', text: kubeconfig({ server }, { 'as-groups': ['g'] }), error: /as-groups or as-user-extra without as/ },
    { name: 'as-groups not a list', text: kubeconfig({ server }, { as: 'a', 'as-groups': 'g' }), error: /as-groups must be a list of strings/ },
    { name: 'as with a newline', text: kubeconfig({ server }, { as: 'a\nb' }), error: /\.as holds a control character/ },
    { name: 'insecure-skip-tls-verify as a string', text: kubeconfig({ server, 'insecure-skip-tls-verify': 'true' }, {}), error: /insecure-skip-tls-verify must be true or false/ },
    { name: 'a server that is not http(s)', text: kubeconfig({ server: 'k8s.example:6443' }, {}), error: /server must be an http\(s\) URL/ },
    { name: 'a kind other than Config', text: kubeconfig({ server }, {}, { kind: 'Pod' }), error: /kind "Pod", not Config/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      let caught: unknown;
      try {
        parse(c.text);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(KubeConfigError);
      expect((caught as KubeConfigError).message).to.match(c.error);
      expect((caught as KubeConfigError).code).to.equal('INVALID_KUBECONFIG');
      if (c.field) expect((caught as KubeConfigError).field).to.equal(c.field);
    });
  }
});
