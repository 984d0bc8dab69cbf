// Memory of a Manager whose informer cache holds N ConfigMaps (default 10,000, ~1 KiB each).
// `npx tsx bench/manager-rss.ts [--objects 10000]` (needs OMKEYS_CP_BIN, see hack/build-control-plane.sh);
// prints one JSON object. The manager runs in a child process so its RSS is its own.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { KubeClient } from '../src/kube/kube-client.ts';
import { loadKubeconfigFile } from '../src/kube/kube-config.ts';
import { systemClock } from '../src/runtime/clock.ts';
import { Controller } from '../src/runtime/controller.ts';
import { ManagedInformer } from '../src/runtime/informer.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { Manager } from '../src/runtime/manager.ts';
import { ControlPlane } from '../tools/envtest/control-plane.ts';

const { values } = parseArgs({
  options: { objects: { type: 'string', default: '10000' }, child: { type: 'string' }, namespace: { type: 'string', default: 'rss' } },
});
const objects = Number(values.objects);
const mib = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10;

async function child(kubeconfig: string, namespace: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const kube = new KubeClient(loadKubeconfigFile(kubeconfig));
  const logger = createLogger({ level: 'warn' });
  const informer = new ManagedInformer({
    kube,
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    clock: systemClock,
    logger,
    name: 'configmaps',
  });
  let reconciled = 0;
  const registry = new Registry();
  const manager = new Manager({ kube, clock: systemClock, logger, registry, leaderElection: false, httpPort: 0, httpHost: '127.0.0.1' });
  manager.addInformer(informer);
  manager.addController(
    new Controller(
      { name: 'cm', primary: informer, concurrency: 4, reconcile: () => Promise.resolve(void reconciled++) },
      { clock: systemClock, logger, metrics: manager.metrics },
    ),
  );
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  await manager.start();
  const syncMs = performance.now() - t0;
  while (reconciled < informer.size) await new Promise((r) => setTimeout(r, 100));
  const reconcileMs = performance.now() - t0;
  gc();
  const after = process.memoryUsage();
  await manager.stop();
  process.stdout.write(
    `${JSON.stringify({ cached: informer.size, reconciled, syncMs: Math.round(syncMs), allReconciledMs: Math.round(reconcileMs), rssBeforeMiB: mib(before.rss), rssAfterMiB: mib(after.rss), heapBeforeMiB: mib(before.heapUsed), heapAfterMiB: mib(after.heapUsed) })}\n`,
  );
}

async function main(): Promise<void> {
  const binDir = process.env.OMKEYS_CP_BIN;
  if (!binDir) throw new Error('set OMKEYS_CP_BIN (hack/build-control-plane.sh | tail -1)');
  const plane = new ControlPlane({ binDir });
  await plane.start();
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(plane.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = values.namespace;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const payload = 'x'.repeat(1000);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < objects) {
          const i = next++;
          await core.createNamespacedConfigMap({
            namespace,
            body: { metadata: { name: `cm-${i}`, labels: { 'app.kubernetes.io/managed-by': 'omkeys' } }, data: { payload, index: String(i) } },
          });
        }
      }),
    );
    const createMs = performance.now() - t0;
    const self = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', plane.kubeconfigPath, '--namespace', namespace], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    if (code !== 0) throw new Error(`manager child exited with ${code}`);
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
    console.log(JSON.stringify({ bench: 'manager-rss', objects, createMs: Math.round(createMs), ...result }));
  } finally {
    await plane.stop();
  }
}

if (values.child) await child(values.child, values.namespace);
else await main();
