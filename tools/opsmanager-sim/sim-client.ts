// A tiny Digest client for the simulator's tests, written from RFC 7616 on purpose apart from
// src/: the simulator must be checked by something that does not share its bugs.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export const API = '/api/public/v1.0';

export interface RawResponse { status: number; headers: IncomingHttpHeaders; text: string }
/** Loose view of any simulator answer (key, entry, envelope or error); tests read what applies. */
export interface Body {
  [field: string]: unknown;
  id: string;
  desc: string;
  publicKey: string;
  privateKey: string;
  roles: Array<{ orgId?: string; groupId?: string; roleName: string }>;
  links: Array<{ href: string; rel: string }>;
  results: Body[];
  totalCount?: number;
  cidrBlock: string;
  ipAddress: string | null;
  errorCode: string;
  detail: string;
  parameters: string[];
}
export interface JsonResponse extends RawResponse { body: Body }

export function rawRequest(url: string, method: string, headers: Record<string, string> = {}, body?: string, timeoutMs = 0): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
    req.end(body);
  });
}

export function parseChallenge(h: string | string[] | undefined): Record<string, string> {
  const text = Array.isArray(h) ? (h[0] ?? '') : (h ?? '');
  const out: Record<string, string> = {};
  for (const m of text.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    if (m[1]) out[m[1]] = m[2] ?? m[3] ?? '';
  }
  return out;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export function authorization(o: { user: string; pass: string; realm: string; nonce: string; method: string; uri: string; nc: number; cnonce?: string }): string {
  const nc = o.nc.toString(16).padStart(8, '0');
  const cnonce = o.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = md5(`${o.user}:${o.realm}:${o.pass}`);
  const ha2 = md5(`${o.method}:${o.uri}`);
  const response = md5(`${ha1}:${o.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${o.user}", realm="${o.realm}", nonce="${o.nonce}", uri="${o.uri}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
}

/** Answers one challenge per request, keeps the nonce and counts nc up, as real clients do. */
export class SimClient {
  private nonce?: string;
  private nc = 0;

  constructor(readonly baseUrl: string, readonly user: string, readonly pass: string) {}

  async call(method: string, path: string, body?: unknown): Promise<JsonResponse> {
    const uri = API + path;
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    for (let attempt = 0; attempt < 3; attempt++) {
      const headers: Record<string, string> = {};
      if (this.nonce) {
        this.nc++;
        headers.Authorization = authorization({ user: this.user, pass: this.pass, realm: 'MMS Public API', nonce: this.nonce, method, uri, nc: this.nc });
      }
      const res = await rawRequest(this.baseUrl + uri, method, headers, text);
      const ch = parseChallenge(res.headers['www-authenticate']);
      if (res.status === 401 && ch.nonce && (!this.nonce || ch.stale === 'true')) {
        this.nonce = ch.nonce;
        this.nc = 0;
        continue;
      }
      return { ...res, body: (res.text ? JSON.parse(res.text) : {}) as Body };
    }
    throw new Error(`no answer after 3 challenges: ${method} ${path}`);
  }

  get = (path: string) => this.call('GET', path);
  post = (path: string, body: unknown) => this.call('POST', path, body);
  patch = (path: string, body: unknown) => this.call('PATCH', path, body);
  del = (path: string) => this.call('DELETE', path);
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('waitFor: condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
}
