import dns from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';

/** A namespaced connection's address is loopback or link-local: the pod's own services or the cloud metadata address. */
export class ForbiddenAddressError extends Error {
  readonly code = 'OM_FORBIDDEN_ADDRESS';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const FORBIDDEN = new net.BlockList();
// 0/8 reaches this host on Linux; 127/8 loopback; 169.254/16 link-local (the cloud metadata address).
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4');
FORBIDDEN.addSubnet('127.0.0.0', 8, 'ipv4');
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4');
FORBIDDEN.addAddress('::', 'ipv6');
FORBIDDEN.addAddress('::1', 'ipv6');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');

/** Whether `ip` (a literal address) is loopback, link-local or unspecified, IPv4-mapped forms included. */
export function isForbiddenAddress(ip: string): boolean {
  if (net.isIPv4(ip)) return FORBIDDEN.check(ip, 'ipv4');
  if (!net.isIPv6(ip)) return false;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped !== undefined) return FORBIDDEN.check(mapped, 'ipv4');
  return FORBIDDEN.check(ip, 'ipv6');
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the sockets of a namespaced connection: the address is judged when the socket
 * connects, after DNS answered, so a name that resolves to a public address when checked and to
 * 127.0.0.1 when used (DNS rebinding) is refused all the same.
 */
export function guardedLookup(lookup: typeof dns.lookup = dns.lookup): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    lookup(hostname, { ...options }, ((err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => {
      if (err) return callback(err, address, family);
      const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const bad = all.find((a) => isForbiddenAddress(a));
      if (bad !== undefined) {
        const e = new ForbiddenAddressError(`${hostname} resolves to ${bad}, a loopback or link-local address a namespaced connection may not reach`) as Error & NodeJS.ErrnoException;
        return callback(e, address, family);
      }
      callback(null, address, family);
    }) as never);
  });
}
