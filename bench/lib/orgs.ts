import type { BenchEnv } from './bench-env.ts';

/** The simulator refuses a 501st key in an organization; stay well below, the owner key counts too. */
export const KEYS_PER_ORG = 400;

export interface BenchOrg {
  orgId: string;
  /** Every key of this organization lives here, with a connection Secret to the org's owner key. */
  namespace: string;
  connectionSecret: string;
  projectIds: string[];
}

/**
 * Extra organizations in the simulator, each with its own ORG_OWNER key. The simulator only
 * lets a key hold roles in the organization it belongs to, so the bootstrap admin cannot own a
 * second organization: each namespace names its organization's owner key through
 * spec.connectionSecretRef instead (the operator keeps one client per distinct credential).
 */
export async function prepareOrgs(b: BenchEnv, prefix: string, count: number, projectsPerOrg: number): Promise<BenchOrg[]> {
  const orgs: BenchOrg[] = [];
  for (let i = 0; i < count; i++) {
    const org = b.sim.state.addOrg(`${prefix} organization ${i}`, false);
    const owner = b.sim.state.addKey(org.id, `${prefix} owner ${i}`, [{ orgId: org.id, roleName: 'ORG_OWNER' }]);
    const projectIds = Array.from({ length: projectsPerOrg }, (_, p) => b.sim.state.addProject(org.id, `${prefix} project ${i}.${p}`).id);
    const namespace = `${prefix}-org${i}`;
    const connectionSecret = 'om-owner';
    await b.kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    await b.kube.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: connectionSecret }, stringData: { baseUrl: b.sim.url, publicKey: owner.publicKey, privateKey: owner.privateKey } },
    });
    orgs.push({ orgId: org.id, namespace, connectionSecret, projectIds });
  }
  return orgs;
}

export function orgsFor(keys: number): number {
  return Math.max(2, Math.ceil(keys / KEYS_PER_ORG));
}
