import { createHash, randomBytes } from 'node:crypto';

export const REALM = 'MMS Public API';
/** How far below the highest nc seen a late request may arrive; concurrent clients share a nonce. */
const NC_WINDOW = 256;
const MAX_NONCES = 50_000;

export interface DigestParams {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: string;
}

export function parseDigestHeader(header: string | undefined): DigestParams | undefined {
  if (!header || !/^digest\s/i.test(header)) return undefined;
  const out: Record<string, string> = {};
  const re = /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/gi;
  for (const m of header.slice(7).matchAll(re)) {
    const name = m[1]?.toLowerCase();
    if (name) out[name] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  const { username, realm, nonce, uri, response } = out;
  if (!username || realm === undefined || !nonce || !uri || !response) return undefined;
  return { username, realm, nonce, uri, response, qop: out.qop, nc: out.nc, cnonce: out.cnonce, algorithm: out.algorithm };
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export function expectedResponse(p: DigestParams, method: string, password: string): string {
  const ha1 = md5(`${p.username}:${REALM}:${password}`);
  const ha2 = md5(`${method}:${p.uri}`);
  return md5(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop ?? ''}:${ha2}`);
}

export type NonceVerdict = 'ok' | 'stale' | 'replay';

interface NonceInfo { issuedAt: number; maxNc: number; seen: Set<number> }

/** Server-side nonces: issued here, expire after a TTL, and each nc may be used once. */
export class NonceStore {
  private readonly nonces = new Map<string, NonceInfo>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  challenge(stale: boolean): string {
    const nonce = this.issue();
    return `Digest realm="${REALM}", domain="", nonce="${nonce}", algorithm=MD5, qop="auth", stale=${stale}`;
  }

  issue(): string {
    if (this.nonces.size >= MAX_NONCES) this.purge();
    const nonce = randomBytes(24).toString('base64');
    this.nonces.set(nonce, { issuedAt: this.now(), maxNc: 0, seen: new Set() });
    return nonce;
  }

  /** Call only after the response hash checked out, so that a guesser cannot burn nc values. */
  use(nonce: string, ncHex: string): NonceVerdict {
    const info = this.nonces.get(nonce);
    if (!info || this.now() - info.issuedAt > this.ttlMs) {
      this.nonces.delete(nonce);
      return 'stale';
    }
    const nc = parseInt(ncHex, 16);
    if (!Number.isFinite(nc) || nc < 1) return 'replay';
    if (info.seen.has(nc) || nc <= info.maxNc - NC_WINDOW) return 'replay';
    info.seen.add(nc);
    if (nc > info.maxNc) info.maxNc = nc;
    if (info.seen.size > NC_WINDOW * 2) {
      for (const v of info.seen) if (v <= info.maxNc - NC_WINDOW) info.seen.delete(v);
    }
    return 'ok';
  }

  private purge(): void {
    const t = this.now();
    for (const [n, info] of this.nonces) if (t - info.issuedAt > this.ttlMs) this.nonces.delete(n);
    // Still full of live nonces (a client that never reuses them): drop the oldest half.
    if (this.nonces.size >= MAX_NONCES) {
      let drop = this.nonces.size / 2;
      for (const n of this.nonces.keys()) {
        if (drop-- <= 0) break;
        this.nonces.delete(n);
      }
    }
  }
}
