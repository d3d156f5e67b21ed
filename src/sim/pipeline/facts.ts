// The flow facts a packet presents to the stateful stages: family, addresses (text
// for tables, bytes for prefix matching), protocol, ports or ICMP type/code/id.
import type { ParsedPacket } from '../packet/index.js';
import type { FlowFacts } from './acl.js';

export interface PacketFacts extends FlowFacts {
  /** ICMP/ICMPv6 echo identifier (request or reply), used as the conntrack "port". */
  readonly echoId?: number;
  /** Raw TCP flag byte, 0 for other protocols. */
  readonly tcpFlags: number;
}

const ECHO_TYPES = new Set([8, 0, 128, 129]);

/**
 * Facts of an IP packet, or null for ARP / non-IP. Address bytes are copies, so
 * NAT may rewrite the frame in place afterwards.
 */
export function factsOf(frame: Uint8Array, pkt: ParsedPacket): PacketFacts | null {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return null;
  const l4 = pkt.l4;
  const protocol = l3.kind === 'ipv4' ? l3.protocol : l3.upperProtocol;
  const v4 = l3.kind === 'ipv4';
  const srcAt = v4 ? l3.offset + 12 : l3.offset + 8;
  const dstAt = v4 ? l3.offset + 16 : l3.offset + 24;
  const len = v4 ? 4 : 16;
  const facts: PacketFacts = {
    family: v4 ? 4 : 6,
    src: l3.src,
    dst: l3.dst,
    srcBytes: frame.slice(srcAt, srcAt + len),
    dstBytes: frame.slice(dstAt, dstAt + len),
    protocol,
    tcpFlags: l4?.kind === 'tcp' ? l4.flagBits : 0,
    ...(l4 && (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'sctp') ? { srcPort: l4.srcPort, dstPort: l4.dstPort } : {}),
    ...(l4 && (l4.kind === 'icmp' || l4.kind === 'icmpv6') ? { icmpType: l4.type, icmpCode: l4.code, ...(ECHO_TYPES.has(l4.type) && l4.id !== undefined ? { echoId: l4.id } : {}) } : {}),
  };
  return facts;
}

/** The same facts with the destination (and port) replaced, as policy sees a DNATed packet. */
export function withDestination(f: PacketFacts, ip: string, ipBytes: Uint8Array, port: number | undefined): PacketFacts {
  return { ...f, dst: ip, dstBytes: ipBytes, ...(port !== undefined && f.dstPort !== undefined ? { dstPort: port } : {}) };
}

export function protocolName(p: number): string {
  return p === 6 ? 'TCP' : p === 17 ? 'UDP' : p === 132 ? 'SCTP' : p === 1 ? 'ICMP' : p === 58 ? 'ICMPv6' : `proto ${p}`;
}

export function describeFlow(f: FlowFacts): string {
  const ep = (a: string, p?: number) => (p === undefined ? a : f.family === 6 ? `[${a}]:${p}` : `${a}:${p}`);
  const icmp = f.icmpType !== undefined ? ` type ${f.icmpType} code ${f.icmpCode}` : '';
  return `IPv${f.family} ${protocolName(f.protocol)}${icmp} ${ep(f.src, f.srcPort)} → ${ep(f.dst, f.dstPort)}`;
}
