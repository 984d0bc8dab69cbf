import type { BenchEnv } from './bench-env.ts';
import { connectionFor } from '../../test/integration/support/connections.ts';

/** The simulator refuses a 501st key in an organization; stay well below, the owner key counts too. */
export const KEYS_PER_ORG = 400;

export interface BenchOrg {
  orgId: string;
  /** Every key of this organization lives here, through a ClusterOpsManagerConnection serving it alone with the org's owner key. */
  namespace: string;
  connectionRef: { kind: 'ClusterOpsManagerConnection'; name: string };
  projectIds: string[];
}

/**
 * Extra organizations in the simulator, each with its own ORG_OWNER key. The simulator only
 * lets a key hold roles in the organization it belongs to, so the bootstrap admin cannot own a
 * second organization: each namespace's keys name a cluster connection with its organization's
 * owner key in spec.connectionRef (the operator keeps one client per distinct credential).
 */
export async function prepareOrgs(b: BenchEnv, prefix: string, count: number, projectsPerOrg: number): Promise<BenchOrg[]> {
  const orgs: BenchOrg[] = [];
  for (let i = 0; i < count; i++) {
    const org = b.sim.state.addOrg(`${prefix} organization ${i}`, false);
    const owner = b.sim.state.addKey(org.id, `${prefix} owner ${i}`, [{ orgId: org.id, roleName: 'ORG_OWNER' }]);
    const projectIds = Array.from({ length: projectsPerOrg }, (_, p) => b.sim.state.addProject(org.id, `${prefix} project ${i}.${p}`).id);
    const namespace = `${prefix}-org${i}`;
    await b.kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    const connectionRef = await connectionFor(b.env.kc, namespace, { url: b.sim.url, orgId: org.id, projectIds, key: owner });
    orgs.push({ orgId: org.id, namespace, connectionRef, projectIds });
  }
  return orgs;
}

export function orgsFor(keys: number): number {
  return Math.max(2, Math.ceil(keys / KEYS_PER_ORG));
}
