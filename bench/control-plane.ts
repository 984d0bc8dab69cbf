// Start time and memory of the test control plane (etcd + kube-apiserver + kube-controller-manager).
// Usage: OMKEYS_CP_BIN=$(hack/build-control-plane.sh | tail -1) npx tsx bench/control-plane.ts [runs]
import { readFileSync } from 'node:fs';
import { ControlPlane } from '../tools/envtest/control-plane.ts';

function rssMiB(pid: number | undefined): number {
  if (!pid) return 0;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

const binDir = process.env.OMKEYS_CP_BIN;
if (!binDir) throw new Error('set OMKEYS_CP_BIN (hack/build-control-plane.sh | tail -1)');
const runs = Number(process.argv[2] ?? 3);
const results: Array<{ startSeconds: number; rssMiB: Record<string, number> }> = [];
for (let i = 0; i < runs; i++) {
  const cp = new ControlPlane({ binDir });
  const t0 = performance.now();
  await cp.start();
  const startSeconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 5000)); // let the controller manager settle
  const rss = Object.fromEntries(Object.entries(cp.pids()).map(([name, pid]) => [name, Math.round(rssMiB(pid))]));
  results.push({ startSeconds: Number(startSeconds.toFixed(2)), rssMiB: rss });
  await cp.stop();
}
const starts = results.map((r) => r.startSeconds).sort((a, b) => a - b);
console.log(JSON.stringify({ runs: results, medianStartSeconds: starts[Math.floor(starts.length / 2)] }, null, 2));
