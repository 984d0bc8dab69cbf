import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An endpoint that does what a real Ops Manager never does (bodies of hundreds of megabytes,
 * endless pages, answers that never come, Retry-After of hours), for the client's bounds. The
 * simulator stays faithful to Ops Manager; misbehaviour lives here.
 */
export interface Ctx {
  /** 1 for the first request the server received. */
  n: number;
  /** Never answer (until releaseAll or close): a server that accepted the request and went quiet. */
  hold(): void;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, ctx: Ctx) => void;

export interface HostileServer {
  /** Base URL, as a connection's baseUrl. */
  url: string;
  /** Paths (with query) of the requests received, in order. */
  requests: string[];
  /** Answers every request from now on. */
  handle(h: Handler): void;
  /** Answers held by `hold()` are released (each with 200 `{}`), so the server can close. */
  releaseAll(): void;
  close(): Promise<void>;
}

export async function startHostile(): Promise<HostileServer> {
  let handler: Handler = (_req, res) => json(res, 200, {});
  const requests: string[] = [];
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    req.resume();
    handler(req, res, { n: requests.length, hold: () => held.add(res) });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const releaseAll = (): void => {
    for (const res of held) if (!res.writableEnded && !res.destroyed) json(res, 200, {});
    held.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(h) {
      handler = h;
    },
    releaseAll,
    close() {
      releaseAll();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Writes `prefix` then filler up to `total` bytes, as fast as the client reads, and resolves to
 * the bytes the socket took before the client hung up (or all of them).
 */
export async function stream(res: http.ServerResponse, total: number, prefix = ''): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let written = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  if (prefix !== '') {
    res.write(prefix);
    written += Buffer.byteLength(prefix);
  }
  while (written < total && !closed) {
    const ok = res.write(chunk);
    written += chunk.length;
    if (!ok && !closed) await drainOrClose(res);
  }
  if (!closed) res.end();
  return written;
}

/** A list page as Ops Manager shapes it. */
export function page(results: unknown[], next?: string): unknown {
  const links = [{ rel: 'self', href: 'http://x/self' }, ...(next !== undefined ? [{ rel: 'next', href: next }] : [])];
  return { links, results, totalCount: results.length };
}

/** An API key as Ops Manager shapes it, with id `n` in hex. */
export function key(n: number): unknown {
  return { id: n.toString(16).padStart(24, '0'), desc: `k${n}`, publicKey: 'abcdefgh', privateKey: '********-****-****-000000000000', roles: [] };
}

function drainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
