import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { EventsV1Api, EventsV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { boundText, MAX_MESSAGE } from '../api/bounded-text.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { MicroTime } from '../kube/micro-time.ts';
import type { Clock } from './clock.ts';
import { statusOf, summarizeError } from './errors.ts';

export type EventsClient = Pick<EventsV1Api, 'createNamespacedEvent' | 'patchNamespacedEvent'>;

/** events.k8s.io/v1 Events through `kube`: a create, and a JSON patch of an existing one. */
export function eventsClient(kube: KubeClient): EventsClient {
  const path = (namespace: string, name?: string): string =>
    `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  return {
    createNamespacedEvent: ({ namespace, body }) => kube.request<EventsV1Event>({ method: 'POST', path: path(namespace), body }),
    patchNamespacedEvent: ({ namespace, name, body }) =>
      kube.request<EventsV1Event>({ method: 'PATCH', path: path(namespace, name), body, contentType: 'application/json-patch+json' }),
  };
}

export interface EventRecorderOptions {
  kube: KubeClient;
  /** reportingController of every event. */
  component: string;
  /** reportingInstance; defaults to `<component>-<hostname>`. */
  instance?: string;
  clock: Clock;
  logger: Logger;
  /** A repeat within this long of the last occurrence bumps the series instead of adding an Event (default 10 min). */
  dedupeWindowMs?: number;
  /** Cap on remembered events (oldest forgotten first; default 4096). */
  maxEntries?: number;
  client?: EventsClient;
}

interface Entry {
  namespace: string;
  name: string;
  count: number;
  /** The count the API last accepted: repeats that arrive during a write are folded into one patch. */
  written: number;
  lastAt: number;
  /** Serialises writes for one entry, so concurrent repeats count correctly. */
  chain: Promise<void>;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

/**
 * Records events.k8s.io/v1 Events about objects. A repeat of the same object, type, reason,
 * action and message is folded into the first Event's `series` (count, lastObservedTime) so a
 * failing retry loop cannot flood etcd. Never throws: an event is worth a log line, not a failed
 * reconcile.
 */
export class EventRecorder {
  private readonly api: EventsClient;
  private readonly opts: EventRecorderOptions;
  private readonly instance: string;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: EventRecorderOptions) {
    this.opts = opts;
    this.api = opts.client ?? eventsClient(opts.kube);
    this.instance = truncate(opts.instance ?? `${opts.component}-${hostname()}`, 128);
  }

  async record(obj: KubernetesObject, type: 'Normal' | 'Warning', reason: string, message: string, action?: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || 'default';
    // The API server refuses a note past 1 kB (bytes); what a message quotes from outside is
    // bounded where it enters, this is the last line of defence.
    const note = boundText(message, { chars: MAX_MESSAGE, bytes: MAX_MESSAGE });
    const act = truncate(action ?? reason, 128);
    // A digest, not the text: the map holds up to maxEntries of them, and a storm of failures
    // with messages of up to 1 KiB each filled it with megabytes of strings.
    const key = createHash('sha256').update([meta.uid ?? `${namespace}/${meta.name ?? ''}`, type, reason, act, note].join('\u0000')).digest('base64url');
    const now = this.opts.clock.now();
    const window = this.opts.dedupeWindowMs ?? 600_000;
    let entry = this.entries.get(key);
    if (entry && now - entry.lastAt > window) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      entry = { namespace, name: '', count: 0, written: 0, lastAt: now, chain: Promise.resolve() };
      this.remember(key, entry);
    }
    const e = entry;
    e.lastAt = now;
    e.count++;
    const write = e.chain.then(() => this.write(obj, e, { type, reason, note, action: act, namespace }));
    e.chain = write;
    await write;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    const max = this.opts.maxEntries ?? 4096;
    const window = this.opts.dedupeWindowMs ?? 600_000;
    // Oldest first (insertion order): over the bound, or past the window and no longer in use.
    for (const [k, e] of this.entries) {
      const expired = entry.lastAt - e.lastAt > window && e.written >= e.count;
      if (this.entries.size <= max && !expired) break;
      this.entries.delete(k);
    }
  }

  private async write(obj: KubernetesObject, e: Entry, ev: { type: string; reason: string; note: string; action: string; namespace: string }): Promise<void> {
    const log = this.opts.logger;
    try {
      if (e.name && e.count > 1) {
        if (e.written >= e.count) return;
        const count = e.count;
        try {
          await this.api.patchNamespacedEvent({
            name: e.name,
            namespace: e.namespace,
            body: [{ op: 'add', path: '/series', value: { count, lastObservedTime: new MicroTime(e.lastAt).toISOString() } }],
          });
          e.written = count;
          return;
        } catch (err) {
          // The Event may have expired (events have a TTL in etcd): start a new one.
          if (statusOf(err) !== 404) throw err;
          e.count = 1;
          e.written = 0;
        }
      }
      const body = this.build(obj, ev);
      const created = await this.api.createNamespacedEvent({ namespace: ev.namespace, body });
      e.name = created.metadata?.name ?? body.metadata!.name!;
      e.written = 1;
      // Repeats that arrived while creating are written by the next link of the chain.
    } catch (err) {
      log.warn({ err: summarizeError(err), reason: ev.reason, object: `${ev.namespace}/${obj.metadata?.name ?? ''}` }, 'could not record event');
    }
  }

  private build(obj: KubernetesObject, ev: { type: string; reason: string; note: string; action: string; namespace: string }): EventsV1Event {
    const meta = obj.metadata ?? {};
    const base = (meta.name ?? 'object').slice(0, 200);
    const name = `${base}.${this.opts.clock.now().toString(16)}${randomBytes(3).toString('hex')}`;
    return {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace: ev.namespace },
      eventTime: new MicroTime(this.opts.clock.now()),
      reportingController: this.opts.component,
      reportingInstance: this.instance,
      action: ev.action,
      reason: truncate(ev.reason, 128),
      note: ev.note,
      type: ev.type,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    };
  }
}
