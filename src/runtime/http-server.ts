import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { summarizeError } from './errors.ts';

export interface HttpServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Ready means the informers have synced; a standby replica is ready too. */
  isReady(): boolean;
  logger: Logger;
}

/** Serves /healthz, /readyz and /metrics. Port 0 picks a free port (see the returned url). */
export async function startHttpServer(opts: HttpServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const host = opts.host ?? '0.0.0.0';
  const server = createServer((req, res) => {
    handle(opts, req, res).catch((err: unknown) => {
      opts.logger.error({ err: summarizeError(err), path: req.url }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${addr.port}`;
  opts.logger.info({ url }, 'http server listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    res.end('method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    case '/readyz': {
      const ready = opts.isReady();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ready ? 'ok\n' : 'informers not synced\n');
      return;
    }
    case '/metrics': {
      const body = await opts.registry.metrics();
      res.writeHead(200, { 'content-type': opts.registry.contentType });
      res.end(body);
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
  }
}
