// Throughput and memory of the Ops Manager simulator on loopback.
// `npx tsx bench/sim-throughput.ts [--seconds 5] [--concurrency 10]`; prints one JSON object.
// The simulator runs in a child process so that its RSS and CPU are its own.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { API, authorization, parseChallenge, SimClient } from '../tools/opsmanager-sim/sim-client.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

const main = fileURLToPath(new URL('../tools/opsmanager-sim/main.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', main], { stdio: ['ignore', 'pipe', 'inherit'] });
const banner = await new Promise<{ url: string; orgId: string; adminPublicKey: string; adminPrivateKey: string }>((resolve) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as never);
  });
});
const rssMiB = (): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return Math.round((Number(m?.[1] ?? 0) / 1024) * 10) / 10;
};

const admin = new SimClient(banner.url, banner.adminPublicKey, banner.adminPrivateKey);
const keysPath = `/orgs/${banner.orgId}/apiKeys`;
const rssIdle = rssMiB();
const first = (await admin.post(keysPath, { desc: 'bench', roles: ['ORG_OWNER'] })).body;

// Fill the organization first, so that throughput and memory are measured at its 500-key limit
// (each key with two access-list entries) and authentication scans a full key table.
for (let i = 2; i < 500; i++) {
  const k = (await admin.post(keysPath, { desc: `bench key ${i}`, roles: ['ORG_MEMBER'] })).body;
  await admin.post(`${keysPath}/${k.id}/accessList`, [{ ipAddress: '192.0.2.10' }, { cidrBlock: '10.20.0.0/16' }]);
}
const count = (await admin.get(`${keysPath}?itemsPerPage=1`)).body.totalCount;

// Throughput: GET one key, Digest on every request, one nonce shared by all workers.
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const uri = `${API}${keysPath}/${first.id}`;
const challenge = await new Promise<string>((resolve, reject) => {
  request(banner.url + uri, { agent }, (res) => {
    res.resume();
    resolve(parseChallenge(res.headers['www-authenticate']).nonce ?? '');
  }).on('error', reject).end();
});
let nc = 0;
let ok = 0;
let failed = 0;
const latencies: number[] = [];
const deadline = Date.now() + seconds * 1000;
const one = () =>
  new Promise<void>((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const auth = authorization({ user: first.publicKey, pass: first.privateKey, realm: 'MMS Public API', nonce: challenge, method: 'GET', uri, nc: ++nc });
    request(banner.url + uri, { agent, headers: { Authorization: auth } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) ok++;
        else failed++;
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        resolve();
      });
    }).on('error', reject).end();
  });
const started = Date.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (Date.now() < deadline) await one();
}));
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number): number => Math.round((latencies[Math.floor((latencies.length - 1) * p)] ?? 0) * 100) / 100;

const rss500 = rssMiB();
agent.destroy();
child.kill('SIGTERM');

console.log(JSON.stringify({
  concurrency,
  seconds: Math.round(elapsed * 100) / 100,
  requests: ok + failed,
  failed,
  requestsPerSecond: Math.round((ok + failed) / elapsed),
  latencyMs: { p50: pct(0.5), p99: pct(0.99) },
  keys: count,
  rssMiB: { idle: rssIdle, with500Keys: rss500 },
}));
