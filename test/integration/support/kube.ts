import { CoreV1Api, CustomObjectsApi, EventsV1Api, type V1Secret } from '@kubernetes/client-node';
import { GROUP, OPS_MANAGER_API_KEY_PLURAL, PROJECT_KEY_BINDING_PLURAL, VERSION, type OpsManagerApiKey, type OpsManagerApiKeySpec, type ProjectKeyBinding, type ProjectKeyBindingSpec } from '../../../src/api/types.ts';
import type { TestEnv } from '../../../tools/envtest/env.ts';
import { statusOf } from '../../../tools/envtest/crds.ts';
import { waitFor } from '../../../tools/envtest/process.ts';

/** Small typed helpers over the admin client for the integration tests. */
export class Kube {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly events: EventsV1Api;

  constructor(readonly env: TestEnv) {
    this.custom = env.kc.makeApiClient(CustomObjectsApi);
    this.core = env.kc.makeApiClient(CoreV1Api);
    this.events = env.kc.makeApiClient(EventsV1Api);
  }

  async createKey(namespace: string, name: string, spec: OpsManagerApiKeySpec): Promise<OpsManagerApiKey> {
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'OpsManagerApiKey', metadata: { name, namespace }, spec };
    return (await this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: OPS_MANAGER_API_KEY_PLURAL, body })) as OpsManagerApiKey;
  }

  async getKey(namespace: string, name: string): Promise<OpsManagerApiKey | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: OPS_MANAGER_API_KEY_PLURAL, name })) as OpsManagerApiKey;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Applies a change to the spec (read-modify-write, retried on conflict). */
  async updateKeySpec(namespace: string, name: string, change: (spec: OpsManagerApiKeySpec) => void): Promise<OpsManagerApiKey> {
    return waitFor('spec update', async () => {
      const obj = await this.getKey(namespace, name);
      if (!obj) throw new Error(`${namespace}/${name} not found`);
      change(obj.spec);
      return (await this.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: OPS_MANAGER_API_KEY_PLURAL, name, body: obj })) as OpsManagerApiKey;
    }, 10_000);
  }

  /** Sets annotations on a key, as `kubectl annotate --overwrite` does (read-modify-write, retried on conflict). */
  async annotateKey(namespace: string, name: string, annotations: Record<string, string>): Promise<OpsManagerApiKey> {
    return waitFor('annotate', async () => {
      const obj = await this.getKey(namespace, name);
      if (!obj) throw new Error(`${namespace}/${name} not found`);
      obj.metadata.annotations = { ...obj.metadata.annotations, ...annotations };
      return (await this.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: OPS_MANAGER_API_KEY_PLURAL, name, body: obj })) as OpsManagerApiKey;
    }, 10_000);
  }

  /** Makes a scheduled rotation due, as if the key had been minted two hours ago (status edit as admin). */
  async makeRotationDue(namespace: string, name: string): Promise<void> {
    const past = (ms: number): string => new Date(Date.now() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await waitFor('status edit', async () => {
      const obj = await this.getKey(namespace, name);
      if (!obj) throw new Error(`${namespace}/${name} not found`);
      obj.status = { ...obj.status, rotatedAt: past(7_200_000), nextRotationAt: past(3_600_000) };
      return (await this.custom.replaceNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: OPS_MANAGER_API_KEY_PLURAL, name, body: obj })) as OpsManagerApiKey;
    }, 10_000);
  }

  async deleteKey(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: OPS_MANAGER_API_KEY_PLURAL, name });
  }

  async createBinding(namespace: string, name: string, spec: ProjectKeyBindingSpec): Promise<ProjectKeyBinding> {
    const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'ProjectKeyBinding', metadata: { name, namespace }, spec };
    return (await this.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PROJECT_KEY_BINDING_PLURAL, body })) as ProjectKeyBinding;
  }

  async getBinding(namespace: string, name: string): Promise<ProjectKeyBinding | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PROJECT_KEY_BINDING_PLURAL, name })) as ProjectKeyBinding;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Waits until the resource's condition `type` has `status` (and `reason`, if given). */
  async waitForKeyCondition(namespace: string, name: string, type: string, status: 'True' | 'False', reason?: string, timeoutMs = 30_000): Promise<OpsManagerApiKey> {
    return waitFor(`${namespace}/${name} ${type}=${status}${reason ? ` (${reason})` : ''}`, async () => {
      const obj = await this.getKey(namespace, name);
      const c = obj?.status?.conditions?.find((x) => x.type === type);
      const ok = c?.status === status && (reason === undefined || c.reason === reason) && c.observedGeneration === obj?.metadata.generation;
      return ok ? obj : undefined;
    }, timeoutMs, 100);
  }

  async waitForReady(namespace: string, name: string, timeoutMs = 30_000): Promise<OpsManagerApiKey> {
    return this.waitForKeyCondition(namespace, name, 'Ready', 'True', undefined, timeoutMs);
  }

  async secret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ namespace, name });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async secretData(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const s = await this.secret(namespace, name);
    if (!s) return undefined;
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }

  /** Events about one object (events.k8s.io/v1), as `reason: note` lines. */
  async eventsFor(namespace: string, name: string): Promise<Array<{ type: string; reason: string; note: string }>> {
    const list = await this.events.listNamespacedEvent({ namespace });
    return list.items
      .filter((e) => e.regarding?.name === name)
      .map((e) => ({ type: e.type ?? '', reason: e.reason ?? '', note: e.note ?? '' }));
  }

  async allEventsText(namespace: string): Promise<string> {
    const list = await this.events.listNamespacedEvent({ namespace });
    return JSON.stringify(list.items);
  }
}
