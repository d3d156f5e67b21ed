// VXLAN / Geneve encapsulation and decapsulation, and the flow hash that
// spreads tunnels over outer UDP source ports (RFC 7348 §5, RFC 8926 §3.3).

import { BuildError, buildFrame, type EthSpec, type Ipv4Spec, type Ipv6Spec } from './build.js';
import { parsePacket } from './parse.js';
import type { ParsedPacket } from './types.js';
import { ETHERTYPE_TEB, GENEVE_PORT, VXLAN_PORT, copyBytes, wr16, wr24 } from './wire.js';

export interface TunnelOuterSpec {
  eth?: EthSpec;
  ipv4?: Ipv4Spec;
  ipv6?: Ipv6Spec;
  /** Outer UDP: sport defaults to a hash of the inner flow, dport to 4789/6081; checksum false (IPv4 only) writes zero. */
  udp?: { sport?: number; dport?: number; checksum?: boolean };
}

export interface GeneveOptionSpec {
  class: number;
  type: number;
  /** Zero-padded to a multiple of 4 bytes, at most 124. */
  data?: Uint8Array;
}

export interface GeneveFlags {
  /** Default 0x6558 (inner Ethernet). */
  protocolType?: number;
  oam?: boolean;
  /** Default: set when any option has the critical bit (type & 0x80). */
  critical?: boolean;
}

/** Ephemeral range used for hashed outer source ports. */
export const TUNNEL_SPORT_MIN = 49152;

function fnv1a(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Deterministic 32-bit hash of the packet's own 5-tuple (addresses, protocol,
 * ports; ICMP echo id stands in for ports). Non-IP frames hash MACs and EtherType.
 * For a tunnelled frame pass `pkt.tunnel.inner` to hash the inner flow.
 */
export function flowHash(pkt: ParsedPacket): number {
  const l3 = pkt.l3;
  const l4 = pkt.l4;
  let key: string;
  if (l3 && l3.kind !== 'arp') {
    const proto = l3.kind === 'ipv4' ? l3.protocol : l3.upperProtocol;
    let sport = 0;
    let dport = 0;
    if (l4 && (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'sctp')) { sport = l4.srcPort; dport = l4.dstPort; }
    else if (l4 && (l4.kind === 'icmp' || l4.kind === 'icmpv6')) sport = l4.id ?? 0;
    else if (l4 && l4.kind === 'esp') sport = l4.spi;
    key = `${l3.src}|${l3.dst}|${proto}|${sport}|${dport}`;
  } else {
    key = `${pkt.eth.src}|${pkt.eth.dst}|${pkt.eth.etherType}`;
  }
  return fnv1a(0x811c9dc5, key);
}

function innerSourcePort(inner: Uint8Array): number {
  const r = parsePacket(inner, { verifyChecksums: false });
  let h: number;
  if (r.ok) h = flowHash(r.pkt);
  else {
    h = 0x811c9dc5;
    for (let i = 0; i < Math.min(inner.length, 64); i++) h = Math.imul(h ^ inner[i], 0x01000193);
  }
  return TUNNEL_SPORT_MIN + ((h >>> 0) % (65536 - TUNNEL_SPORT_MIN));
}

function outerFrame(outer: TunnelOuterSpec, defaultPort: number, tunnelPayload: Uint8Array, inner: Uint8Array): Uint8Array {
  if (!outer.ipv4 === !outer.ipv6) throw new BuildError('tunnel outer spec needs exactly one of ipv4, ipv6');
  return buildFrame({
    eth: outer.eth,
    ipv4: outer.ipv4,
    ipv6: outer.ipv6,
    udp: {
      sport: outer.udp?.sport ?? innerSourcePort(inner),
      dport: outer.udp?.dport ?? defaultPort,
      checksum: outer.udp?.checksum,
    },
    payload: tunnelPayload,
  });
}

/** Outer Ethernet/IP/UDP/VXLAN + inner frame. */
export function buildVxlan(outer: TunnelOuterSpec, vni: number, innerFrame: Uint8Array): Uint8Array {
  if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) throw new BuildError(`VNI out of range: ${vni}`);
  const p = new Uint8Array(8 + innerFrame.length);
  p[0] = 0x08; // I flag: VNI valid
  wr24(p, 4, vni);
  p.set(innerFrame, 8);
  return outerFrame(outer, VXLAN_PORT, p, innerFrame);
}

/** Outer Ethernet/IP/UDP/Geneve (with TLV options) + inner frame. */
export function buildGeneve(
  outer: TunnelOuterSpec, vni: number, options: GeneveOptionSpec[], innerFrame: Uint8Array, flags: GeneveFlags = {},
): Uint8Array {
  if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) throw new BuildError(`VNI out of range: ${vni}`);
  const opts = options.map((o) => {
    const d = o.data ?? new Uint8Array(0);
    const len = (d.length + 3) & ~3;
    if (len > 124) throw new BuildError(`Geneve option data too long: ${d.length}`);
    const b = new Uint8Array(4 + len);
    wr16(b, 0, o.class & 0xffff);
    b[2] = o.type & 0xff;
    b[3] = len / 4;
    b.set(d, 4);
    return b;
  });
  const optLen = opts.reduce((n, b) => n + b.length, 0);
  if (optLen > 252) throw new BuildError(`Geneve options too long: ${optLen} bytes (max 252)`);
  const p = new Uint8Array(8 + optLen + innerFrame.length);
  p[0] = optLen / 4; // version 0
  const critical = flags.critical ?? options.some((o) => (o.type & 0x80) !== 0);
  p[1] = (flags.oam ? 0x80 : 0) | (critical ? 0x40 : 0);
  wr16(p, 2, flags.protocolType ?? ETHERTYPE_TEB);
  wr24(p, 4, vni);
  let off = 8;
  for (const b of opts) { p.set(b, off); off += b.length; }
  p.set(innerFrame, off);
  return outerFrame(outer, GENEVE_PORT, p, innerFrame);
}

/** The encapsulated frame (a copy) of a valid VXLAN/Geneve frame, or null. The inner frame itself is not validated. */
export function decapsulate(frame: Uint8Array): Uint8Array | null {
  const r = parsePacket(frame, { parseInner: false });
  if (!r.ok || !r.pkt.tunnel) return null;
  return copyBytes(frame, r.pkt.tunnel.innerOffset, r.pkt.payloadEnd);
}
