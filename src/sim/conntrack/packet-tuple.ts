// What conntrack needs from a parsed packet: the tuple (ICMP echo id in srcPort),
// the TCP flag byte, and PacketMeta (TCP segment facts with the window-scale
// option, the ICMP type, the tuple an ICMP error quotes). One place derives them,
// so every datapath classifies the same way.
import { quotedTuple } from '../packet/icmp-errors.js';
import type { ParsedPacket } from '../packet/index.js';
import type { PacketMeta } from './table.js';
import type { Tuple } from './tuple.js';
import type { TcpSegment } from './window.js';

export interface CtPacket {
  readonly tuple: Tuple;
  /** TcpInfo.flagBits, 0 for other protocols. */
  readonly tcpFlags: number;
  readonly meta: PacketMeta;
}

/** TCP window-scale option (kind 3) of the segment at `o`, or undefined; malformed options end the walk. */
export function tcpWindowScale(frame: Uint8Array, o: number, dataOffset: number): number | undefined {
  const end = o + dataOffset;
  for (let i = o + 20; i < end; ) {
    const kind = frame[i];
    if (kind === 0) return undefined;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) return undefined;
    const len = frame[i + 1];
    if (len < 2 || i + len > end) return undefined;
    if (kind === 3 && len === 3) return frame[i + 2];
    i += len;
  }
  return undefined;
}

/**
 * Conntrack inputs of an IPv4/IPv6 packet, or null when there is nothing to
 * track by (ARP, no IP, a non-first fragment whose ports are unknown).
 */
export function ctPacketOf(frame: Uint8Array, pkt: ParsedPacket): CtPacket | null {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return null;
  const protocol = l3.kind === 'ipv4' ? l3.protocol : l3.upperProtocol;
  const l4 = pkt.l4;
  if (!l4 && pkt.fragment) return null;
  const ipEnd = l3.kind === 'ipv4' ? l3.offset + l3.totalLength : l3.offset + 40 + l3.payloadLength;
  const base = { srcIp: l3.src, dstIp: l3.dst, protocol };
  if (!l4) return { tuple: { ...base, srcPort: 0, dstPort: 0 }, tcpFlags: 0, meta: {} };
  switch (l4.kind) {
    case 'tcp': {
      const seg: TcpSegment = {
        seq: l4.seq, ack: l4.ack, window: l4.window, payloadLength: Math.max(0, ipEnd - l4.offset - l4.dataOffset),
        ...(l4.flags.syn && { wscale: tcpWindowScale(frame, l4.offset, l4.dataOffset) }),
      };
      return { tuple: { ...base, srcPort: l4.srcPort, dstPort: l4.dstPort }, tcpFlags: l4.flagBits, meta: { seg } };
    }
    case 'udp':
    case 'sctp':
      return { tuple: { ...base, srcPort: l4.srcPort, dstPort: l4.dstPort }, tcpFlags: 0, meta: {} };
    case 'icmp':
    case 'icmpv6': {
      const q = quotedTuple(frame, pkt);
      const quoted = q && { srcIp: q.srcIp, dstIp: q.dstIp, protocol: q.protocol, srcPort: q.srcPort, dstPort: q.dstPort };
      return {
        tuple: { ...base, srcPort: l4.id ?? 0, dstPort: 0 },
        tcpFlags: 0,
        meta: quoted ? { icmpType: l4.type, quoted } : { icmpType: l4.type },
      };
    }
    default:
      return { tuple: { ...base, srcPort: 0, dstPort: 0 }, tcpFlags: 0, meta: {} };
  }
}
