// One-line descriptions of frames, from the packet codec's parse: what the demo
// prints for what it sent and what came out.
import { parsePacket, type ParsedPacket } from '../sim/packet/index.js';

const TCP_FLAG_NAMES: [keyof NonNullable<TcpFlagsLike>, string][] = [
  ['syn', 'SYN'],
  ['ack', 'ACK'],
  ['fin', 'FIN'],
  ['rst', 'RST'],
  ['psh', 'PSH'],
];
type TcpFlagsLike = { syn: boolean; ack: boolean; fin: boolean; rst: boolean; psh: boolean };

const ICMP_TYPES: Record<number, string> = { 0: 'echo reply', 3: 'destination unreachable', 8: 'echo request', 11: 'time exceeded' };
const ICMPV6_TYPES: Record<number, string> = { 1: 'destination unreachable', 3: 'time exceeded', 128: 'echo request', 129: 'echo reply' };

function hostPort(addr: string, port: number, v6: boolean): string {
  return v6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export function describeParsed(p: ParsedPacket): string {
  const l3 = p.l3;
  if (!l3) return `Ethernet type 0x${p.eth.etherType.toString(16).padStart(4, '0')}`;
  if (l3.kind === 'arp') return `ARP ${l3.op === 1 ? 'request' : 'reply'} ${l3.senderIp} -> ${l3.targetIp}`;
  const v6 = l3.kind === 'ipv6';
  const l4 = p.l4;
  if (!l4) return `${v6 ? 'IPv6' : 'IPv4'} ${l3.src} -> ${l3.dst}`;
  switch (l4.kind) {
    case 'tcp': {
      const flags = TCP_FLAG_NAMES.filter(([k]) => l4.flags[k]).map(([, n]) => n).join('-') || 'no flags';
      return `TCP ${flags} ${hostPort(l3.src, l4.srcPort, v6)} -> ${hostPort(l3.dst, l4.dstPort, v6)}`;
    }
    case 'udp':
      return `UDP ${hostPort(l3.src, l4.srcPort, v6)} -> ${hostPort(l3.dst, l4.dstPort, v6)}`;
    case 'sctp':
      return `SCTP ${hostPort(l3.src, l4.srcPort, v6)} -> ${hostPort(l3.dst, l4.dstPort, v6)}`;
    case 'icmp':
      return `ICMP ${ICMP_TYPES[l4.type] ?? `type ${l4.type}`}${l4.type === 3 ? ` (code ${l4.code})` : ''} ${l3.src} -> ${l3.dst}`;
    case 'icmpv6':
      return `ICMPv6 ${ICMPV6_TYPES[l4.type] ?? `type ${l4.type}`}${l4.type === 1 ? ` (code ${l4.code})` : ''} ${l3.src} -> ${l3.dst}`;
    case 'esp':
      return `ESP spi 0x${l4.spi.toString(16)} ${l3.src} -> ${l3.dst}`;
  }
}

export interface FrameSummary {
  readonly text: string;
  readonly srcMac: string;
  readonly dstMac: string;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl?: number;
}

export function summarizeFrame(frame: Uint8Array): FrameSummary {
  const r = parsePacket(frame);
  if (!r.ok) return { text: `malformed frame (${r.reason}: ${r.detail})`, srcMac: '?', dstMac: '?' };
  const l3 = r.pkt.l3;
  const ttl = l3?.kind === 'ipv4' ? l3.ttl : l3?.kind === 'ipv6' ? l3.hopLimit : undefined;
  return { text: describeParsed(r.pkt), srcMac: r.pkt.eth.src, dstMac: r.pkt.eth.dst, ttl };
}
