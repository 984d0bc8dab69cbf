import { startSimulator } from '../../tools/opsmanager-sim/server.ts';
import type { SimHandle, SimOptions } from '../../tools/opsmanager-sim/server.ts';
import { OpsManagerClient } from '../../src/opsmanager/client.ts';
import type { OpsManagerClientOptions } from '../../src/opsmanager/client.ts';

export interface Harness {
  sim: SimHandle;
  /** Clients made by `client()`, closed by `stop()`. */
  client(extra?: Partial<OpsManagerClientOptions>): OpsManagerClient;
  /** Waits requested from the client's injected sleep, in order. */
  sleeps: number[];
  stop(): Promise<void>;
}

/** A simulator plus clients whose retry waits are recorded and skipped (no timed tests). */
export async function harness(simOpts: SimOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ admin: true, ...simOpts });
  const clients: OpsManagerClient[] = [];
  const sleeps: number[] = [];
  // Waits are skipped but move the client's clock, so a Retry-After it holds runs out as it would.
  let clockMs = 0;
  return {
    sim,
    sleeps,
    client(extra = {}) {
      const c = new OpsManagerClient({
        baseUrl: sim.url,
        publicKey: sim.admin.publicKey,
        privateKey: sim.admin.privateKey,
        version: 'test',
        timeoutMs: 5000,
        sleep: (ms) => { sleeps.push(ms); clockMs += ms; return Promise.resolve(); },
        now: () => clockMs,
        ...extra,
      });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await sim.close();
    },
  };
}

/** Requests the simulator answered with `status` (0: dropped or held). */
export function statusCount(sim: SimHandle, status: number): number {
  return sim.stats.list().filter((r) => r.status === status).reduce((n, r) => n + r.count, 0);
}

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}
