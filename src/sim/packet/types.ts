// Shapes produced by parsePacket. Every `offset` is absolute into the frame
// passed to parsePacket (also for tunnel inner packets), so a pipeline can
// rewrite any layer in place without re-deriving positions.

import type { MalformedReason } from './drop-reasons.js';

export interface EthInfo {
  dst: string;
  src: string;
  /** VLAN IDs (12 bits), outermost first. */
  vlans: number[];
  /** Full 16-bit TCI of each tag (PCP/DEI/VID), outermost first. */
  vlanTcis: number[];
  /** TPID of each tag (0x8100 or 0x88a8), outermost first. */
  vlanTpids: number[];
  /** EtherType after the VLAN tags. */
  etherType: number;
  /** Start of the Ethernet header. */
  offset: number;
  /** Bytes of Ethernet header including tags (14 + 4 per tag). */
  headerLength: number;
}

export interface ArpInfo {
  kind: 'arp';
  offset: number;
  /** 1 = request, 2 = reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface Ipv4Info {
  kind: 'ipv4';
  offset: number;
  headerLength: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** Fragment offset in 8-byte units. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
  /** Raw option bytes (copy), empty when IHL = 5. */
  options: Uint8Array;
}

export interface Ipv6Extension {
  /** Protocol number of this header: 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options, 51 AH. */
  type: number;
  offset: number;
  length: number;
  nextHeader: number;
}

export interface Ipv6Info {
  kind: 'ipv6';
  offset: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  /** Next Header field of the fixed header. */
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  extensions: Ipv6Extension[];
  /** Protocol after the extension chain (6, 17, 58, 50, 59 …). */
  upperProtocol: number;
  /** Offset of the upper-layer header. */
  upperOffset: number;
  /** Present when a Fragment header was seen. */
  fragment?: { offset: number; more: boolean; id: number };
}

export interface TcpFlags {
  fin: boolean; syn: boolean; rst: boolean; psh: boolean; ack: boolean; urg: boolean; ece: boolean; cwr: boolean;
}

export interface TcpInfo {
  kind: 'tcp';
  offset: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in bytes (data offset × 4). */
  dataOffset: number;
  /** Raw flag byte (CWR ECE URG ACK PSH RST SYN FIN). */
  flagBits: number;
  flags: TcpFlags;
  window: number;
  checksum: number;
  urgentPointer: number;
}

export interface UdpInfo {
  kind: 'udp';
  offset: number;
  srcPort: number;
  dstPort: number;
  length: number;
  checksum: number;
}

export interface IcmpInfo {
  kind: 'icmp';
  offset: number;
  type: number;
  code: number;
  checksum: number;
  /** Echo request/reply (8/0) only. */
  id?: number;
  seq?: number;
}

export interface Icmpv6Info {
  kind: 'icmpv6';
  offset: number;
  type: number;
  code: number;
  checksum: number;
  /** Echo request/reply (128/129) only. */
  id?: number;
  seq?: number;
}

export interface SctpInfo {
  kind: 'sctp';
  offset: number;
  srcPort: number;
  dstPort: number;
  verificationTag: number;
  checksum: number;
}

export interface EspInfo {
  kind: 'esp';
  offset: number;
  spi: number;
  seq: number;
}

export interface GeneveOption {
  class: number;
  type: number;
  /** Option data (copy), a multiple of 4 bytes. */
  data: Uint8Array;
}

export interface TunnelInfo {
  kind: 'vxlan' | 'geneve';
  vni: number;
  /** Start of the VXLAN/Geneve header. */
  offset: number;
  /** Start of the encapsulated payload (inner Ethernet frame for VXLAN and Geneve 0x6558). */
  innerOffset: number;
  /** Geneve only: protocol type (0x6558 = Ethernet) and O/C flags. */
  protocolType?: number;
  oam?: boolean;
  critical?: boolean;
  options?: GeneveOption[];
  /** The parsed inner frame; absent for Geneve protocol types other than 0x6558, or when parsing was told not to descend. */
  inner?: ParsedPacket;
}

export type L3Info = Ipv4Info | Ipv6Info | ArpInfo;
export type L4Info = TcpInfo | UdpInfo | IcmpInfo | Icmpv6Info | SctpInfo | EspInfo;

export interface ParsedPacket {
  eth: EthInfo;
  l3?: L3Info;
  l4?: L4Info;
  tunnel?: TunnelInfo;
  /** True for any IPv4/IPv6 fragment; L4 is parsed only for the first one (offset 0), and its checksum is not verified. */
  fragment: boolean;
  /** Where the innermost parsed header of this packet ends (application data, or the tunnel header). */
  payloadOffset: number;
  /** End of the packet's meaningful bytes (excludes Ethernet padding after an IP packet). */
  payloadEnd: number;
  /** Bytes covered by this packet: the frame length for the outer packet, the inner frame's length for a tunnel inner. */
  length: number;
}

export type ParseOutcome =
  | { ok: true; pkt: ParsedPacket }
  | { ok: false; reason: MalformedReason; detail: string };

export interface ParseOptions {
  /** Verify IPv4/TCP/UDP/ICMP/ICMPv6/SCTP checksums (default true). */
  verifyChecksums?: boolean;
  /** Maximum tunnel nesting (default 2): a frame may carry this many VXLAN/Geneve headers. */
  maxTunnelDepth?: number;
  /** Parse the inner frame of tunnels (default true). */
  parseInner?: boolean;
}
