import { startSimulator, type SimHandle } from '../../tools/opsmanager-sim/server.ts';
import type { ApiKey } from '../../tools/opsmanager-sim/state.ts';

/**
 * One in-process simulator for many histories (starting one per history would cost more than
 * most histories): reset() brings it back to its seed (the bootstrap key, no faults). Every
 * private key it mints is remembered, so that the leak check can look for each of them even if
 * the key was deleted within the reconcile that made it.
 */
export class SimFixture {
  private minted = new Set<string>();
  /** Each key's description when it was made: the operator's are born with the pending tag (whom they were made for). */
  private readonly born = new Map<string, string>();
  /** The bootstrap key as seeded (its access list admits the loopback caller), restored by reset(). */
  private readonly adminSeed: string;

  private constructor(readonly sim: SimHandle) {
    const state = sim.state;
    this.adminSeed = JSON.stringify(state.apiKeys.get(sim.admin.id));
    const addKey = state.addKey.bind(state);
    state.addKey = (...args) => {
      const key = addKey(...args);
      this.minted.add(key.privateKey);
      this.born.set(key.id, key.desc);
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
    // Put back even if a history deleted it (a finding): else every later history would fail with it.
    const seeded = JSON.parse(this.adminSeed) as ApiKey;
    const admin = this.sim.state.apiKeys.get(this.sim.admin.id);
    if (admin) Object.assign(admin, seeded);
    else this.sim.state.apiKeys.set(this.sim.admin.id, seeded);
    this.minted = new Set([this.sim.admin.privateKey]);
    this.born.clear();
    return this.minted;
  }

  /** The description key `id` was made with (since the last reset); undefined for the bootstrap key. */
  bornAs(id: string): string | undefined {
    return this.born.get(id);
  }

  close(): Promise<void> {
    return this.sim.close();
  }
}
