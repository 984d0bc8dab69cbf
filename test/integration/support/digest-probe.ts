import { createHash, randomBytes } from 'node:crypto';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/**
 * A minimal, independent Digest client (not the operator's) used to prove that a pair the
 * operator wrote really authenticates against the simulator.
 */
export async function digestGet(url: string, user: string, password: string): Promise<{ status: number; body: string }> {
  const first = await fetch(url);
  if (first.status !== 401) return { status: first.status, body: await first.text() };
  const challenge = first.headers.get('www-authenticate') ?? '';
  const param = (name: string): string => new RegExp(`${name}="?([^",]*)"?`).exec(challenge)?.[1] ?? '';
  const realm = param('realm');
  const nonce = param('nonce');
  const u = new URL(url);
  const uri = `${u.pathname}${u.search}`;
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`GET:${uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  const auth = `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
  const res = await fetch(url, { headers: { Authorization: auth } });
  return { status: res.status, body: await res.text() };
}
