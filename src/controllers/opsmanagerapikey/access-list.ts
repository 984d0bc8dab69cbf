import net from 'node:net';
import type { AccessListEntry } from '../../api/types.ts';

/**
 * Ops Manager stores a single address as `a.b.c.d/32` and answers with that form, so the
 * spec's `192.0.2.1` and Ops Manager's `192.0.2.1/32` are the same entry. Everything is
 * compared in this canonical CIDR form.
 */
export function canonicalCidr(value: string): string {
  const [addr = '', prefix] = value.trim().split('/');
  const family = net.isIP(addr);
  if (family === 0) return value.trim();
  const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
  const canonicalAddr = family === 6 ? expandIpv6(addr) : addr;
  return `${canonicalAddr}/${bits}`;
}

/** Lower-case, compressed IPv6 (RFC 5952-ish) so that `2001:DB8::1` and `2001:db8:0::1` compare equal. */
function expandIpv6(addr: string): string {
  const sock = new net.SocketAddress({ address: addr, family: 'ipv6' });
  return sock.address.toLowerCase();
}

function specEntryCidr(entry: AccessListEntry): string {
  return canonicalCidr(entry.ipAddress ?? entry.cidrBlock ?? '');
}

export interface AccessListDiff {
  /** Entries to add, in the request form Ops Manager expects. */
  add: Array<{ ipAddress: string } | { cidrBlock: string }>;
  /** Canonical CIDRs to delete (`/` is percent-encoded by the client). */
  remove: string[];
}

/** What must change so that Ops Manager's list equals the spec's; entries present on both sides stay. */
export function diffAccessList(spec: readonly AccessListEntry[] | undefined, actualCidrs: readonly string[]): AccessListDiff {
  const actual = new Set(actualCidrs.map(canonicalCidr));
  const wanted = new Map<string, AccessListEntry>();
  for (const e of spec ?? []) wanted.set(specEntryCidr(e), e);
  const add: AccessListDiff['add'] = [];
  for (const [cidr, e] of wanted) {
    if (actual.has(cidr)) continue;
    add.push(e.ipAddress !== undefined ? { ipAddress: e.ipAddress } : { cidrBlock: e.cidrBlock ?? cidr });
  }
  const remove = [...actual].filter((c) => !wanted.has(c)).sort();
  return { add, remove };
}

export function wantedCidrs(spec: readonly AccessListEntry[] | undefined): string[] {
  return [...new Set((spec ?? []).map(specEntryCidr))].sort();
}
