import type { KubernetesObject } from '@kubernetes/client-node';
import { isGone } from './api-errors.ts';
import type { KubeClient } from './kube-client.ts';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects per page (default 500, client-go's reflector page size). */
  limit?: number;
  signal?: AbortSignal;
}

interface ListPage<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** A list that expired between pages is started again this many times before giving up. */
const MAX_RESTARTS = 3;

/**
 * Lists a collection a page at a time, handing each page to `onPage` as it arrives, so only
 * one page is ever parsed and held at once: an unpaginated list of 10,000 Secrets is a
 * response of tens of MiB, parsed whole. A continue token that expired (410, compaction
 * between pages) starts the list again from the first page; `onRestart` is told, so that a
 * caller counting what it saw can start over. Items get the kind and apiVersion the API
 * server leaves off in lists (Secrets and ConfigMaps), as a watch would send them.
 */
export async function listPages<T extends KubernetesObject>(
  client: KubeClient,
  path: string,
  opts: ListOptions,
  onPage: (items: T[]) => void,
  onRestart?: () => void,
): Promise<{ resourceVersion: string }> {
  let restarts = 0;
  let cont: string | undefined;
  for (;;) {
    let page: ListPage<T>;
    try {
      page = await client.request<ListPage<T>>({
        path,
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit ?? 500, continue: cont },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (cont === undefined || !isGone(err) || restarts >= MAX_RESTARTS) throw err;
      restarts++;
      cont = undefined;
      onRestart?.();
      continue;
    }
    onPage(withKind(page));
    cont = page.metadata?.continue || undefined;
    if (cont === undefined) return { resourceVersion: page.metadata?.resourceVersion ?? '' };
  }
}

/** Every object of a collection (all pages). */
export async function listAll<T extends KubernetesObject>(client: KubeClient, path: string, opts: ListOptions = {}): Promise<T[]> {
  let all: T[] = [];
  await listPages<T>(client, path, opts, (items) => all.push(...items), () => {
    all = [];
  });
  return all;
}

function withKind<T extends KubernetesObject>(page: ListPage<T>): T[] {
  const items = page.items ?? [];
  const kind = page.kind?.endsWith('List') ? page.kind.slice(0, -4) : undefined;
  for (const item of items) {
    if (!item.kind && kind) item.kind = kind;
    if (!item.apiVersion && page.apiVersion) item.apiVersion = page.apiVersion;
  }
  return items;
}
