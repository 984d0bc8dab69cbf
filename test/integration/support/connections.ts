import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  CLUSTER_CONNECTION_PLURAL,
  GROUP,
  GROUP_ROLES,
  NAMESPACED_CONNECTION_PLURAL,
  ORG_ROLES,
  VERSION,
  type ClusterOpsManagerConnection,
  type ClusterOpsManagerConnectionSpec,
  type ConnectionGrant,
  type OpsManagerConnection,
} from '../../../src/api/types.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { waitFor } from '../../../tools/envtest/process.ts';

/** The ClusterOpsManagerConnection the harness marks default (one at a time: suites run one after another). */
export const TEST_CONNECTION = 'omkeys-test';
/** Its credentials Secret, in the operator's namespace. */
export const TEST_CONNECTION_SECRET = { namespace: 'omkeys-system', name: 'om-default-connection' };
export const ALL_ROLES: string[] = [...ORG_ROLES, ...GROUP_ROLES];

/**
 * The test operator's default policy: every namespace, the simulator's organization and
 * projects, every role but ORG_OWNER, adoption with the private key (what the operator's
 * defaults allowed before connections were objects; a suite narrows or widens it as it needs).
 */
export function testGrant(sim: { orgId: string; projectIds: readonly string[] }, over: Partial<ConnectionGrant> = {}): ConnectionGrant {
  return {
    namespaces: { selector: {} },
    organizations: [sim.orgId],
    projects: [...sim.projectIds],
    roles: ALL_ROLES.filter((r) => r !== 'ORG_OWNER'),
    adoption: 'WithPrivateKey',
    ...over,
  };
}

async function upsert(api: CustomObjectsApi, plural: string, namespace: string | undefined, body: { metadata: { name?: string } }): Promise<void> {
  const name = body.metadata.name ?? '';
  try {
    if (namespace) await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, body });
    else await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body });
    return;
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
  // The operator writes the object's status meanwhile (a new resourceVersion): read again and retry.
  await waitFor(`replace of ${plural} ${name}`, async () => {
    const current = (namespace
      ? await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })
      : await api.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })) as { metadata: { resourceVersion?: string } };
    const next = { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion } };
    try {
      if (namespace) await api.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name, body: next });
      else await api.replaceClusterCustomObject({ group: GROUP, version: VERSION, plural, name, body: next });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }, 10_000, 50);
}

/** Creates or replaces a credentials Secret (publicKey, privateKey, and any extra keys such as ca.crt). */
export async function applyCredentials(kc: KubeConfig, namespace: string, name: string, data: Record<string, string>): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const body = { metadata: { name, namespace }, stringData: data };
  try {
    await core.createNamespacedSecret({ namespace, body });
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
    await core.replaceNamespacedSecret({ namespace, name, body });
  }
}

/**
 * Creates or replaces a ClusterOpsManagerConnection. With `ownerNamespace`, the namespace owns it:
 * the garbage collector deletes it once that namespace is gone (its keys finalized through it
 * first), so a test's cluster-scoped connection does not outlive the test into the next suites.
 */
export async function applyClusterConnection(kc: KubeConfig, name: string, spec: ClusterOpsManagerConnectionSpec, ownerNamespace?: string): Promise<void> {
  const ownerReferences = ownerNamespace ? [await namespaceOwner(kc, ownerNamespace)] : undefined;
  const metadata = { name, ...(ownerReferences ? { ownerReferences } : {}) };
  const body: ClusterOpsManagerConnection = { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClusterOpsManagerConnection', metadata, spec };
  await upsert(kc.makeApiClient(CustomObjectsApi), CLUSTER_CONNECTION_PLURAL, undefined, body);
}

async function namespaceOwner(kc: KubeConfig, name: string): Promise<{ apiVersion: string; kind: string; name: string; uid: string }> {
  const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name });
  return { apiVersion: 'v1', kind: 'Namespace', name, uid: ns.metadata?.uid ?? '' };
}

/** Creates or replaces an OpsManagerConnection. */
export async function applyNamespacedConnection(kc: KubeConfig, namespace: string, name: string, spec: OpsManagerConnection['spec']): Promise<void> {
  const body: OpsManagerConnection = { apiVersion: `${GROUP}/${VERSION}`, kind: 'OpsManagerConnection', metadata: { name, namespace }, spec };
  await upsert(kc.makeApiClient(CustomObjectsApi), NAMESPACED_CONNECTION_PLURAL, namespace, body);
}

export async function deleteClusterConnection(kc: KubeConfig, name: string): Promise<void> {
  try {
    await kc.makeApiClient(CustomObjectsApi).deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: CLUSTER_CONNECTION_PLURAL, name });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

/** A connection's status as the operator wrote it. */
export async function connectionReady(kc: KubeConfig, name: string, namespace?: string): Promise<{ status?: string; reason?: string; message?: string } | undefined> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const obj = (namespace
    ? await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: NAMESPACED_CONNECTION_PLURAL, name })
    : await api.getClusterCustomObject({ group: GROUP, version: VERSION, plural: CLUSTER_CONNECTION_PLURAL, name })) as { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } };
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}

/**
 * A ClusterOpsManagerConnection serving `namespace` alone (named `<namespace>-<suffix>`), its
 * credentials Secret in that namespace: what an admin gives one team. Returns the key's connectionRef.
 */
export async function connectionFor(
  kc: KubeConfig,
  namespace: string,
  om: { url: string; orgId: string; projectIds: readonly string[]; key: { publicKey: string; privateKey: string }; caPem?: string },
  opts: { suffix?: string; grant?: Partial<ConnectionGrant>; baseUrl?: string } = {},
): Promise<{ kind: 'ClusterOpsManagerConnection'; name: string }> {
  const name = `${namespace}-${opts.suffix ?? 'om'}`;
  await applyCredentials(kc, namespace, name, { publicKey: om.key.publicKey, privateKey: om.key.privateKey, ...(om.caPem ? { 'ca.crt': om.caPem } : {}) });
  await applyClusterConnection(kc, name, {
    baseUrl: opts.baseUrl ?? om.url,
    credentialsSecretRef: { namespace, name },
    ...(om.caPem ? { caSecretRef: { namespace, name } } : {}),
    policy: { grants: [{ ...testGrant(om, { namespaces: { names: [namespace] }, roles: ALL_ROLES }), ...opts.grant }] },
  }, namespace);
  return { kind: 'ClusterOpsManagerConnection', name };
}

/** Replaces the policy of the harness's default connection (a suite widening or narrowing it as an admin would). */
export async function setDefaultPolicy(kc: KubeConfig, sim: { url: string }, grants: ConnectionGrant[], secret = TEST_CONNECTION_SECRET): Promise<void> {
  await applyClusterConnection(kc, TEST_CONNECTION, { baseUrl: sim.url, credentialsSecretRef: secret, default: true, policy: { grants } });
}
