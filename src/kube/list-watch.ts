import type { IncomingMessage } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeApiError, isGone } from './api-errors.ts';
import type { KubeClient } from './kube-client.ts';
import { listPages } from './list-pages.ts';
import { WatchDecoder, type WatchEvent } from './watch-decoder.ts';

type Verb = 'add' | 'update' | 'delete';

export interface ListWatchOptions<T extends KubernetesObject> {
  client: KubeClient;
  /** Collection path, e.g. /api/v1/namespaces/x/secrets. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  pageSize?: number;
  /** What the consumer holds now: a (re)list is compared with it to find changes and deletions. */
  held: { get(namespace: string, name: string): T | undefined; list(): T[] };
  /** The timeoutSeconds of each watch request; client-go's 5 to 10 minutes by default. */
  watchTimeoutSeconds?: () => number;
}

const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * List then watch, as client-go's reflector does it: a paginated list, then a watch from the
 * list's resourceVersion with bookmarks (so a quiet collection's resourceVersion still moves
 * on), opened again from the last resourceVersion each time the API server ends it; a 410
 * (the resourceVersion was compacted away) lists again. Any other failure is reported once on
 * `error` and ends the run; start() again resumes the watch from the last resourceVersion.
 * It keeps no objects of its own: it compares with what the consumer holds.
 */
export class ListWatch<T extends KubernetesObject> {
  private readonly cbs: Record<Verb | 'error' | 'connect', Array<(arg: never) => void>> = { add: [], update: [], delete: [], error: [], connect: [] };
  private resourceVersion = '';
  private run: AbortController | undefined;

  constructor(private readonly opts: ListWatchOptions<T>) {}

  on(verb: Verb, cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  on(verb: Verb | 'error' | 'connect', cb: (arg: never) => void): void {
    this.cbs[verb].push(cb);
  }

  /** Resolves once the watch is open, or after the failure was reported on `error`. */
  async start(): Promise<void> {
    this.run?.abort();
    const run = new AbortController();
    this.run = run;
    try {
      await this.connect(run.signal);
    } catch (err) {
      this.fail(run, err);
    }
  }

  stop(): Promise<void> {
    this.run?.abort();
    this.run = undefined;
    return Promise.resolve();
  }

  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  private emit(verb: Verb | 'error' | 'connect', arg: unknown): void {
    for (const cb of this.cbs[verb]) (cb as (a: unknown) => void)(arg);
  }

  private fail(run: AbortController, err: unknown): void {
    if (run.signal.aborted || this.run !== run) return;
    run.abort();
    this.run = undefined;
    this.emit('error', err);
  }

  private async connect(signal: AbortSignal): Promise<void> {
    const { client, path, labelSelector, fieldSelector } = this.opts;
    for (let tries = 0; ; tries++) {
      if (!this.resourceVersion) await this.relist(signal);
      if (signal.aborted) return;
      const timeoutSeconds = Math.round(this.opts.watchTimeoutSeconds?.() ?? 300 * (1 + Math.random()));
      try {
        const res = await client.stream({
          path,
          query: { watch: 'true', allowWatchBookmarks: 'true', resourceVersion: this.resourceVersion, timeoutSeconds, labelSelector, fieldSelector },
          signal,
          idleTimeoutMs: (timeoutSeconds + 60) * 1000,
        });
        this.emit('connect', undefined);
        this.consume(signal, res);
        return;
      } catch (err) {
        if (!isGone(err) || tries >= 2) throw err;
        this.resourceVersion = '';
      }
    }
  }

  private consume(signal: AbortSignal, res: IncomingMessage): void {
    const run = this.run;
    const decoder = new WatchDecoder<T>();
    let gone = false;
    let done = false;
    const handle = (events: Array<WatchEvent<T>>): void => {
      for (const e of events) if (this.onEvent(e)) gone = true;
    };
    const failed = (err: unknown): void => {
      if (done) return;
      done = true;
      if (run) this.fail(run, err);
    };
    res.on('data', (chunk: Buffer) => {
      try {
        handle(decoder.push(chunk));
      } catch (err) {
        failed(err);
        res.destroy();
      }
    });
    res.on('error', failed);
    // A connection cut mid-stream (the API server killed) may close without an error or an end.
    res.on('close', () => failed(new Error(`watch of ${this.opts.path} closed before it ended`)));
    res.on('end', () => {
      if (done) return;
      try {
        handle(decoder.end());
      } catch (err) {
        failed(err);
        return;
      }
      done = true;
      if (signal.aborted) return;
      if (gone) this.resourceVersion = '';
      // The API server ends every watch at its timeoutSeconds: the next one starts where it stopped.
      this.connect(signal).catch((err: unknown) => run && this.fail(run, err));
    });
  }

  /** Applies one event; true when it says the resourceVersion is gone (410). */
  private onEvent(e: WatchEvent<T>): boolean {
    if (e.type === 'ERROR') {
      const status = e.object as { code?: unknown };
      if (status.code === 410) return true;
      throw new KubeApiError('WATCH', this.opts.path, typeof status.code === 'number' ? status.code : 500, JSON.stringify(e.object));
    }
    const rv = e.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (e.type === 'ADDED') this.emit('add', e.object);
    else if (e.type === 'MODIFIED') this.emit('update', e.object);
    else if (e.type === 'DELETED') this.emit('delete', e.object);
    return false;
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { client, path, labelSelector, fieldSelector, pageSize, held } = this.opts;
    const seen = new Set<string>();
    const { resourceVersion } = await listPages<T>(
      client,
      path,
      { labelSelector, fieldSelector, signal, ...(pageSize ? { limit: pageSize } : {}) },
      (items) => {
        for (const obj of items) {
          seen.add(keyOf(obj));
          const old = held.get(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
          if (!old) this.emit('add', obj);
          else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj);
        }
      },
      () => seen.clear(),
    );
    if (signal.aborted) return;
    for (const obj of held.list()) if (!seen.has(keyOf(obj))) this.emit('delete', obj);
    this.resourceVersion = resourceVersion;
  }
}
