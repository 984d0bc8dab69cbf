import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { loadKubeconfigFile } from '../../src/kube/kube-config.ts';
import { PooledKubeConfig } from './pooled-kube-config.ts';
import type { ControlPlane } from './control-plane.ts';
import { statusOf } from './crds.ts';

/** What an integration test gets from the harness; the control plane is started once per run. */
export class TestEnv {
  readonly kc: KubeConfig;
  /** The operator's own client (src/kube/kube-client.ts), as admin. */
  readonly kube: KubeClient;
  private readonly created = new Set<string>();
  /** Every namespace made during the run, in order (for suites that must see theirs gone). */
  readonly history: string[] = [];

  constructor(readonly controlPlane: ControlPlane) {
    // Keep-alive connections, as the operator uses: without them each call pays a TLS handshake.
    this.kc = new PooledKubeConfig();
    this.kc.loadFromFile(controlPlane.kubeconfigPath);
    this.kube = new KubeClient(loadKubeconfigFile(controlPlane.kubeconfigPath));
  }

  get kubeconfigPath(): string {
    return this.controlPlane.kubeconfigPath;
  }

  get binDir(): string {
    return this.controlPlane.binDir;
  }

  /** A fresh namespace for one test; deleted (by the real namespace controller) after it. */
  async newNamespace(prefix = 'test', exactName?: string): Promise<string> {
    const name = exactName ?? `${prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}-${randomBytes(3).toString('hex')}`;
    await this.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name, labels: { 'omkeys.io/test': 'true' } } } });
    this.created.add(name);
    this.history.push(name);
    return name;
  }

  /** Deletes the namespaces made since the last call; does not wait for them to go. */
  async cleanupNamespaces(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    for (const name of this.created) {
      try {
        await core.deleteNamespace({ name });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
    this.created.clear();
  }

  /**
   * Waits until the namespaces are gone (their finalizers ran). Those still there after the
   * timeout have the omkeys finalizers stripped from their objects so that one stuck suite
   * cannot leak work into the next; their names are returned so the caller can fail.
   */
  async waitForNamespacesGone(names: readonly string[], timeoutMs: number): Promise<string[]> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const exists = async (name: string): Promise<boolean> => {
      try {
        await core.readNamespace({ name });
        return true;
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw err;
      }
    };
    const deadline = Date.now() + timeoutMs;
    let left = [...names];
    while (left.length > 0 && Date.now() < deadline) {
      const still: string[] = [];
      for (const n of left) if (await exists(n)) still.push(n);
      left = still;
      if (left.length > 0) await new Promise((r) => setTimeout(r, 250));
    }
    for (const ns of left) await this.stripFinalizers(ns);
    return left;
  }

  private async stripFinalizers(namespace: string): Promise<void> {
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    for (const plural of ['opsmanagerapikeys', 'projectkeybindings']) {
      const list = (await custom.listNamespacedCustomObject({ group: 'omkeys.io', version: 'v1alpha1', namespace, plural })) as { items: Array<{ metadata: { name: string } }> };
      for (const item of list.items) {
        await custom.patchNamespacedCustomObject(
          { group: 'omkeys.io', version: 'v1alpha1', namespace, plural, name: item.metadata.name, body: [{ op: 'replace', path: '/metadata/finalizers', value: [] }] },
        ).catch(() => undefined);
      }
    }
    // Tests give Secrets the finalizer earlier versions of the operator wrote (which it takes off).
    const core = this.kc.makeApiClient(CoreV1Api);
    const secrets = await core.listNamespacedSecret({ namespace, labelSelector: 'app.kubernetes.io/managed-by=omkeys' });
    for (const item of secrets.items) {
      const finalizers = item.metadata?.finalizers ?? [];
      if (!finalizers.includes('omkeys.io/secret-protection')) continue;
      const body = [{ op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((f) => f !== 'omkeys.io/secret-protection') }];
      await core.patchNamespacedSecret({ namespace, name: item.metadata?.name ?? '', body }).catch(() => undefined);
    }
  }

  /** A kubeconfig that authenticates as ServiceAccount `namespace/name` (created if missing), through TokenRequest. */
  async serviceAccountKubeConfig(namespace: string, name: string, expirationSeconds = 3600): Promise<KubeConfig> {
    const core = this.kc.makeApiClient(CoreV1Api);
    try {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
    const tr = await core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { audiences: [], expirationSeconds } },
    });
    const token = tr.status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('admin kubeconfig has no cluster');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster }],
      users: [{ name: `${namespace}-${name}`, token }],
      contexts: [{ name: 'sa', cluster: cluster.name, user: `${namespace}-${name}`, namespace }],
      currentContext: 'sa',
    });
    return kc;
  }

  async stopApiServer(): Promise<void> {
    await this.controlPlane.stopApiServer();
  }

  async startApiServer(): Promise<void> {
    await this.controlPlane.startApiServer();
  }
}

let current: TestEnv | undefined;

export function setTestEnv(env: TestEnv | undefined): void {
  current = env;
}

/** The running test environment; only inside the integration run (started by root-hooks.ts). */
export function testEnv(): TestEnv {
  if (!current) throw new Error('the test control plane is not running: run through .mocharc.integration.json (make integration)');
  return current;
}
