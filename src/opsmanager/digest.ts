import { createHash, randomBytes } from 'node:crypto';

/** HTTP Digest (RFC 7616, compatible with RFC 2617) for the Ops Manager Public API. */

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: string;
  qop?: string[];
  opaque?: string;
  stale: boolean;
}

export interface DigestInput {
  algorithm: string;
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}

const HASHES: Record<string, string> = { 'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

function isSupportedAlgorithm(algorithm: string): boolean {
  return HASHES[algorithm.toUpperCase().replace(/-SESS$/, '')] !== undefined;
}

/** The `response` value of RFC 7616 section 3.4.1. */
export function digestResponse(i: DigestInput): string {
  const upper = i.algorithm.toUpperCase();
  const sess = upper.endsWith('-SESS');
  const hashName = HASHES[sess ? upper.slice(0, -5) : upper];
  if (hashName === undefined) throw new Error(`unsupported digest algorithm ${i.algorithm}`);
  const h = (s: string): string => createHash(hashName).update(s, 'utf8').digest('hex');
  let ha1 = h(`${i.username}:${i.realm}:${i.password}`);
  if (sess) ha1 = h(`${ha1}:${i.nonce}:${i.cnonce ?? ''}`);
  const ha2 = h(`${i.method}:${i.uri}`);
  if (i.qop === undefined) return h(`${ha1}:${i.nonce}:${ha2}`);
  return h(`${ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${i.qop}:${ha2}`);
}

/**
 * Parses the Digest challenge out of a WWW-Authenticate value, which may hold several
 * challenges (Node joins repeated headers with ", ").
 */
export function parseDigestChallenge(header: string | string[] | undefined): DigestChallenge | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    const start = value.search(/(^|[\s,])Digest\s/i);
    if (start < 0) continue;
    const params = parseParams(value.slice(value.indexOf(' ', start + 1) + 1));
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    if (realm === undefined || nonce === undefined) continue;
    const qop = params.get('qop') ?? params.get('op'); // one Ops Manager page prints `op=`
    const opaque = params.get('opaque');
    return {
      realm,
      nonce,
      algorithm: params.get('algorithm') ?? 'MD5',
      ...(qop !== undefined ? { qop: qop.split(',').map((q) => q.trim().toLowerCase()).filter(Boolean) } : {}),
      ...(opaque !== undefined ? { opaque } : {}),
      stale: (params.get('stale') ?? '').toLowerCase() === 'true',
    };
  }
  return undefined;
}

// Sticky matching stops at the next challenge's scheme (`Basic realm=…`): its params are not ours.
function parseParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && m[0] !== '') {
    const key = (m[1] ?? '').toLowerCase();
    if (!out.has(key)) out.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
    if (re.lastIndex >= s.length) break;
  }
  return out;
}

function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Holds the last challenge so that every request can authenticate up front, reusing the
 * nonce with an increasing nonce count instead of paying a 401 round trip per call.
 */
export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
    private readonly makeCnonce: () => string = () => randomBytes(16).toString('hex'),
  ) {}

  get nonce(): string | undefined {
    return this.challenge?.nonce;
  }

  /** Forgets the nonce so the next request takes a fresh challenge (used by the benchmark). */
  reset(): void {
    this.challenge = undefined;
    this.nc = 0;
  }

  /** Records a new challenge; returns false when it cannot be answered. */
  accept(challenge: DigestChallenge): boolean {
    if (!isSupportedAlgorithm(challenge.algorithm)) return false;
    if (challenge.qop !== undefined && !challenge.qop.includes('auth')) return false;
    if (this.challenge?.nonce !== challenge.nonce) this.nc = 0;
    this.challenge = challenge;
    return true;
  }

  /** The Authorization value for one request, or undefined before the first challenge. */
  authorize(method: string, uri: string): { header: string; nonce: string } | undefined {
    const c = this.challenge;
    if (c === undefined) return undefined;
    const qop = c.qop !== undefined ? 'auth' : undefined;
    const nc = (++this.nc).toString(16).padStart(8, '0');
    const cnonce = this.makeCnonce();
    const response = digestResponse({
      algorithm: c.algorithm, username: this.username, password: this.password,
      realm: c.realm, nonce: c.nonce, method, uri,
      ...(qop !== undefined ? { qop, nc, cnonce } : {}),
    });
    const parts = [
      `username=${quote(this.username)}`, `realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`,
      `uri=${quote(uri)}`, `algorithm=${c.algorithm}`, `response=${quote(response)}`,
    ];
    if (qop !== undefined) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
    return { header: `Digest ${parts.join(', ')}`, nonce: c.nonce };
  }
}
