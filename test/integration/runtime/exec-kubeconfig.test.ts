import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testEnv } from '../../../tools/envtest/env.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { startSimulator, type SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import { Kube } from '../support/kube.ts';
import { applyFile } from '../support/manifests.ts';
import { OPERATOR_NAMESPACE, OperatorProcess, repoRoot } from '../support/operator-process.ts';

const SA = 'omkeys';

/**
 * The plugin a developer's kubeconfig would name (aws eks get-token, kubelogin): a shell script
 * that counts its runs, keeps what client-go told it in KUBERNETES_EXEC_INFO, chats on stderr,
 * and prints an ExecCredential with the token the test put in a file.
 */
const PLUGIN = `#!/bin/sh
printf x >> "$OMKEYS_TEST_DIR/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$OMKEYS_TEST_DIR/exec-info.json"
token=$(cat "$OMKEYS_TEST_DIR/token")
echo "fetched token $token from the test" >&2
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
printf '"status":{"token":"%s","expirationTimestamp":"%s"}}\\n' "$token" "$EXPIRY"
`;

describe('runtime: out of cluster with an exec credential plugin in the kubeconfig', () => {
  let dir = '';
  let sim: SimHandle | undefined;
  let op: OperatorProcess | undefined;
  const bindings = [`exec-bind-${process.pid}-1`, `exec-bind-${process.pid}-2`];
  const runs = (): number => readFileSync(path.join(dir, 'runs'), 'utf8').length;

  /**
   * A ServiceAccount token bound to a Secret of its own: deleting the Secret revokes the token
   * (after the API server's 10 s authentication cache), as a cloud provider revokes a credential.
   */
  async function boundToken(secret: string): Promise<string> {
    const core = testEnv().kc.makeApiClient(CoreV1Api);
    const body = { metadata: { name: secret } };
    const made = await core.createNamespacedSecret({ namespace: OPERATOR_NAMESPACE, body });
    const tr = await core.createNamespacedServiceAccountToken({
      name: SA,
      namespace: OPERATOR_NAMESPACE,
      body: {
        spec: {
          audiences: [],
          expirationSeconds: 3600,
          boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: secret, uid: made.metadata?.uid },
        },
      },
    });
    const token = tr.status?.token;
    if (!token) throw new Error('TokenRequest returned no token');
    return token;
  }

  before(async function () {
    this.timeout(120_000);
    dir = mkdtempSync(path.join(os.tmpdir(), 'omkeys-exec-it-'));
    sim = await startSimulator({ admin: true });
    await applyFile(testEnv().kc, path.join(repoRoot, 'deploy', 'rbac.yaml'));
  });

  after(async function () {
    this.timeout(150_000);
    const env = testEnv();
    await env.cleanupNamespaces();
    await op?.stop();
    await sim?.close();
    const core = env.kc.makeApiClient(CoreV1Api);
    for (const name of bindings) {
      await core.deleteNamespacedSecret({ name, namespace: OPERATOR_NAMESPACE }).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('works with the plugin\'s token, runs it once, and once more when the API server refuses it', async function () {
    this.timeout(180_000);
    const env = testEnv();
    const [first, second] = [await boundToken(bindings[0]!), await boundToken(bindings[1]!)];
    writeFileSync(path.join(dir, 'token'), first);
    const plugin = path.join(dir, 'get-token.sh');
    writeFileSync(plugin, PLUGIN);
    chmodSync(plugin, 0o755);
    const server = env.kc.getCurrentCluster()?.server ?? '';
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    // The token is good for an hour: within the test, only the revocation runs the plugin again.
    const expiry = new Date(Date.now() + 3600_000).toISOString();
    writeFileSync(kubeconfig, `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${server}
    insecure-skip-tls-verify: true
users:
- name: dev
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./get-token.sh
      env:
      - {name: OMKEYS_TEST_DIR, value: ${dir}}
      - {name: EXPIRY, value: "${expiry}"}
      interactiveMode: Never
      provideClusterInfo: true
      installHint: written by the test
contexts:
- name: test
  context: {cluster: test, user: dev, namespace: ${OPERATOR_NAMESPACE}}
current-context: test
`);
    op = await OperatorProcess.start(env, sim!, { env: { KUBECONFIG: kubeconfig } });
    const kube = new Kube(env);

    const ns = await env.newNamespace('exec-kubeconfig');
    await kube.createKey(ns, 'first', { orgId: sim!.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.waitForReady(ns, 'first', 60_000);
    expect(runs(), 'one run serves every request (leader election, lists, watches, writes)').to.equal(1);
    expect(JSON.parse(readFileSync(path.join(dir, 'exec-info.json'), 'utf8'))).to.deep.equal({
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: { interactive: false, cluster: { server, 'insecure-skip-tls-verify': true } },
    });

    // The provider revokes the token before its expiry; the plugin would now hand out another.
    writeFileSync(path.join(dir, 'token'), second);
    await env.kc.makeApiClient(CoreV1Api).deleteNamespacedSecret({ name: bindings[0]!, namespace: OPERATOR_NAMESPACE });
    await waitFor('the operator to run the plugin again after a 401', () => Promise.resolve(runs() >= 2), 60_000, 100);
    await kube.createKey(ns, 'second', { orgId: sim!.orgId, roles: ['ORG_READ_ONLY'] });
    await kube.waitForReady(ns, 'second', 60_000);
    expect(runs(), 'one more run for the refused token, however many requests were refused').to.equal(2);

    const log = op.logText();
    expect(log).to.not.contain(first).and.not.contain(second);
    expect(log).to.contain('"stderr":"fetched token [REDACTED] from the test"');
    // Every refused request was sent again with the new token: none failed with the 401, no Lease was lost.
    expect(log).to.not.match(/HTTP 401|omkeys failed|leadership lost|lease acquire\/renew failed/);
  });
});
