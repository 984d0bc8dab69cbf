import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthorizationV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type V1Secret } from '@kubernetes/client-node';
import {
  GROUP,
  OPS_MANAGER_API_KEY_PLURAL,
  VERSION,
  type OpsManagerApiKey,
  type OpsManagerApiKeySpec,
  type OpsManagerApiKeyStatus,
} from '../../../src/api/types.ts';
import type { TestEnv } from '../../../tools/envtest/env.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import { applyFile } from './manifests.ts';

export const TENANT_ACCOUNT = 'tenant';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The aggregated roles omkeys ships for the people who use it (the chart renders the same rules). */
export const USER_ROLES_FILE = path.join(repoRoot, 'deploy', 'user-roles.yaml');

/** Whether the user-facing ClusterRole `name` carries the omkeys rules (the aggregation controller copies them in). */
export async function aggregatesOmkeys(env: TestEnv, name: string): Promise<boolean> {
  const role = await env.kc.makeApiClient(RbacAuthorizationV1Api).readClusterRole({ name });
  return role.rules?.some((r) => r.apiGroups?.includes(GROUP) && r.resources?.includes(OPS_MANAGER_API_KEY_PLURAL)) ?? false;
}

/**
 * Applies deploy/user-roles.yaml, as an admin installing omkeys does, and waits until Kubernetes'
 * `edit` role has aggregated them (a chart test may have removed them to judge the chart's alone).
 */
export async function ensureUserRoles(env: TestEnv): Promise<void> {
  await applyFile(env.kc, USER_ROLES_FILE);
  await waitFor('edit to aggregate omkeys-edit', () => aggregatesOmkeys(env, 'edit'), 30_000, 100);
}

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

  /**
   * A RoleBinding to Kubernetes' own `edit` ClusterRole in `namespace` (what a namespace editor
   * is given; omkeys-edit is aggregated into it) for the tenant's ServiceAccount, made as admin.
   */
  static async of(env: TestEnv, namespace: string): Promise<Tenant> {
    await ensureUserRoles(env);
    await env.kc.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'tenant-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: TENANT_ACCOUNT, namespace }],
      },
    });
    // The authorizer sees a new RoleBinding a moment later: the tenant acts once it does.
    const authz = env.kc.makeApiClient(AuthorizationV1Api);
    const user = `system:serviceaccount:${namespace}:${TENANT_ACCOUNT}`;
    await waitFor(`${user}'s RoleBinding to reach the authorizer`, async () => {
      const attrs = { group: GROUP, resource: OPS_MANAGER_API_KEY_PLURAL, verb: 'create', namespace };
      const r = await authz.createSubjectAccessReview({ body: { spec: { user, resourceAttributes: attrs } } });
      return r.status?.allowed === true;
    }, 10_000, 50);
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

  /** A write of the status subresource, which `edit` does not grant: the HTTP status the API server answered. */
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
