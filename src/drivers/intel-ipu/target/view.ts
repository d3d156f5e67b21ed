// What the policy and routing stages see of a packet, for either family:
// addresses as integers (32 or 128 bits), protocol, ports or ICMP type/code.
import { formatIpv4, formatIpv6 } from '../../../hal/index.js';
import type { ParsedPacket } from '../../../sim/packet/index.js';
import { toBigInt, toFixed } from '../p4rt/bytestrings.js';

export interface PacketView {
  readonly family: 4 | 6;
  readonly src: bigint;
  readonly dst: bigint;
  readonly protocol: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
}

/** The view of a parsed IPv4 or IPv6 packet as it is in `frame` now. */
export function viewOf(frame: Uint8Array, pkt: ParsedPacket): PacketView | undefined {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return undefined;
  const v4 = l3.kind === 'ipv4';
  const at = v4 ? l3.offset + 12 : l3.offset + 8;
  const w = v4 ? 4 : 16;
  const l4 = pkt.l4;
  return {
    family: v4 ? 4 : 6,
    src: toBigInt(frame.subarray(at, at + w)),
    dst: toBigInt(frame.subarray(at + w, at + 2 * w)),
    protocol: v4 ? l3.protocol : l3.upperProtocol,
    ...(l4 && (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'sctp') && { srcPort: l4.srcPort, dstPort: l4.dstPort }),
    ...(l4 && (l4.kind === 'icmp' || l4.kind === 'icmpv6') && { icmpType: l4.type, icmpCode: l4.code }),
  };
}

export const addrText = (family: 4 | 6, v: bigint) => (family === 4 ? formatIpv4(toFixed(v, 4)) : formatIpv6(toFixed(v, 16)));

/** 32-bit words of the 5-tuple for the selector hashes (IPv4: the addresses themselves, as before IPv6). */
export function hashWords(v: PacketView): number[] {
  const words = (a: bigint) => (v.family === 4 ? [Number(a)] : [0, 1, 2, 3].map((i) => Number((a >> BigInt(96 - 32 * i)) & 0xffffffffn)));
  return [...words(v.src), ...words(v.dst), v.protocol, v.srcPort ?? 0, v.dstPort ?? 0];
}

export function describeView(v: PacketView): string {
  const proto = v.protocol === 6 ? 'TCP' : v.protocol === 17 ? 'UDP' : v.protocol === 1 ? 'ICMP' : v.protocol === 58 ? 'ICMPv6' : v.protocol === 132 ? 'SCTP' : `proto ${v.protocol}`;
  const ep = (a: bigint, p?: number) => (p === undefined ? addrText(v.family, a) : v.family === 6 ? `[${addrText(6, a)}]:${p}` : `${addrText(4, a)}:${p}`);
  return `IPv${v.family} ${proto} ${ep(v.src, v.srcPort)} → ${ep(v.dst, v.dstPort)}`;
}
