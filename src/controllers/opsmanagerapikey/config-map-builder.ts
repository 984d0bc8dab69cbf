import type { V1ConfigMap } from '@kubernetes/client-node';
import { API_VERSION, LABEL_MANAGED_BY, MANAGED_BY_VALUE, OPS_MANAGER_API_KEY_KIND, type OpsManagerApiKey } from '../../api/types.ts';

/** What the MongoDB Enterprise Kubernetes Operator reads from its project ConfigMap (spec.opsManager.configMapRef). */
export interface ProjectConfig {
  baseUrl: string;
  orgId: string;
  projectName: string;
}

/** The whole desired ConfigMap; the caller decides whether to create or update it. */
export function buildConfigMap(obj: OpsManagerApiKey, name: string, config: ProjectConfig): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: obj.metadata.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_VALUE },
      ownerReferences: [{ apiVersion: API_VERSION, kind: OPS_MANAGER_API_KEY_KIND, name: obj.metadata.name ?? '', uid: obj.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    data: { baseUrl: config.baseUrl, orgId: config.orgId, projectName: config.projectName },
  };
}

/** True when the ConfigMap already carries what `desired` would write (its data exactly, our label). */
export function configMapMatches(actual: V1ConfigMap, desired: V1ConfigMap): boolean {
  const data = (c: V1ConfigMap): string => JSON.stringify(Object.entries(c.data ?? {}).sort());
  return data(actual) === data(desired) && actual.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_VALUE;
}

/** The data a ConfigMap holds, as one comparable string (what the freshness shortcut remembers). */
export function configMapFingerprint(cm: V1ConfigMap): string {
  return JSON.stringify(Object.entries(cm.data ?? {}).sort());
}
