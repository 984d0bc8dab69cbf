import type { KubernetesObject } from '@kubernetes/client-node';
import type { NAMESPACED_CONNECTION_KIND} from '../../api/types.ts';
import { CLUSTER_CONNECTION_KIND, type ConnectionStatus, type ObjectMeta } from '../../api/types.ts';
import { isNotFound, isConflict } from '../../kube/api-errors.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Controller, ControllerDeps } from '../../runtime/controller.ts';
import { splitKey } from '../../runtime/controller.ts';
import type { Informer } from '../../runtime/informer.ts';
import { TransientError } from '../../runtime/errors.ts';
import { classifyError } from '../shared/classify.ts';
import type { ConnectionPool } from '../shared/connections.ts';
import { buildController } from '../shared/controller-builder.ts';
import { connectionStatus, provenByUse, readyForGeneration, statusDiffers, type Probe } from './status.ts';

interface ConnectionObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  status?: ConnectionStatus;
}

/** Where a connection's status is written (CustomObjects of its kind). */
export interface StatusWriter {
  replaceStatus(obj: ConnectionObject): Promise<unknown>;
}

/** Organizations listed in a Ready message; the probe reads one page at most. */
const LISTED = 10;

/**
 * Keeps each connection's status saying whether its credential authenticates: one cheap call
 * (the organizations it can see, one page) when the connection or its resync comes, so a wrong
 * or rotated credential shows on the connection itself, not only on every key that uses it.
 * A Ready connection whose keys' calls authenticated within the period is not probed: at a
 * resync every key reads Ops Manager through it anyway (a probe would add a read per connection).
 * Found Ready but unproven (at start, or a resync that comes before its keys'), it waits once,
 * a little, for its keys to prove it, then probes.
 */
export function createConnectionController(opts: {
  kind: typeof CLUSTER_CONNECTION_KIND | typeof NAMESPACED_CONNECTION_KIND;
  informer: Informer<KubernetesObject>;
  connections: ConnectionPool;
  writer: StatusWriter;
  clock: Clock;
  runtime: ControllerDeps;
  inScope?: (namespace: string) => boolean;
  /** How often a Ready connection is probed between resyncs (a revoked credential shows within it); absent: at each resync. */
  probeEveryMs?: number;
  resyncPeriodMs: number;
}): Controller<KubernetesObject> {
  const windowMs = opts.probeEveryMs ?? opts.resyncPeriodMs;
  /** When this process last probed each connection (by key): the probe's own answer proves nothing new. */
  const probedAt = new Map<string, number>();
  /** Ready connections waiting once for their keys' calls before a probe, and for how long. */
  const waiting = new Set<string>();
  const waitMs = Math.min(30_000, windowMs / 2);
  const probe = async (key: string, obj: ConnectionObject): Promise<Probe | 'proven' | 'waiting'> => {
    const { namespace, name } = splitKey(key);
    try {
      const conn = await opts.connections.resolve(namespace, `${opts.kind}/${name}`);
      const provenAt = opts.connections.evidence.provenAt(conn.client);
      const at = { provenAt, probedAt: probedAt.get(key), now: opts.clock.now() };
      const proven = provenByUse(obj.metadata, obj.status, at, windowMs);
      if (!proven && readyForGeneration(obj.metadata, obj.status) && !waiting.has(key)) {
        waiting.add(key);
        return 'waiting';
      }
      waiting.delete(key);
      if (proven) return 'proven';
      try {
        const orgs = await opts.connections.organizations(conn, LISTED + 1);
        return { ok: true, organizations: orgs.slice(0, LISTED), more: orgs.length > LISTED };
      } finally {
        probedAt.set(key, opts.clock.now());
      }
    } catch (err) {
      return { ok: false, failure: classifyError(err, {}) };
    }
  };
  return buildController(
    {
      name: opts.kind === CLUSTER_CONNECTION_KIND ? 'clusteropsmanagerconnection' : 'opsmanagerconnection',
      primary: opts.informer,
      reconcile: async (key) => {
        const { namespace, name } = splitKey(key);
        const obj = opts.informer.get(namespace, name) as unknown as ConnectionObject | undefined;
        if (!obj || obj.metadata.deletionTimestamp) {
          probedAt.delete(key);
          waiting.delete(key);
          return;
        }
        const result = await probe(key, obj);
        if (result === 'waiting') return { requeueAfterMs: waitMs };
        const next = opts.probeEveryMs !== undefined ? { requeueAfterMs: opts.probeEveryMs } : undefined;
        if (result === 'proven') return next;
        const status = connectionStatus(obj.metadata, obj.status, result, new Date(opts.clock.now()));
        if (statusDiffers(obj.status, status)) {
          try {
            await opts.writer.replaceStatus({ ...obj, status });
          } catch (err) {
            // Gone: nothing to say; stale: the change that made it so brings the object back.
            if (isNotFound(err) || isConflict(err)) return;
            throw err;
          }
        }
        if (!result.ok) throw new TransientError(result.failure.message, result.failure.retryAfterMs !== undefined ? { retryAfterMs: result.failure.retryAfterMs } : {});
        return next;
      },
      ...(opts.inScope ? { inScope: opts.inScope } : {}),
      concurrency: 2,
      resyncPeriodMs: opts.resyncPeriodMs,
    },
    opts.runtime,
  );
}
