import { GROUP, PROJECT_KEY_BINDING_PLURAL, VERSION, type ProjectKeyBinding, type ProjectKeyBindingSpec } from '../../../src/api/types.ts';
import { waitFor } from '../../../tools/envtest/process.ts';
import type { SimHandle } from '../../../tools/opsmanager-sim/server.ts';
import type { Kube } from '../support/kube.ts';

/** The key's roles in a project as the simulator holds them (sorted; [] when not assigned or gone). */
export function simProjectRoles(sim: SimHandle, keyId: string, projectId: string): string[] {
  const key = sim.state.apiKeys.get(keyId);
  return (key?.roles ?? []).filter((r) => r.groupId === projectId).map((r) => r.roleName).sort();
}

/** Waits until the binding's Ready condition has `status` (and `reason`), for its current generation. */
export async function waitForBinding(kube: Kube, ns: string, name: string, status: 'True' | 'False', reason?: string, timeoutMs = 30_000): Promise<ProjectKeyBinding> {
  return waitFor(`binding ${ns}/${name} Ready=${status}${reason ? ` (${reason})` : ''}`, async () => {
    const obj = await kube.getBinding(ns, name);
    const c = obj?.status?.conditions?.find((x) => x.type === 'Ready');
    const ok = c?.status === status && (reason === undefined || c.reason === reason) && c.observedGeneration === obj?.metadata.generation;
    return ok ? obj : undefined;
  }, timeoutMs, 100);
}

export async function updateBindingSpec(kube: Kube, ns: string, name: string, change: (spec: ProjectKeyBindingSpec) => void): Promise<ProjectKeyBinding> {
  return waitFor('binding spec update', async () => {
    const obj = await kube.getBinding(ns, name);
    if (!obj) throw new Error(`${ns}/${name} not found`);
    change(obj.spec);
    return (await kube.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PROJECT_KEY_BINDING_PLURAL, name, body: obj })) as ProjectKeyBinding;
  }, 10_000);
}

export async function deleteBinding(kube: Kube, ns: string, name: string): Promise<void> {
  await kube.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PROJECT_KEY_BINDING_PLURAL, name });
}

export async function waitGone(what: string, get: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${what} to be gone`, async () => (await get()) === undefined, timeoutMs, 100);
}

/** Requests that change something in Ops Manager, from the simulator's counters. */
export function omWrites(sim: SimHandle): number {
  return sim.stats.list().filter((r) => r.method !== 'GET').reduce((n, r) => n + r.count, 0);
}
