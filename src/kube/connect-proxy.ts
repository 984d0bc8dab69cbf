import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** The proxy of a kubeconfig's proxy-url refused or failed the tunnel to the API server. */
export class ProxyTunnelError extends Error {
  readonly code = 'PROXY_TUNNEL_FAILED' as const;

  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ProxyTunnelError';
  }
}

type ConnectOptions = https.RequestOptions;
type Done = (err: Error | null, socket?: Duplex) => void;
/** Node's callback takes no socket with an error, whatever its type says. */
type AgentDone = (err: Error | null, stream: Duplex) => void;
const adapt = (done: AgentDone): Done => (err, socket) => done(err, socket as Duplex);

/**
 * Opens a tunnel to host:port through an HTTP proxy (CONNECT, as client-go does for proxy-url)
 * and hands the agent the socket, wrapped in TLS with the agent's options (CA, client
 * certificate, servername) for an https API server. The tunnelled sockets are pooled and kept
 * alive like direct ones.
 */
function tunnel(proxy: URL, options: http.ClientRequestArgs, secure: boolean, done: Done): void {
  const target = `${options.host ?? 'localhost'}:${options.port ?? (secure ? 443 : 80)}`;
  const headers: Record<string, string> = { Host: target };
  if (proxy.username || proxy.password) {
    const auth = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['Proxy-Authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
  }
  const req = http.request({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port || 80,
    method: 'CONNECT',
    path: target,
    headers,
    agent: false,
  });
  let finished = false;
  const finish = (err: Error | null, socket?: Duplex): void => {
    if (finished) return;
    finished = true;
    done(err, socket);
  };
  req.once('connect', (res, socket, head) => {
    if (res.statusCode !== 200) {
      socket.destroy();
      finish(new ProxyTunnelError(`proxy ${proxy.host} answered CONNECT ${target} with HTTP ${res.statusCode ?? '?'}`));
      return;
    }
    // Bytes past the CONNECT answer belong to the API server's side of the tunnel.
    if (head.length > 0) socket.unshift(head);
    if (!secure) return finish(null, socket);
    // host stays: it is what the certificate is checked against when there is no servername (an IP).
    finish(null, tls.connect({ ...(options as tls.ConnectionOptions), socket }));
  });
  req.once('error', (err) => {
    finish(new ProxyTunnelError(`proxy ${proxy.host} could not be reached for CONNECT ${target}`, { cause: err }));
  });
  req.end();
}

/** A keep-alive agent whose connections to the API server go through the proxy. */
export function proxyAgent(proxyUrl: string, secure: boolean, options: https.AgentOptions): http.Agent {
  const proxy = new URL(proxyUrl);
  if (secure) {
    return new (class extends https.Agent {
      override createConnection(opts: ConnectOptions, done?: AgentDone): Duplex | null | undefined {
        if (done) tunnel(proxy, opts, true, adapt(done));
        return undefined;
      }
    })(options);
  }
  return new (class extends http.Agent {
    override createConnection(opts: http.ClientRequestArgs, done?: AgentDone): Duplex | null | undefined {
      if (done) tunnel(proxy, opts, false, adapt(done));
      return undefined;
    }
  })(options);
}
