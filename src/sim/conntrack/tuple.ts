// Connection tuples and their lookup keys. A key is one string per (zone,
// direction tuple): addresses in canonical text (dotted quad / RFC 5952, as
// src/hal formats them), so the family is implied by the text (IPv6 has ':').
import { formatIp, parseIp } from '../../hal/addresses.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** A 5-tuple as the datapath sees it. For ICMP echo the identifier is `srcPort` and `dstPort` is 0 (hal-spec §12). */
export interface Tuple {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly protocol: number;
  readonly srcPort: number;
  readonly dstPort: number;
}

/** An address and port a NAT binding translates to (port ignored when the protocol has none). */
export interface NatTarget {
  readonly ip: string;
  readonly port?: number;
}

export interface NatBindings {
  /** Destination NAT (service load balancing): where the original packet really goes. */
  readonly dnat?: NatTarget;
  /** Source NAT / masquerade: the source replies are addressed to. */
  readonly snat?: NatTarget;
}

export function isIcmp(protocol: number): boolean {
  return protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6;
}

/** The map key of a tuple in a zone. */
export function tupleKey(zone: number, protocol: number, srcIp: string, srcPort: number, dstIp: string, dstPort: number): string {
  return `${zone}|${protocol}|${srcIp}|${srcPort}|${dstIp}|${dstPort}`;
}

export function keyOf(zone: number, t: Tuple): string {
  return tupleKey(zone, t.protocol, t.srcIp, t.srcPort, t.dstIp, t.dstPort);
}

/**
 * The tuple replies arrive with, after NAT: from the real destination (the DNAT
 * target) back to the translated source (the SNAT target). ICMP echo keeps the
 * identifier in srcPort in both directions (an echo reply carries the request's id),
 * so it is not swapped; SNAT may rewrite it, DNAT has no port to rewrite.
 */
export function replyTuple(original: Tuple, nat: NatBindings | undefined): Tuple {
  const dnat = nat?.dnat;
  const snat = nat?.snat;
  const icmp = isIcmp(original.protocol);
  return {
    srcIp: dnat?.ip ?? original.dstIp,
    dstIp: snat?.ip ?? original.srcIp,
    protocol: original.protocol,
    srcPort: icmp ? (snat?.port ?? original.srcPort) : (dnat?.port ?? original.dstPort),
    dstPort: icmp ? 0 : (snat?.port ?? original.srcPort),
  };
}

/** Canonical text of an address, or the input unchanged when it does not parse (then it matches nothing). */
export function canonicalIp(text: string): string {
  const b = parseIp(text);
  return b ? formatIp(b) : text;
}

/** A HAL FiveTuple (optional fields, any valid address text) as a Tuple. */
export function fromHal(t: { srcIp?: string; dstIp?: string; protocol?: number; srcPort?: number; dstPort?: number }): Tuple {
  return {
    srcIp: canonicalIp(t.srcIp ?? ''),
    dstIp: canonicalIp(t.dstIp ?? ''),
    protocol: t.protocol ?? 0,
    srcPort: t.srcPort ?? 0,
    dstPort: t.dstPort ?? 0,
  };
}
