// Answers a device sends instead of forwarding (a TCP RST, an ICMP/ICMPv6
// destination-unreachable) and the reverse: the 5-tuple quoted inside a received
// ICMP error, which conntrack uses for RELATED and NAT for translating the error.
//
// Builders take the offending frame and its ParsedPacket (offsets are absolute,
// so a tunnel's inner packet works too) and return a whole Ethernet frame addressed
// back to the sender, or null when the rules forbid an answer.
import { IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_ROUTING, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, rd16 } from './wire.js';
import { formatIpv4, formatIpv6 } from './addresses.js';
import { buildFrame, type EthSpec } from './build.js';
import type { ParsedPacket } from './types.js';

export interface ReplyOptions {
  /** Source MAC of the answer (default: the offending frame's destination MAC). */
  readonly srcMac?: string;
  /** Source address of an ICMP error (default: the offending packet's destination). */
  readonly srcIp?: string;
  /** TTL / hop limit (default 64). */
  readonly ttl?: number;
}

/** The unreachable flavours the pipeline needs. */
/** Port unreachable (services), administratively prohibited (ACLs), network unreachable / no route (routes). */
export type UnreachableKind = 'port' | 'admin' | 'net';

/**
 * Quoted bytes of the invoking packet. RFC 792 requires the IP header plus 8
 * bytes; RFC 1812 §4.3.2.3 allows as much as keeps the error within 576 bytes
 * (576 - 20 - 8 = 548). RFC 4443 §2.4(c): as much as fits the IPv6 minimum MTU
 * (1280 - 40 - 8 = 1232).
 */
export const ICMPV4_MAX_QUOTE = 548;
export const ICMPV6_MAX_QUOTE = 1232;

function ethBack(pkt: ParsedPacket, opts: ReplyOptions | undefined): EthSpec {
  const vlan = pkt.eth.vlanTcis;
  return { src: opts?.srcMac ?? pkt.eth.dst, dst: pkt.eth.src, ...(vlan.length > 0 && { vlan: [...vlan] }) };
}

/** End of the IP packet in the frame (its stated length, not the frame's). */
export function ipEnd(pkt: ParsedPacket): number {
  const l3 = pkt.l3!;
  return l3.kind === 'ipv4' ? l3.offset + l3.totalLength : l3.kind === 'ipv6' ? l3.offset + 40 + l3.payloadLength : l3.offset;
}

/**
 * RFC 9293 §3.10.7.1 reset for a segment that has no connection: if it carries
 * ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>,
 * where SEG.LEN counts the payload plus one for SYN and one for FIN. An RST is
 * never answered (null), nor is anything that is not TCP over IP.
 */
export function buildTcpReset(frame: Uint8Array, pkt: ParsedPacket, opts?: ReplyOptions): Uint8Array | null {
  const l3 = pkt.l3;
  const t = pkt.l4;
  if (!l3 || l3.kind === 'arp' || !t || t.kind !== 'tcp' || t.flags.rst || pkt.fragment) return null;
  const payload = Math.max(0, ipEnd(pkt) - (t.offset + t.dataOffset));
  const segLen = payload + (t.flags.syn ? 1 : 0) + (t.flags.fin ? 1 : 0);
  const tcp = t.flags.ack
    ? { sport: t.dstPort, dport: t.srcPort, seq: t.ack, ack: 0, flags: 'R', window: 0 }
    : { sport: t.dstPort, dport: t.srcPort, seq: 0, ack: (t.seq + segLen) >>> 0, flags: 'RA', window: 0 };
  const ttl = opts?.ttl ?? 64;
  const ip = l3.kind === 'ipv4' ? { ipv4: { src: l3.dst, dst: l3.src, ttl } } : { ipv6: { src: l3.dst, dst: l3.src, hopLimit: ttl } };
  return buildFrame({ eth: ethBack(pkt, opts), ...ip, tcp });
}

function isIcmpErrorType(v6: boolean, type: number): boolean {
  return v6 ? type < 128 : type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** Not a single unicast host: unspecified (0.0.0.0), limited broadcast, or multicast (224/4). */
function v4NotUnicast(f: Uint8Array, o: number): boolean {
  const a = f[o];
  const all = (a & f[o + 1] & f[o + 2] & f[o + 3]) === 255;
  const zero = (a | f[o + 1] | f[o + 2] | f[o + 3]) === 0;
  return zero || all || (a >= 224 && a <= 239);
}

/** Unspecified (::) or multicast (ff00::/8). */
function v6NotUnicast(f: Uint8Array, o: number): boolean {
  if (f[o] === 0xff) return true;
  for (let i = 0; i < 16; i++) if (f[o + i] !== 0) return false;
  return true;
}

/**
 * ICMPv4 destination unreachable (type 3; code 3 port unreachable, code 13
 * communication administratively prohibited, RFC 1812 §5.2.7.1) or ICMPv6 (type
 * 1; code 4 port unreachable, code 1 administratively prohibited, RFC 4443 §3.1),
 * quoting the offending packet from its IP header on. Null where RFC 1122 §3.2.2 /
 * RFC 4443 §2.4(e) forbid an error: the packet is itself an ICMP error, a non-first
 * fragment, sent to a link-layer broadcast, or to or from a multicast, broadcast or
 * unspecified address.
 */
export function buildIcmpUnreachable(frame: Uint8Array, pkt: ParsedPacket, kind: UnreachableKind, opts?: ReplyOptions): Uint8Array | null {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return null;
  if (pkt.eth.dst === 'ff:ff:ff:ff:ff:ff') return null;
  const v6 = l3.kind === 'ipv6';
  const l4 = pkt.l4;
  if (l4 && (l4.kind === 'icmp' || l4.kind === 'icmpv6') && isIcmpErrorType(v6, l4.type)) return null;
  if (v6) {
    if (l3.fragment && l3.fragment.offset !== 0) return null;
    if (v6NotUnicast(frame, l3.offset + 8) || v6NotUnicast(frame, l3.offset + 24)) return null;
  } else {
    if (l3.fragmentOffset !== 0) return null;
    if (v4NotUnicast(frame, l3.offset + 12) || v4NotUnicast(frame, l3.offset + 16)) return null;
  }
  const max = v6 ? ICMPV6_MAX_QUOTE : ICMPV4_MAX_QUOTE;
  const quote = Uint8Array.prototype.slice.call(frame, l3.offset, Math.min(ipEnd(pkt), l3.offset + max));
  const ttl = opts?.ttl ?? 64;
  const src = opts?.srcIp ?? l3.dst;
  if (v6) {
    return buildFrame({
      eth: ethBack(pkt, opts),
      ipv6: { src, dst: l3.src, hopLimit: ttl },
      icmpv6: { type: 1, code: kind === 'port' ? 4 : kind === 'admin' ? 1 : 0 },
      payload: quote,
    });
  }
  return buildFrame({
    eth: ethBack(pkt, opts),
    ipv4: { src, dst: l3.src, ttl },
    icmp: { type: 3, code: kind === 'port' ? 3 : kind === 'admin' ? 13 : 0 },
    payload: quote,
  });
}

/** The packet an ICMP error quotes: its own 5-tuple (as it was sent) and where it sits in the frame. */
export interface QuotedPacket {
  readonly family: 4 | 6;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly protocol: number;
  /** Ports; for a quoted ICMP echo, the identifier in srcPort and 0 in dstPort; 0 for protocols without ports. */
  readonly srcPort: number;
  readonly dstPort: number;
  /** Offset of the quoted IP header in the frame. */
  readonly l3Offset: number;
  /** Offset of the quoted transport header, or -1 when the protocol has none. */
  readonly l4Offset: number;
}

const MAX_QUOTED_EXTENSIONS = 8;

/**
 * The tuple quoted by a received ICMPv4 error (types 3, 4, 5, 11, 12) or ICMPv6
 * error (types 1 to 4), read from the possibly truncated quote with bounds checks.
 * Null when the packet is not such an error, the quote is too short for the
 * addresses and ports, it quotes a non-first fragment, or it quotes something that
 * is neither a port protocol, an echo, nor portless (an error about an error).
 */
export function quotedTuple(frame: Uint8Array, pkt: ParsedPacket): QuotedPacket | null {
  const l3 = pkt.l3;
  const l4 = pkt.l4;
  if (!l3 || l3.kind === 'arp' || !l4 || (l4.kind !== 'icmp' && l4.kind !== 'icmpv6')) return null;
  const v6 = l4.kind === 'icmpv6';
  if (v6 ? l4.type < 1 || l4.type > 4 : !isIcmpErrorType(false, l4.type)) return null;
  const o = l4.offset + 8;
  const end = Math.min(ipEnd(pkt), frame.length);
  let proto: number;
  let l4o: number;
  let srcIp: string;
  let dstIp: string;
  if (!v6) {
    if (o + 20 > end || frame[o] >> 4 !== 4) return null;
    const ihl = (frame[o] & 0x0f) * 4;
    if (ihl < 20 || o + ihl > end) return null;
    if ((rd16(frame, o + 6) & 0x1fff) !== 0) return null;
    proto = frame[o + 9];
    srcIp = formatIpv4(frame, o + 12);
    dstIp = formatIpv4(frame, o + 16);
    l4o = o + ihl;
  } else {
    if (o + 40 > end || frame[o] >> 4 !== 6) return null;
    srcIp = formatIpv6(frame, o + 8);
    dstIp = formatIpv6(frame, o + 24);
    proto = frame[o + 6];
    l4o = o + 40;
    for (let n = 0; ; n++) {
      if (proto !== IPPROTO_HOPOPTS && proto !== IPPROTO_ROUTING && proto !== IPPROTO_DSTOPTS && proto !== IPPROTO_FRAGMENT && proto !== IPPROTO_AH) break;
      if (n >= MAX_QUOTED_EXTENSIONS || l4o + 8 > end) return null;
      if (proto === IPPROTO_FRAGMENT && rd16(frame, l4o + 2) >> 3 !== 0) return null;
      const len = proto === IPPROTO_FRAGMENT ? 8 : proto === IPPROTO_AH ? (frame[l4o + 1] + 2) * 4 : (frame[l4o + 1] + 1) * 8;
      proto = frame[l4o];
      l4o += len;
    }
  }
  const family = v6 ? 6 : 4;
  switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_SCTP:
      if (l4o + 4 > end) return null;
      return { family, srcIp, dstIp, protocol: proto, srcPort: rd16(frame, l4o), dstPort: rd16(frame, l4o + 2), l3Offset: o, l4Offset: l4o };
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      if ((proto === IPPROTO_ICMPV6) !== v6 || l4o + 8 > end) return null;
      const type = frame[l4o];
      const echo = v6 ? type === 128 || type === 129 : type === 8 || type === 0;
      if (!echo) return null;
      return { family, srcIp, dstIp, protocol: proto, srcPort: rd16(frame, l4o + 4), dstPort: 0, l3Offset: o, l4Offset: l4o };
    }
    default:
      if (l4o > end) return null;
      return { family, srcIp, dstIp, protocol: proto, srcPort: 0, dstPort: 0, l3Offset: o, l4Offset: -1 };
  }
}
