// Address families: the program keeps IPv4 and IPv6 endpoints, neighbors and
// routes in separate tables (32-bit and 128-bit keys); the ACL table has a
// field pair per family. These helpers pick the table and the integer value.
import { formatIpv4, formatIpv6, parseIp, parsePrefix } from '../../../hal/index.js';
import { toBigInt, toFixed } from '../p4rt/bytestrings.js';
import type { TableName } from '../program/program.js';

export type Family = 4 | 6;

export interface Addr {
  readonly family: Family;
  readonly value: bigint;
}

/** A HAL address (already validated canonical by the shared checks) as a family and an integer. */
export function addrOf(text: string): Addr {
  const b = parseIp(text)!;
  return { family: b.length === 4 ? 4 : 6, value: toBigInt(b) };
}

export function prefixOf(text: string): Addr & { len: number } {
  const p = parsePrefix(text)!;
  return { family: p.bytes.length === 4 ? 4 : 6, value: toBigInt(p.bytes), len: p.length };
}

export const formatAddr = (family: Family, v: bigint) => (family === 4 ? formatIpv4(toFixed(v, 4)) : formatIpv6(toFixed(v, 16)));

export const bitsOfFamily = (family: Family) => (family === 4 ? 32 : 128);

/** The P4 tables of one family. */
export const FAMILY_TABLES: Record<Family, { toPort: TableName; srcEndpoint: TableName; neighbor: TableName; route: TableName }> = {
  4: { toPort: 'ipv4_to_port', srcEndpoint: 'ipv4_src_endpoint', neighbor: 'neighbor', route: 'ipv4_route' },
  6: { toPort: 'ipv6_to_port', srcEndpoint: 'ipv6_src_endpoint', neighbor: 'neighbor_v6', route: 'ipv6_route' },
};

/** The acl table's address field of a side and family. */
export const aclAddrField = (side: 'src' | 'dst', family: Family) => (family === 4 ? `${side}_addr` : `${side}_ipv6`);
