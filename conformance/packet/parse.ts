// Reads the frames a device emits: Ethernet, IPv4/IPv6 (no extension headers),
// UDP/TCP/ICMP/ICMPv6, with every checksum verified, and VXLAN / Geneve outer
// headers. Returns null fields rather than throwing: a malformed frame out of a
// device is a finding, reported by the caller.
import { formatIp } from '../../src/hal/index.js';
import { ETH_IPV4, ETH_IPV6, inetChecksum, macAt, pseudoHeader, r16, r32 } from './frame.js';

export interface ParsedL4 {
  proto: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  seq?: number;
  ack?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  checksumOk: boolean;
  /** Bytes after the L4 header. */
  payload: Uint8Array;
  /** Offset of the L4 header in the frame. */
  offset: number;
}

export interface ParsedFrame {
  dstMac: string;
  srcMac: string;
  etherType: number;
  ip?: {
    version: 4 | 6;
    src: string;
    dst: string;
    ttl: number;
    proto: number;
    headerChecksumOk: boolean;
    /** Offset of the IP header in the frame. */
    offset: number;
    length: number;
  };
  l4?: ParsedL4;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export function parseFrame(f: Uint8Array): ParsedFrame | null {
  if (f.length < 14) return null;
  const out: ParsedFrame = { dstMac: macAt(f, 0), srcMac: macAt(f, 6), etherType: r16(f, 12) };
  const o = 14;
  let l4Off: number;
  let l4End: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  if (out.etherType === ETH_IPV4) {
    if (f.length < o + 20 || f[o] >> 4 !== 4) return out;
    const ihl = (f[o] & 0x0f) * 4;
    const total = r16(f, o + 2);
    if (f.length < o + total || ihl < 20) return out;
    src = f.slice(o + 12, o + 16);
    dst = f.slice(o + 16, o + 20);
    out.ip = { version: 4, src: formatIp(src), dst: formatIp(dst), ttl: f[o + 8], proto: f[o + 9], headerChecksumOk: inetChecksum(f.subarray(o, o + ihl)) === 0, offset: o, length: total };
    l4Off = o + ihl;
    l4End = o + total;
  } else if (out.etherType === ETH_IPV6) {
    if (f.length < o + 40 || f[o] >> 4 !== 6) return out;
    const plen = r16(f, o + 4);
    if (f.length < o + 40 + plen) return out;
    src = f.slice(o + 8, o + 24);
    dst = f.slice(o + 24, o + 40);
    out.ip = { version: 6, src: formatIp(src), dst: formatIp(dst), ttl: f[o + 7], proto: f[o + 6], headerChecksumOk: true, offset: o, length: 40 + plen };
    l4Off = o + 40;
    l4End = o + 40 + plen;
  } else return out;
  const seg = f.subarray(l4Off, l4End);
  const proto = out.ip.proto;
  const pseudoOk = () => inetChecksum(pseudoHeader(src, dst, proto, seg.length), seg) === 0;
  if (proto === 17 && seg.length >= 8) {
    // A zero UDP checksum over IPv4 means "not computed" (RFC 768).
    const ok = (out.ip.version === 4 && r16(seg, 6) === 0) || pseudoOk();
    out.l4 = { proto, srcPort: r16(seg, 0), dstPort: r16(seg, 2), checksumOk: ok, payload: seg.subarray(8), offset: l4Off };
  } else if (proto === 6 && seg.length >= 20) {
    const hl = (seg[12] >> 4) * 4;
    out.l4 = { proto, srcPort: r16(seg, 0), dstPort: r16(seg, 2), seq: r32(seg, 4), ack: r32(seg, 8), tcpFlags: seg[13], checksumOk: pseudoOk(), payload: seg.subarray(hl), offset: l4Off };
  } else if ((proto === 1 || proto === 58) && seg.length >= 8) {
    const ok = proto === 1 ? inetChecksum(seg) === 0 : pseudoOk();
    out.l4 = { proto, icmpType: seg[0], icmpCode: seg[1], icmpId: r16(seg, 4), checksumOk: ok, payload: seg.subarray(8), offset: l4Off };
  }
  return out;
}

export interface ParsedTunnel {
  kind: 'vxlan' | 'geneve';
  vni: number;
  /** Geneve options (class, type, data) in order. */
  options: { optionClass: number; type: number; data: Uint8Array }[];
  inner: Uint8Array;
}

/** The tunnel header after a UDP header, by the kind the caller expects. */
export function parseTunnel(udpPayload: Uint8Array, kind: 'vxlan' | 'geneve'): ParsedTunnel | null {
  if (udpPayload.length < 8) return null;
  if (kind === 'vxlan') {
    if ((udpPayload[0] & 0x08) === 0) return null;
    return { kind, vni: r32(udpPayload, 4) >>> 8, options: [], inner: udpPayload.subarray(8) };
  }
  if (udpPayload[0] >> 6 !== 0) return null;
  const optLen = (udpPayload[0] & 0x3f) * 4;
  if (r16(udpPayload, 2) !== 0x6558 || udpPayload.length < 8 + optLen) return null;
  const options: ParsedTunnel['options'] = [];
  let o = 8;
  while (o < 8 + optLen) {
    const len = (udpPayload[o + 3] & 0x1f) * 4;
    options.push({ optionClass: r16(udpPayload, o), type: udpPayload[o + 2], data: udpPayload.slice(o + 4, o + 4 + len) });
    o += 4 + len;
  }
  return { kind, vni: r32(udpPayload, 4) >>> 8, options, inner: udpPayload.subarray(8 + optLen) };
}
