import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';

/**
 * What a tenant's own "Ops Manager" answers, whatever is asked:
 * - `huge`: 200 and a JSON body of 400 MB, streamed as fast as the client reads it;
 * - `pages`: a list page that always links to a next one (any other call: a 500 with a 1 MB body);
 * - `slow`: headers, then a byte every second, never an end;
 * - `retry`: 429 with a Retry-After of ten hours.
 */
export type HostileMode = 'huge' | 'pages' | 'slow' | 'retry';

const MiB = 1024 * 1024;
const HUGE_BYTES = 400 * MiB;
const FILLER = Buffer.alloc(64 * 1024, 'x');

export interface HostileEndpoint {
  readonly url: string;
  readonly mode: HostileMode;
  /** Requests received. */
  requests: number;
  /** Requests whose answer is still being sent (or held open). */
  inFlight: number;
  /** The most of them at once. */
  peakInFlight: number;
  /** The most bytes any one answer got out before the client stopped reading it. */
  largestAnswerBytes: number;
  /** The highest pageNum asked for (pages). */
  highestPage: number;
  close(): Promise<void>;
}

/** An address of this machine that is neither loopback nor link-local: what a namespaced connection may name. */
export function routableAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  throw new Error('this machine has no IPv4 address other than loopback and link-local: a namespaced connection cannot reach a server on it');
}

/** Writes `total` bytes of a JSON list, respecting backpressure; counts what got out. */
function streamHuge(res: ServerResponse, counted: (n: number) => void): void {
  let sent = 0;
  const head = Buffer.from('{"results":["');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(head);
  sent += head.length;
  const pump = (): void => {
    while (sent < HUGE_BYTES && !res.destroyed) {
      sent += FILLER.length;
      counted(sent);
      if (!res.write(FILLER)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end('"]}');
  };
  pump();
}

function page(req: IncomingMessage, res: ServerResponse, base: string, seen: (n: number) => void): void {
  const url = new URL(req.url ?? '/', base);
  const n = Number(url.searchParams.get('pageNum') ?? '1');
  seen(n);
  if (req.method !== 'GET') {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 500, detail: 'y'.repeat(MiB) }));
    return;
  }
  url.searchParams.set('pageNum', String(n + 1));
  const results = Array.from({ length: 100 }, (_, i) => ({ id: `${n}-${i}`, name: `org ${n}-${i}`, desc: `key ${n}-${i}`, roles: [] }));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ results, totalCount: 1_000_000_000, links: [{ rel: 'next', href: url.toString() }] }));
}

/** Starts one hostile endpoint over TLS (the fixture's certificate must name `host`). */
export async function startHostileEndpoint(mode: HostileMode, host: string, tls: { cert: string; key: string }): Promise<HostileEndpoint> {
  const timers = new Set<NodeJS.Timeout>();
  const server = https.createServer({ cert: tls.cert, key: tls.key });
  const ep: Omit<HostileEndpoint, 'close' | 'url'> & { url: string } = {
    url: '', mode, requests: 0, inFlight: 0, peakInFlight: 0, largestAnswerBytes: 0, highestPage: 0,
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    ep.requests++;
    ep.inFlight++;
    ep.peakInFlight = Math.max(ep.peakInFlight, ep.inFlight);
    res.on('close', () => ep.inFlight--);
    req.resume();
    if (mode === 'huge') streamHuge(res, (n) => (ep.largestAnswerBytes = Math.max(ep.largestAnswerBytes, n)));
    else if (mode === 'pages') page(req, res, ep.url, (n) => (ep.highestPage = Math.max(ep.highestPage, n)));
    else if (mode === 'retry') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '36000' });
      res.end(JSON.stringify({ error: 429, reason: 'Too Many Requests', detail: 'come back in ten hours' }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => res.write(' '), 1000);
      timers.add(drip);
      res.on('close', () => {
        clearInterval(drip);
        timers.delete(drip);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  ep.url = `https://${host}:${(server.address() as AddressInfo).port}`;
  return Object.assign(ep, {
    close: async () => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
