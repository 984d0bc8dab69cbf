/**
 * Text that reaches conditions, Events and logs from outside the operator (an Ops Manager error's
 * `detail`, a transport error's message) is bounded here, and only here: a hostile endpoint
 * answers with whatever it likes, and a condition or Event is read by people and by tools
 * (`kubectl`, Argo CD) that trust it to be short and printable.
 */

/** Longest text taken from an answer into a message (Ops Manager's own `detail`s are under 300). */
export const MAX_ANSWER_TEXT = 512;

/**
 * Longest condition or Event message. An Event's `note` is refused by the API server past 1 kB
 * (counted in bytes), so the byte bound matters as much as the character bound.
 */
export const MAX_MESSAGE = 1024;

export interface TextBounds {
  /** Most characters (code points) kept, the ellipsis included. */
  chars?: number;
  /** Most UTF-8 bytes kept, the ellipsis included. */
  bytes?: number;
}

const ELLIPSIS = '…';
// C0 and C1 controls, DEL, and the bidirectional overrides and isolates that can make a line
// read differently from what it holds. Line breaks and tabs become one space.
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` made printable and short: line breaks become a space, other control characters and
 * unpaired surrogates are removed, and past the bounds it is cut on a character boundary and
 * ends with `…`. Pure; total for any input (a non-string is turned into one first).
 */
export function boundText(text: unknown, bounds: TextBounds = {}): string {
  const chars = Math.max(1, Math.floor(bounds.chars ?? MAX_ANSWER_TEXT));
  const bytes = Math.max(4, Math.floor(bounds.bytes ?? Number.POSITIVE_INFINITY));
  const raw = typeof text === 'string' ? text : String(text);
  // Looking at more than a few times the bound is pointless: the rest is cut anyway.
  const head = raw.length > chars * 4 + 16 ? raw.slice(0, chars * 4 + 16) : raw;
  const clean = head.replace(BREAKS, ' ').replace(CONTROLS, '').replace(LONE_SURROGATE, '');
  const points = Array.from(clean);
  if (head === raw && points.length <= chars && byteLength(clean) <= bytes) return clean;
  const kept = points.slice(0, chars - 1);
  let size = byteLength(kept.join('')) + byteLength(ELLIPSIS);
  while (kept.length > 0 && size > bytes) size -= byteLength(kept.pop() ?? '');
  return kept.join('').trimEnd() + ELLIPSIS;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
