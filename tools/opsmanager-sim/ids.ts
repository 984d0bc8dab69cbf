import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** A Mongo ObjectId lookalike: 4-byte seconds timestamp + 8 random bytes, 24 lower-case hex. */
export function newObjectId(nowMs: number): string {
  const ts = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8);
  return ts + randomBytes(8).toString('hex');
}

export function isObjectId(s: string): boolean {
  return /^[0-9a-f]{24}$/.test(s);
}

/** 8 lower-case letters, as in every documented example (`ewmaqvdo`). */
export function newPublicKey(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += String.fromCharCode(97 + randomInt(26));
  return s;
}

export function newPrivateKey(): string {
  return randomUUID();
}

/** `********-****-****-` + last 12 hex of the UUID: what every non-create response shows. */
export function maskPrivateKey(privateKey: string): string {
  return `********-****-****-${privateKey.slice(-12)}`;
}
