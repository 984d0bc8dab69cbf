/**
 * Requests per second through the Ops Manager client against the simulator on loopback,
 * reusing the Digest nonce versus taking a fresh challenge (401 round trip) for every call.
 * Both modes run in the same process, alternating rounds so that machine load hits both.
 *
 *   npx tsx bench/client-nonce-reuse.ts [--seconds 1.5] [--rounds 3] [--concurrency 1,8]
 */
import { parseArgs } from 'node:util';
import { OpsManagerClient } from '../src/opsmanager/client.ts';
import { startSimulator } from '../tools/opsmanager-sim/server.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1.5' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,8' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const levels = values.concurrency.split(',').map(Number);

const sim = await startSimulator();

async function measure(client: OpsManagerClient, keyId: string, concurrency: number): Promise<number> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      await client.getOrgKey(sim.orgId, keyId);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - t0) / 1000);
}

const results: { mode: string; concurrency: number; rps: number[]; median: number; http401: number }[] = [];
try {
  for (const concurrency of levels) {
    const clients = {
      reuse: new OpsManagerClient({ baseUrl: sim.url, publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey, maxConcurrency: concurrency }),
      fresh: new OpsManagerClient({ baseUrl: sim.url, publicKey: sim.admin.publicKey, privateKey: sim.admin.privateKey, maxConcurrency: concurrency, reuseNonce: false }),
    };
    const rps: Record<string, number[]> = { reuse: [], fresh: [] };
    const unauthorized: Record<string, number> = { reuse: 0, fresh: 0 };
    for (const mode of ['reuse', 'fresh'] as const) await measure(clients[mode], sim.admin.id, concurrency); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['reuse', 'fresh'] as const) {
        sim.stats.reset();
        rps[mode]!.push(await measure(clients[mode], sim.admin.id, concurrency));
        unauthorized[mode]! += sim.stats.list().filter((s) => s.status === 401).reduce((n, s) => n + s.count, 0);
      }
    }
    for (const mode of ['reuse', 'fresh'] as const) {
      const sorted = [...rps[mode]!].sort((a, b) => a - b);
      results.push({ mode, concurrency, rps: rps[mode]!.map(Math.round), median: Math.round(sorted[Math.floor(sorted.length / 2)]!), http401: unauthorized[mode]! });
      clients[mode].close();
    }
  }
} finally {
  await sim.close();
}

for (const r of results) console.log(JSON.stringify(r));
for (const c of levels) {
  const reuse = results.find((r) => r.mode === 'reuse' && r.concurrency === c)!;
  const fresh = results.find((r) => r.mode === 'fresh' && r.concurrency === c)!;
  console.log(`concurrency ${c}: nonce reuse ${reuse.median} req/s, fresh challenge ${fresh.median} req/s, speed-up x${(reuse.median / fresh.median).toFixed(2)}`);
}
