import { KubeClient, type KubeClientOptions, type KubeRequest } from '../kube/kube-client.ts';
import type { ClusterAccess } from '../kube/kube-config.ts';
import type { OpsManagerClient } from '../opsmanager/client.ts';
import { LeadershipLostError } from './leader-election.ts';

/**
 * The fence is an AbortSignal that the Manager aborts, with a LeadershipLostError, the moment
 * this process loses the Lease. The clients below are built with it, so that a reconcile in
 * flight at that moment sends nothing more to Kubernetes or Ops Manager, whatever step it is at:
 * the reconcilers need not know about leadership at all.
 */
export function fenceError(fence: AbortSignal): Error {
  const reason: unknown = fence.reason;
  return reason instanceof Error ? reason : new LeadershipLostError('the Lease was lost', { cause: reason });
}

/**
 * A KubeClient whose writes stop at the fence: a write in flight is abandoned (its request
 * aborted) and none is sent after it closed. Reads and watches go on: they change nothing, and
 * the process is about to exit.
 */
export class FencedKubeClient extends KubeClient {
  private readonly fence: AbortSignal;

  constructor(access: ClusterAccess, fence: AbortSignal, opts?: KubeClientOptions) {
    super(access, opts);
    this.fence = fence;
  }

  override async request<T>(r: KubeRequest): Promise<T> {
    if ((r.method ?? 'GET') === 'GET') return super.request<T>(r);
    if (this.fence.aborted) throw fenceError(this.fence);
    const signal = r.signal ? AbortSignal.any([r.signal, this.fence]) : this.fence;
    try {
      return await super.request<T>({ ...r, signal });
    } catch (err) {
      if (this.fence.aborted) throw fenceError(this.fence);
      throw err;
    }
  }
}

/**
 * An Ops Manager client that refuses every call once the fence is closed, reads included (a
 * listing feeds the writes that follow it), and every page of a listing already begun. Build
 * the client with `sleep: fencedSleep(...)` too, so that a call waiting to retry, or waiting
 * for a Retry-After, fails at the fence instead of sending again.
 */
export function fenceOpsManagerClient(client: OpsManagerClient, fence: AbortSignal): OpsManagerClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      // close() must still work: the connection pool closes clients whose credentials rotated.
      if (prop === 'close') return value.bind(target) as unknown;
      return (...args: unknown[]): unknown => {
        if (fence.aborted) return refusal(fenceError(fence));
        const result: unknown = Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        return isAsyncIterable(result) ? fencedIterable(result, fence) : result;
      };
    },
  });
}

/** A sleep that rejects with the fence's reason as soon as the fence closes. */
export function fencedSleep(
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  fence: AbortSignal,
): (ms: number) => Promise<void> {
  return (ms) => sleep(ms, fence).catch((err: unknown) => {
    throw fence.aborted ? fenceError(fence) : err;
  });
}

/**
 * What a refused call returns, whichever kind the method is: a promise that rejects when awaited
 * and an iterable that throws when listed (only the way the caller uses it is observed).
 */
function refusal(err: Error): Promise<never> & AsyncIterable<never> {
  const rejected = Promise.reject(err);
  // A listing is iterated, not awaited: its promise side must not count as unhandled.
  rejected.catch(() => undefined);
  return Object.assign(rejected, {
    [Symbol.asyncIterator]: (): AsyncIterator<never> => ({ next: () => Promise.reject(err) }),
  });
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v && !(v instanceof Promise);
}

async function* fencedIterable<T>(it: AsyncIterable<T>, fence: AbortSignal): AsyncGenerator<T> {
  if (fence.aborted) throw fenceError(fence);
  for await (const item of it) {
    if (fence.aborted) throw fenceError(fence);
    yield item;
  }
}
