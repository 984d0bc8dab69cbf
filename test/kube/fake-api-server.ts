import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Name, value, name, value… as sent: a header sent twice is two entries here (joined in `headers`). */
  rawHeaders: string[];
  body: string;
}

/** A JSON answer, or a function that writes a (streaming) response itself. */
export type Answer = { status: number; body?: unknown } | ((res: http.ServerResponse) => void);

/** A stand-in API server on 127.0.0.1 for unit tests of the client: every request is recorded and answered by `route`. */
export async function startFakeApiServer(route: (req: SeenRequest) => Answer): Promise<{ url: string; requests: SeenRequest[]; close(): Promise<void> }> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const seen = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() };
      requests.push(seen);
      const answer = route(seen);
      if (typeof answer === 'function') return answer(res);
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
