// Frame builder: a declarative spec with text addresses in, wire bytes out,
// with every length and checksum filled in. Builders may throw BuildError on a
// bad spec (unlike the parser, which never throws).

import { parseIpv4Text, parseIpv6Text, parseMacText } from './addresses.js';
import { internetChecksum, sctpChecksum, sum16 } from './checksum.js';
import {
  ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN,
  IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_ESP, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6,
  IPPROTO_NONE, IPPROTO_ROUTING, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, wr16, wr32,
} from './wire.js';

export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

export interface EthSpec {
  src?: string;
  dst?: string;
  /** One VLAN ID or [outer, inner]; a full TCI (PCP/DEI bits) may be given as a number > 0xfff. */
  vlan?: number | number[];
  /** EtherType when no L3 spec is given. */
  etherType?: number;
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  dscp?: number;
  ecn?: number;
  flags?: { df?: boolean; mf?: boolean };
  /** In 8-byte units. */
  fragmentOffset?: number;
  /** Raw options; zero-padded (End of Option List) to a multiple of 4, at most 40 bytes. */
  options?: Uint8Array;
  /** Overrides the protocol derived from the L4 spec. */
  protocol?: number;
}

export interface Ipv6OptionSpec { type: number; data?: Uint8Array }

export type Ipv6ExtensionSpec =
  | { type: 'hop-by-hop' | 'destination'; options?: Ipv6OptionSpec[] }
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; addresses?: string[] }
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number }
  | { type: 'ah'; spi: number; seq: number; icv?: Uint8Array };

export interface Ipv6Spec {
  src: string;
  dst: string;
  hopLimit?: number;
  flowLabel?: number;
  trafficClass?: number;
  extensions?: Ipv6ExtensionSpec[];
  /** Overrides the upper-layer protocol derived from the L4 spec. */
  nextHeader?: number;
}

export interface TcpFlagsSpec {
  fin?: boolean; syn?: boolean; rst?: boolean; psh?: boolean; ack?: boolean; urg?: boolean; ece?: boolean; cwr?: boolean;
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Object, or letters F S R P A U E C (e.g. 'S', 'SA', 'A', 'FA', 'R', 'PA'). Default 'A'. */
  flags?: TcpFlagsSpec | string;
  window?: number;
  urgentPointer?: number;
  /** Raw TCP options, zero-padded to a multiple of 4 (at most 40 bytes). */
  options?: Uint8Array;
}

export interface UdpSpec {
  sport: number;
  dport: number;
  /** false writes a zero checksum ("none"; valid on IPv4 only). Default true. */
  checksum?: boolean;
}

export interface IcmpSpec { type: number; code?: number; id?: number; seq?: number }
export interface SctpSpec { sport: number; dport: number; tag?: number }
export interface EspSpec { spi: number; seq: number }

export interface ArpSpec {
  op: 'request' | 'reply' | number;
  senderMac: string;
  senderIp: string;
  targetMac?: string;
  targetIp: string;
}

export interface FrameSpec {
  eth?: EthSpec;
  ipv4?: Ipv4Spec;
  ipv6?: Ipv6Spec;
  arp?: ArpSpec;
  tcp?: TcpSpec;
  udp?: UdpSpec;
  icmp?: IcmpSpec;
  icmpv6?: IcmpSpec;
  sctp?: SctpSpec;
  esp?: EspSpec;
  /** L4 payload (for SCTP: the chunks; for ESP: everything after SPI/sequence). Strings are UTF-8 encoded. */
  payload?: Uint8Array | string;
  /** Zero-pad the frame to at least this many bytes (60 = Ethernet minimum without FCS). */
  padTo?: number;
}

export const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
export const DEFAULT_DST_MAC = '02:00:00:00:00:02';

const encoder = new TextEncoder();

function mac(text: string): Uint8Array {
  const b = parseMacText(text);
  if (!b) throw new BuildError(`invalid MAC address: ${text}`);
  return b;
}

function ipv4(text: string): Uint8Array {
  const b = parseIpv4Text(text);
  if (!b) throw new BuildError(`invalid IPv4 address: ${text}`);
  return b;
}

function ipv6(text: string): Uint8Array {
  const b = parseIpv6Text(text);
  if (!b) throw new BuildError(`invalid IPv6 address: ${text}`);
  return b;
}

function u(value: number, bits: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) throw new BuildError(`${what} out of range: ${value}`);
  return value;
}

function pad4(b: Uint8Array, max: number, what: string): Uint8Array {
  const len = (b.length + 3) & ~3;
  if (len > max) throw new BuildError(`${what} too long: ${b.length} bytes (max ${max})`);
  const out = new Uint8Array(len);
  out.set(b);
  return out;
}

/** TCP flag byte from an object or letter string. */
export function tcpFlagBits(flags: TcpFlagsSpec | string | undefined): number {
  if (flags === undefined) return 0x10;
  if (typeof flags === 'string') {
    const letters = 'FSRPAUEC';
    let bits = 0;
    for (const ch of flags.toUpperCase()) {
      const i = letters.indexOf(ch);
      if (i < 0) throw new BuildError(`unknown TCP flag letter '${ch}' in '${flags}'`);
      bits |= 1 << i;
    }
    return bits;
  }
  return (flags.fin ? 0x01 : 0) | (flags.syn ? 0x02 : 0) | (flags.rst ? 0x04 : 0) | (flags.psh ? 0x08 : 0) |
    (flags.ack ? 0x10 : 0) | (flags.urg ? 0x20 : 0) | (flags.ece ? 0x40 : 0) | (flags.cwr ? 0x80 : 0);
}

/** Hop-by-hop / destination options area, padded with Pad1/PadN so header length is a multiple of 8. */
function optionsHeaderBody(options: Ipv6OptionSpec[]): Uint8Array {
  const parts: number[] = [];
  for (const o of options) {
    if (o.type === 0) { parts.push(0); continue; } // Pad1 has no length byte
    const d = o.data ?? new Uint8Array(0);
    if (d.length > 255) throw new BuildError('IPv6 option data longer than 255 bytes');
    parts.push(o.type, d.length, ...d);
  }
  const total = 2 + parts.length;
  const padLen = (8 - (total % 8)) % 8;
  if (padLen === 1) parts.push(0);
  else if (padLen > 1) parts.push(1, padLen - 2, ...new Array<number>(padLen - 2).fill(0));
  return Uint8Array.from(parts);
}

interface ExtBytes { proto: number; bytes: Uint8Array; finalDst?: Uint8Array }

function extensionBytes(ext: Ipv6ExtensionSpec): ExtBytes {
  switch (ext.type) {
    case 'hop-by-hop':
    case 'destination': {
      const body = optionsHeaderBody(ext.options ?? []);
      const bytes = new Uint8Array(2 + body.length);
      bytes.set(body, 2);
      bytes[1] = bytes.length / 8 - 1;
      return { proto: ext.type === 'hop-by-hop' ? IPPROTO_HOPOPTS : IPPROTO_DSTOPTS, bytes };
    }
    case 'routing': {
      const addrs = (ext.addresses ?? []).map(ipv6);
      const rtype = ext.routingType ?? 4;
      const segLeft = ext.segmentsLeft ?? addrs.length;
      const bytes = new Uint8Array(8 + 16 * addrs.length);
      bytes[1] = 2 * addrs.length;
      bytes[2] = u(rtype, 8, 'routing type');
      bytes[3] = u(segLeft, 8, 'segments left');
      if (rtype === 4 && addrs.length > 0) bytes[4] = addrs.length - 1; // SRH Last Entry
      addrs.forEach((a, i) => bytes.set(a, 8 + 16 * i));
      let finalDst: Uint8Array | undefined;
      if (segLeft > 0 && addrs.length > 0) finalDst = rtype === 4 ? addrs[0] : addrs[addrs.length - 1];
      return { proto: IPPROTO_ROUTING, bytes, finalDst };
    }
    case 'fragment': {
      const bytes = new Uint8Array(8);
      wr16(bytes, 2, (u(ext.offset ?? 0, 13, 'fragment offset') << 3) | (ext.more ? 1 : 0));
      wr32(bytes, 4, u(ext.id ?? 0, 32, 'fragment id'));
      return { proto: IPPROTO_FRAGMENT, bytes };
    }
    case 'ah': {
      const icv = pad4(ext.icv ?? new Uint8Array(12), 1000, 'AH ICV');
      const bytes = new Uint8Array(12 + icv.length);
      if (bytes.length % 8 !== 0) throw new BuildError('AH header over IPv6 must be a multiple of 8 bytes');
      bytes[1] = bytes.length / 4 - 2;
      wr32(bytes, 4, u(ext.spi, 32, 'AH SPI'));
      wr32(bytes, 8, u(ext.seq, 32, 'AH sequence'));
      bytes.set(icv, 12);
      return { proto: IPPROTO_AH, bytes };
    }
  }
}

/** Build a complete Ethernet frame from a spec. */
export function buildFrame(spec: FrameSpec): Uint8Array {
  const l3Count = (spec.ipv4 ? 1 : 0) + (spec.ipv6 ? 1 : 0) + (spec.arp ? 1 : 0);
  if (l3Count > 1) throw new BuildError('give at most one of ipv4, ipv6, arp');
  const l4Kinds = (['tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'esp'] as const).filter((k) => spec[k] !== undefined);
  if (l4Kinds.length > 1) throw new BuildError(`give at most one L4 spec (got ${l4Kinds.join(', ')})`);
  if (l4Kinds.length === 1 && !spec.ipv4 && !spec.ipv6) throw new BuildError(`${l4Kinds[0]} needs ipv4 or ipv6`);
  const l4Kind = l4Kinds[0];
  const payload = typeof spec.payload === 'string' ? encoder.encode(spec.payload) : (spec.payload ?? new Uint8Array(0));

  const eth = spec.eth ?? {};
  const vlans = eth.vlan === undefined ? [] : Array.isArray(eth.vlan) ? eth.vlan : [eth.vlan];
  if (vlans.length > 2) throw new BuildError('at most two VLAN tags');
  const ethLen = 14 + 4 * vlans.length;

  // L3 header size.
  let l3Len = 0;
  let ipv4Options: Uint8Array = new Uint8Array(0);
  let exts: ExtBytes[] = [];
  if (spec.ipv4) {
    ipv4Options = pad4(spec.ipv4.options ?? new Uint8Array(0), 40, 'IPv4 options');
    l3Len = 20 + ipv4Options.length;
  } else if (spec.ipv6) {
    exts = (spec.ipv6.extensions ?? []).map(extensionBytes);
    l3Len = 40 + exts.reduce((n, e) => n + e.bytes.length, 0);
  } else if (spec.arp) {
    l3Len = 28;
  }

  // L4 header size.
  let tcpOptions: Uint8Array = new Uint8Array(0);
  let l4Len = 0;
  switch (l4Kind) {
    case 'tcp':
      tcpOptions = pad4(spec.tcp!.options ?? new Uint8Array(0), 40, 'TCP options');
      l4Len = 20 + tcpOptions.length;
      break;
    case 'udp': case 'icmp': case 'icmpv6': case 'esp': l4Len = 8; break;
    case 'sctp': l4Len = 12; break;
    case undefined: break;
  }
  const l4Total = l4Len + payload.length;
  const ipTotal = l3Len + (spec.arp ? 0 : l4Total);
  if (spec.ipv4 && ipTotal > 0xffff) throw new BuildError(`IPv4 packet too long: ${ipTotal}`);
  if (spec.ipv6 && ipTotal - 40 > 0xffff) throw new BuildError(`IPv6 payload too long: ${ipTotal - 40}`);
  const contentLen = ethLen + ipTotal + (spec.ipv4 || spec.ipv6 || spec.arp ? 0 : payload.length);
  const frame = new Uint8Array(Math.max(contentLen, spec.padTo ?? 0));

  // Ethernet.
  const isArpRequest = spec.arp !== undefined && (spec.arp.op === 'request' || spec.arp.op === 1);
  frame.set(mac(eth.dst ?? (isArpRequest ? 'ff:ff:ff:ff:ff:ff' : DEFAULT_DST_MAC)), 0);
  frame.set(mac(eth.src ?? (spec.arp ? spec.arp.senderMac : DEFAULT_SRC_MAC)), 6);
  let off = 12;
  vlans.forEach((v, i) => {
    u(v, 16, 'VLAN TCI');
    // 802.1ad S-tag outside when double tagged.
    wr16(frame, off, vlans.length === 2 && i === 0 ? ETHERTYPE_QINQ : ETHERTYPE_VLAN);
    wr16(frame, off + 2, v);
    off += 4;
  });
  const etherType = spec.ipv4 ? ETHERTYPE_IPV4 : spec.ipv6 ? ETHERTYPE_IPV6 : spec.arp ? ETHERTYPE_ARP : (eth.etherType ?? 0x88b5);
  wr16(frame, off, u(etherType, 16, 'EtherType'));
  const l3 = ethLen;
  const l4 = l3 + l3Len;

  const protoFor: Record<string, number> = {
    tcp: IPPROTO_TCP, udp: IPPROTO_UDP, icmp: IPPROTO_ICMP, icmpv6: IPPROTO_ICMPV6, sctp: IPPROTO_SCTP, esp: IPPROTO_ESP,
  };

  // L3.
  let pseudoBase = 0;
  if (spec.ipv4) {
    const s = spec.ipv4;
    frame[l3] = 0x40 | (l3Len / 4);
    frame[l3 + 1] = (u(s.dscp ?? 0, 6, 'DSCP') << 2) | u(s.ecn ?? 0, 2, 'ECN');
    wr16(frame, l3 + 2, ipTotal);
    wr16(frame, l3 + 4, u(s.id ?? 0, 16, 'IPv4 id'));
    wr16(frame, l3 + 6, (s.flags?.df ? 0x4000 : 0) | (s.flags?.mf ? 0x2000 : 0) | u(s.fragmentOffset ?? 0, 13, 'fragment offset'));
    frame[l3 + 8] = u(s.ttl ?? 64, 8, 'TTL');
    frame[l3 + 9] = u(s.protocol ?? (l4Kind ? protoFor[l4Kind] : 253), 8, 'protocol');
    frame.set(ipv4(s.src), l3 + 12);
    frame.set(ipv4(s.dst), l3 + 16);
    frame.set(ipv4Options, l3 + 20);
    wr16(frame, l3 + 10, internetChecksum(frame, l3, l3 + l3Len));
    pseudoBase = sum16(frame, l3 + 12, l3 + 20);
  } else if (spec.ipv6) {
    const s = spec.ipv6;
    const tc = u(s.trafficClass ?? 0, 8, 'traffic class');
    const fl = u(s.flowLabel ?? 0, 20, 'flow label');
    wr32(frame, l3, ((6 << 28) | (tc << 20) | fl) >>> 0);
    wr16(frame, l3 + 4, ipTotal - 40);
    const upper = u(s.nextHeader ?? (l4Kind ? protoFor[l4Kind] : IPPROTO_NONE), 8, 'next header');
    frame[l3 + 6] = exts.length > 0 ? exts[0].proto : upper;
    frame[l3 + 7] = u(s.hopLimit ?? 64, 8, 'hop limit');
    const src = ipv6(s.src);
    const dst = ipv6(s.dst);
    frame.set(src, l3 + 8);
    frame.set(dst, l3 + 24);
    let p = l3 + 40;
    let finalDst = dst;
    exts.forEach((e, i) => {
      frame.set(e.bytes, p);
      frame[p] = i + 1 < exts.length ? exts[i + 1].proto : upper;
      if (e.finalDst) finalDst = e.finalDst;
      p += e.bytes.length;
    });
    pseudoBase = sum16(src, 0, 16) + sum16(finalDst, 0, 16);
  } else if (spec.arp) {
    const a = spec.arp;
    const op = a.op === 'request' ? 1 : a.op === 'reply' ? 2 : u(a.op, 16, 'ARP op');
    wr16(frame, l3, 1);
    wr16(frame, l3 + 2, ETHERTYPE_IPV4);
    frame[l3 + 4] = 6;
    frame[l3 + 5] = 4;
    wr16(frame, l3 + 6, op);
    frame.set(mac(a.senderMac), l3 + 8);
    frame.set(ipv4(a.senderIp), l3 + 14);
    frame.set(mac(a.targetMac ?? '00:00:00:00:00:00'), l3 + 18);
    frame.set(ipv4(a.targetIp), l3 + 24);
  }

  // L4 header, payload, checksum.
  frame.set(payload, spec.ipv4 || spec.ipv6 ? l4 + l4Len : l3 + l3Len);
  const l4End = l4 + l4Total;
  const pseudo = (proto: number, len: number): number => pseudoBase + proto + len;
  switch (l4Kind) {
    case 'tcp': {
      const t = spec.tcp!;
      wr16(frame, l4, u(t.sport, 16, 'TCP sport'));
      wr16(frame, l4 + 2, u(t.dport, 16, 'TCP dport'));
      wr32(frame, l4 + 4, u(t.seq ?? 0, 32, 'TCP seq'));
      wr32(frame, l4 + 8, u(t.ack ?? 0, 32, 'TCP ack'));
      frame[l4 + 12] = (l4Len / 4) << 4;
      frame[l4 + 13] = tcpFlagBits(t.flags);
      wr16(frame, l4 + 14, u(t.window ?? 65535, 16, 'TCP window'));
      wr16(frame, l4 + 18, u(t.urgentPointer ?? 0, 16, 'urgent pointer'));
      frame.set(tcpOptions, l4 + 20);
      wr16(frame, l4 + 16, internetChecksum(frame, l4, l4End, pseudo(IPPROTO_TCP, l4Total)));
      break;
    }
    case 'udp': {
      const s = spec.udp!;
      wr16(frame, l4, u(s.sport, 16, 'UDP sport'));
      wr16(frame, l4 + 2, u(s.dport, 16, 'UDP dport'));
      wr16(frame, l4 + 4, l4Total);
      if (s.checksum !== false) {
        const c = internetChecksum(frame, l4, l4End, pseudo(IPPROTO_UDP, l4Total));
        wr16(frame, l4 + 6, c === 0 ? 0xffff : c); // RFC 768: a computed zero is sent as all ones
      }
      break;
    }
    case 'icmp':
    case 'icmpv6': {
      const s = spec[l4Kind]!;
      frame[l4] = u(s.type, 8, 'ICMP type');
      frame[l4 + 1] = u(s.code ?? 0, 8, 'ICMP code');
      wr16(frame, l4 + 4, u(s.id ?? 0, 16, 'ICMP id'));
      wr16(frame, l4 + 6, u(s.seq ?? 0, 16, 'ICMP seq'));
      const init = l4Kind === 'icmpv6' ? pseudo(IPPROTO_ICMPV6, l4Total) : 0;
      wr16(frame, l4 + 2, internetChecksum(frame, l4, l4End, init));
      break;
    }
    case 'sctp': {
      const s = spec.sctp!;
      wr16(frame, l4, u(s.sport, 16, 'SCTP sport'));
      wr16(frame, l4 + 2, u(s.dport, 16, 'SCTP dport'));
      wr32(frame, l4 + 4, u(s.tag ?? 0, 32, 'SCTP verification tag'));
      wr32(frame, l4 + 8, sctpChecksum(frame, l4, l4End));
      break;
    }
    case 'esp': {
      wr32(frame, l4, u(spec.esp!.spi, 32, 'ESP SPI'));
      wr32(frame, l4 + 4, u(spec.esp!.seq, 32, 'ESP sequence'));
      break;
    }
    case undefined:
      break;
  }
  return frame;
}
