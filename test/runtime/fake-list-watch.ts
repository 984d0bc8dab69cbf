import type { KubernetesObject } from '@kubernetes/client-node';
import type { ListWatchLike, ManagedInformerOptions } from '../../src/runtime/informer.ts';
import { ManagedInformer } from '../../src/runtime/informer.ts';
import { createLogger } from '../../src/runtime/logger.ts';
import type { Clock } from '../../src/runtime/clock.ts';
import { Writable } from 'node:stream';
import { KubeClient } from '../../src/kube/kube-client.ts';

type Cb = (arg?: unknown) => void;

/** Stands in for client-node's ListWatch: the test scripts each start() and pushes events. */
export class FakeListWatch<T extends KubernetesObject> implements ListWatchLike<T> {
  readonly callbacks: Record<string, Cb[]> = { add: [], update: [], delete: [], error: [], connect: [] };
  /** Outcome of each coming start(): an error is reported the way ListWatch does (error callback). */
  startOutcomes: Array<'ok' | Error> = [];
  starts = 0;
  stops = 0;

  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  on(verb: string, cb: (arg: never) => void): void {
    this.callbacks[verb]!.push(cb as Cb);
  }

  start(): Promise<void> {
    this.starts++;
    const outcome = this.startOutcomes.shift() ?? 'ok';
    if (outcome !== 'ok') this.fail(outcome);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stops++;
    return Promise.resolve();
  }

  emit(verb: 'add' | 'update' | 'delete', obj: T): void {
    for (const cb of this.callbacks[verb]!) cb(obj);
  }

  fail(err: Error): void {
    for (const cb of this.callbacks.error!) cb(err);
  }
}

export function silentLogger(lines?: string[]): ReturnType<typeof createLogger> {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines?.push(chunk.toString());
      done();
    },
  });
  return createLogger({ level: 'debug', destination });
}

export function configMap(namespace: string, name: string, rv = '1', data: Record<string, string> = {}): KubernetesObject & { data: Record<string, string> } {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name, resourceVersion: rv }, data };
}

export function fakeInformer<T extends KubernetesObject>(
  clock: Clock,
  name = 'fake',
  extra: Partial<ManagedInformerOptions<T>> = {},
): { informer: ManagedInformer<T>; lw: FakeListWatch<T> } {
  const lw = new FakeListWatch<T>();
  const informer = new ManagedInformer<T>({
    kube: new KubeClient({ server: 'http://127.0.0.1:1' }),
    path: '/api/v1/configmaps',
    clock,
    logger: silentLogger(),
    name,
    random: () => 0.5,
    createListWatch: () => lw,
    ...extra,
  });
  return { informer, lw };
}
