import { startSimulator, type SimHandle } from '../../tools/opsmanager-sim/server.ts';

/**
 * One in-process simulator for many histories (starting one per history would cost more than
 * most histories): reset() brings it back to its seed (the bootstrap key, no faults). Every
 * private key it mints is remembered, so that the leak check can look for each of them even if
 * the key was deleted within the reconcile that made it.
 */
export class SimFixture {
  private minted = new Set<string>();
  /** The bootstrap key as seeded (its access list admits the loopback caller), restored by reset(). */
  private readonly adminSeed: string;

  private constructor(readonly sim: SimHandle) {
    const state = sim.state;
    this.adminSeed = JSON.stringify(state.apiKeys.get(sim.admin.id));
    const addKey = state.addKey.bind(state);
    state.addKey = (...args) => {
      const key = addKey(...args);
      this.minted.add(key.privateKey);
      return key;
    };
  }

  static async start(): Promise<SimFixture> {
    return new SimFixture(await startSimulator({ admin: true }));
  }

  /** The simulator as it was seeded; returns the set that collects the private keys minted from now on. */
  reset(): Set<string> {
    this.sim.faults.clear();
    for (const id of [...this.sim.state.apiKeys.keys()]) if (id !== this.sim.admin.id) this.sim.state.apiKeys.delete(id);
    const admin = this.sim.state.apiKeys.get(this.sim.admin.id);
    if (admin) Object.assign(admin, JSON.parse(this.adminSeed) as object);
    this.minted = new Set([this.sim.admin.privateKey]);
    return this.minted;
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}
