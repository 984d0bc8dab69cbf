// Runtime overhead per key: how many keys/s go through the work queue, and through a whole
// Controller (informer event -> queue -> empty reconcile -> metrics), on the real clock.
// `npx tsx bench/queue-overhead.ts [--keys 200000] [--concurrency 4]`; prints one JSON object.
import { parseArgs } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeClient } from '../src/kube/kube-client.ts';
import { Registry } from 'prom-client';
import { systemClock } from '../src/runtime/clock.ts';
import { Controller } from '../src/runtime/controller.ts';
import { ManagedInformer, type ListWatchLike } from '../src/runtime/informer.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { createMetrics } from '../src/runtime/metrics.ts';
import { WorkQueue } from '../src/runtime/work-queue.ts';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '200000' }, concurrency: { type: 'string', default: '4' } } });
const keys = Number(values.keys);
const concurrency = Number(values.concurrency);

async function queueOnly(): Promise<number> {
  const q = new WorkQueue({ clock: systemClock, concurrency });
  let done = 0;
  const finished = new Promise<void>((resolve) => {
    q.run(() => {
      if (++done === keys) resolve();
      return Promise.resolve();
    });
  });
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) q.add(`ns-${i % 100}/key-${i}`);
  await finished;
  return keys / ((performance.now() - t0) / 1000);
}

async function throughController(): Promise<number> {
  const addCallbacks: Array<(o: KubernetesObject) => void> = [];
  const stub: ListWatchLike<KubernetesObject> = {
    on: (verb: string, cb: (o: never) => void) => {
      if (verb === 'add') addCallbacks.push(cb as (o: KubernetesObject) => void);
    },
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
  const logger = createLogger({ level: 'silent' });
  const informer = new ManagedInformer<KubernetesObject>({
    kube: new KubeClient({ server: 'http://127.0.0.1:1' }),
    path: '/api/v1/configmaps',
    clock: systemClock,
    logger,
    name: 'bench',
    createListWatch: () => stub,
  });
  await informer.start();
  let done = 0;
  let resolveAll!: () => void;
  const finished = new Promise<void>((resolve) => (resolveAll = resolve));
  const controller = new Controller(
    {
      name: 'bench',
      primary: informer,
      concurrency,
      resyncPeriodMs: 0,
      reconcile: () => {
        if (++done === keys) resolveAll();
        return Promise.resolve();
      },
    },
    { clock: systemClock, logger, metrics: createMetrics(new Registry()) },
  );
  controller.start();
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) {
    const obj = { metadata: { namespace: `ns-${i % 100}`, name: `key-${i}`, resourceVersion: '1' } };
    for (const cb of addCallbacks) cb(obj);
  }
  await finished;
  const rate = keys / ((performance.now() - t0) / 1000);
  await controller.stop();
  return rate;
}

const queueRate = await queueOnly();
const controllerRate = await throughController();
console.log(
  JSON.stringify({
    bench: 'queue-overhead',
    keys,
    concurrency,
    queueKeysPerSec: Math.round(queueRate),
    controllerKeysPerSec: Math.round(controllerRate),
    usPerKeyController: Math.round((1e6 / controllerRate) * 100) / 100,
  }),
);
