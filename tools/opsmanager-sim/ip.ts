import { isIPv4, isIPv6 } from 'node:net';

/** A parsed address or network: family, numeric value and prefix length. */
export interface Net {
  family: 4 | 6;
  value: bigint;
  prefix: number;
}

/** `::ffff:127.0.0.1` (how Node reports IPv4 callers on a dual-stack socket) becomes `127.0.0.1`. */
export function normaliseCaller(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

export function parseAddress(s: string): Net | undefined {
  if (isIPv4(s)) {
    const parts = s.split('.').map(Number);
    let v = 0n;
    for (const p of parts) v = (v << 8n) | BigInt(p);
    return { family: 4, value: v, prefix: 32 };
  }
  if (isIPv6(s)) {
    if (s.includes('%')) return undefined;
    let text = s.toLowerCase();
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4?.[1]) {
      const n = parseAddress(v4[1]);
      if (!n) return undefined;
      text = text.slice(0, -v4[1].length) + `${(n.value >> 16n).toString(16)}:${(n.value & 0xffffn).toString(16)}`;
    }
    const [head = '', tail] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const fill = tail === undefined ? 0 : 8 - h.length - t.length;
    const groups = [...h, ...Array<string>(fill).fill('0'), ...t];
    if (groups.length !== 8) return undefined;
    let v = 0n;
    for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
    return { family: 6, value: v, prefix: 128 };
  }
  return undefined;
}

/** `a.b.c.d/n` or `v6/n`; undefined when malformed or when host bits are set. */
export function parseCidr(s: string): Net | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddress(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefix = Number(lenText);
  const bits = addr.family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((addr.value & hostMask) !== 0n) return undefined;
  return { family: addr.family, value: addr.value, prefix };
}

export function formatNet(n: Net): string {
  return `${formatAddress(n)}/${n.prefix}`;
}

export function formatAddress(n: Net): string {
  if (n.family === 4) {
    const v = n.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n.value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run (>=2) of zero groups, the first one on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function contains(net: Net, addr: Net): boolean {
  if (net.family !== addr.family) return false;
  const bits = net.family === 4 ? 32 : 128;
  const shift = BigInt(bits - net.prefix);
  return addr.value >> shift === net.value >> shift;
}

/** An access-list path segment (`192.0.2.1`, `192.0.2.0/24`, `2001:db8::/32`) as a canonical CIDR. */
export function entryToCidr(s: string): string | undefined {
  if (s.includes('/')) {
    const n = parseCidr(s);
    return n && formatNet(n);
  }
  const a = parseAddress(s);
  return a && formatNet(a);
}
