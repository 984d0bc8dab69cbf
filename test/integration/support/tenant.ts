import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type V1Secret } from '@kubernetes/client-node';
import {
  GROUP,
  OPS_MANAGER_API_KEY_PLURAL,
  PROJECT_KEY_BINDING_PLURAL,
  VERSION,
  type OpsManagerApiKey,
  type OpsManagerApiKeySpec,
  type OpsManagerApiKeyStatus,
} from '../../../src/api/types.ts';
import type { TestEnv } from '../../../tools/envtest/env.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { waitFor } from '../../../tools/envtest/process.ts';

export const TENANT_ACCOUNT = 'tenant';

/**
 * What a namespace editor is given in a shared cluster: everything on the omkeys resources,
 * Secrets and ConfigMaps of one namespace, and not the status subresource (which RBAC names
 * apart: `opsmanagerapikeys` does not cover `opsmanagerapikeys/status`).
 */
const TENANT_RULES = [
  { apiGroups: [GROUP], resources: [OPS_MANAGER_API_KEY_PLURAL, PROJECT_KEY_BINDING_PLURAL], verbs: ['*'] },
  { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['*'] },
];

/**
 * A namespace editor of `namespace`, authenticated as its own ServiceAccount (a TokenRequest
 * token, not the admin's certificate), so that the API server's RBAC judges every write.
 */
export class Tenant {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;

  private constructor(readonly namespace: string, custom: CustomObjectsApi, core: CoreV1Api) {
    this.custom = custom;
    this.core = core;
  }

  /** Creates the Role, its RoleBinding and the ServiceAccount (as admin), and returns the tenant's client. */
  static async of(env: TestEnv, namespace: string): Promise<Tenant> {
    const rbac = env.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'omkeys-editor' }, rules: TENANT_RULES } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'omkeys-editor' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'omkeys-editor' },
        subjects: [{ kind: 'ServiceAccount', name: TENANT_ACCOUNT, namespace }],
      },
    });
    const kc = await env.serviceAccountKubeConfig(namespace, TENANT_ACCOUNT);
    return new Tenant(namespace, kc.makeApiClient(CustomObjectsApi), kc.makeApiClient(CoreV1Api));
  }

  private api(): { group: string; version: string; namespace: string; plural: string } {
    return { group: GROUP, version: VERSION, namespace: this.namespace, plural: OPS_MANAGER_API_KEY_PLURAL };
  }

  async createKey(
    name: string,
    spec: OpsManagerApiKeySpec,
    annotations?: Record<string, string>,
  ): Promise<OpsManagerApiKey> {
    const metadata = { name, namespace: this.namespace, ...(annotations ? { annotations } : {}) };
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'OpsManagerApiKey', metadata, spec };
    return (await this.custom.createNamespacedCustomObject({ ...this.api(), body })) as OpsManagerApiKey;
  }

  async getKey(name: string): Promise<OpsManagerApiKey> {
    return (await this.custom.getNamespacedCustomObject({ ...this.api(), name })) as OpsManagerApiKey;
  }

  async deleteKey(name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...this.api(), name });
  }

  /** Read-modify-write of the whole object (spec and metadata), retried on conflict. */
  async editKey(name: string, change: (obj: OpsManagerApiKey) => void): Promise<OpsManagerApiKey> {
    return waitFor(`tenant edit of ${this.namespace}/${name}`, async () => {
      const obj = await this.getKey(name);
      change(obj);
      try {
        const replaced: unknown = await this.custom.replaceNamespacedCustomObject({ ...this.api(), name, body: obj });
        return replaced as OpsManagerApiKey;
      } catch (err) {
        if (statusOf(err) === 409) return undefined;
        throw err;
      }
    }, 10_000, 100);
  }

  /** A write of the status subresource, which the Role does not grant: the HTTP status the API server answered. */
  async tryWriteStatus(name: string, status: OpsManagerApiKeyStatus): Promise<number> {
    const obj = await this.getKey(name);
    try {
      await this.custom.replaceNamespacedCustomObjectStatus({ ...this.api(), name, body: { ...obj, status } });
      return 200;
    } catch (err) {
      return statusOf(err) ?? -1;
    }
  }

  /** Creates the Secret, or replaces the one there (as `kubectl apply` would for an editor). */
  async putSecret(body: V1Secret): Promise<V1Secret> {
    const name = body.metadata?.name ?? '';
    try {
      return await this.core.createNamespacedSecret({ namespace: this.namespace, body });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
    }
    return waitFor(`tenant write of Secret ${this.namespace}/${name}`, async () => {
      const old = await this.core.readNamespacedSecret({ namespace: this.namespace, name });
      const next = { ...body, metadata: { ...body.metadata, resourceVersion: old.metadata?.resourceVersion } };
      try {
        return await this.core.replaceNamespacedSecret({ namespace: this.namespace, name, body: next });
      } catch (err) {
        if (statusOf(err) === 409) return undefined;
        throw err;
      }
    }, 10_000, 100);
  }
}
