// A small frame builder for the suite, written against the wire formats
// (IEEE 802.3, RFC 791, RFC 8200, RFC 768, RFC 9293, RFC 792, RFC 4443) so the
// suite does not borrow the simulator's packet code: a device under test and the
// suite that judges it must not share a bug.
import { formatMac, parseIp, parseMac } from '../../src/hal/index.js';

export type Proto = 'udp' | 'tcp' | 'icmp' | 'icmpv6';

export interface Flow {
  src: string;
  dst: string;
  /** Default UDP. */
  proto?: Proto;
  sport?: number;
  dport?: number;
  /** TCP flags as letters F S R P A (default 'S'). */
  flags?: string;
  seq?: number;
  ack?: number;
  /** ICMP / ICMPv6 type, code, echo identifier and sequence. */
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  /** TTL or hop limit, default 64. */
  ttl?: number;
  payload?: Uint8Array | string;
}

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const PROTO_NUMBER: Record<Proto, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

export const isV6 = (ip: string): boolean => ip.includes(':');

export function addr(ip: string): Uint8Array {
  const b = parseIp(ip);
  if (!b) throw new Error(`suite bug: bad address ${ip}`);
  return b;
}

function macBytes(mac: string): Uint8Array {
  const b = parseMac(mac);
  if (!b) throw new Error(`suite bug: bad MAC ${mac}`);
  return b;
}

const w16 = (b: Uint8Array, o: number, v: number) => {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
};
const w32 = (b: Uint8Array, o: number, v: number) => {
  w16(b, o, (v >>> 16) & 0xffff);
  w16(b, o + 2, v & 0xffff);
};
export const r16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
export const r32 = (b: Uint8Array, o: number): number => ((r16(b, o) << 16) | r16(b, o + 2)) >>> 0;

/** RFC 1071 one's-complement sum of `parts`, folded and inverted. */
export function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i + 1 < p.length; i += 2) sum += (p[i] << 8) | p[i + 1];
    if (p.length % 2) sum += p[p.length - 1] << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The pseudo-header of RFC 768 / RFC 8200 §8.1 for an upper-layer checksum. */
export function pseudoHeader(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  if (src.length === 4) {
    const p = new Uint8Array(12);
    p.set(src, 0);
    p.set(dst, 4);
    p[9] = proto;
    w16(p, 10, length);
    return p;
  }
  const p = new Uint8Array(40);
  p.set(src, 0);
  p.set(dst, 16);
  w32(p, 32, length);
  p[39] = proto;
  return p;
}

const bytesOf = (p: Uint8Array | string | undefined, dflt: string): Uint8Array =>
  p instanceof Uint8Array ? p : new TextEncoder().encode(p ?? dflt);

function tcpFlags(letters: string): number {
  const bits: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };
  let v = 0;
  for (const c of letters) v |= bits[c] ?? 0;
  return v;
}

/** The L4 segment of a flow with its checksum over the given addresses. */
export function l4Segment(f: Flow, src: Uint8Array, dst: Uint8Array): { proto: number; bytes: Uint8Array } {
  const proto = f.proto ?? 'udp';
  const payload = bytesOf(f.payload, 'xpuhal-conformance');
  let seg: Uint8Array;
  let csum: number;
  if (proto === 'udp') {
    seg = new Uint8Array(8 + payload.length);
    w16(seg, 0, f.sport ?? 40000);
    w16(seg, 2, f.dport ?? 53);
    w16(seg, 4, seg.length);
    seg.set(payload, 8);
    csum = 6;
  } else if (proto === 'tcp') {
    seg = new Uint8Array(20 + payload.length);
    w16(seg, 0, f.sport ?? 40000);
    w16(seg, 2, f.dport ?? 80);
    w32(seg, 4, f.seq ?? 1000);
    w32(seg, 8, f.ack ?? 0);
    seg[12] = 5 << 4;
    seg[13] = tcpFlags(f.flags ?? 'S');
    w16(seg, 14, 65535);
    seg.set(payload, 20);
    csum = 16;
  } else {
    seg = new Uint8Array(8 + payload.length);
    seg[0] = f.icmpType ?? (proto === 'icmp' ? 8 : 128);
    seg[1] = f.icmpCode ?? 0;
    w16(seg, 4, f.icmpId ?? 7);
    w16(seg, 6, f.icmpSeq ?? 1);
    seg.set(payload, 8);
    csum = 2;
  }
  const n = PROTO_NUMBER[proto];
  // ICMPv4 has no pseudo-header; UDP, TCP and ICMPv6 do.
  const c = proto === 'icmp' ? inetChecksum(seg) : inetChecksum(pseudoHeader(src, dst, n, seg.length), seg);
  w16(seg, csum, proto === 'udp' && c === 0 ? 0xffff : c);
  return { proto: n, bytes: seg };
}

/** An IPv4 or IPv6 packet around `l4` (header checksum filled in). */
export function ipPacket(src: string, dst: string, proto: number, l4: Uint8Array, ttl = 64, id = 0x1234): Uint8Array {
  const s = addr(src);
  const d = addr(dst);
  if (s.length === 4) {
    const p = new Uint8Array(20 + l4.length);
    p[0] = 0x45;
    w16(p, 2, p.length);
    w16(p, 4, id);
    p[8] = ttl;
    p[9] = proto;
    p.set(s, 12);
    p.set(d, 16);
    w16(p, 10, inetChecksum(p.subarray(0, 20)));
    p.set(l4, 20);
    return p;
  }
  const p = new Uint8Array(40 + l4.length);
  p[0] = 0x60;
  w16(p, 4, l4.length);
  p[6] = proto;
  p[7] = ttl;
  p.set(s, 8);
  p.set(d, 24);
  p.set(l4, 40);
  return p;
}

export function ethernet(srcMac: string, dstMac: string, etherType: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(macBytes(dstMac), 0);
  f.set(macBytes(srcMac), 6);
  w16(f, 12, etherType);
  f.set(payload, 14);
  return f;
}

/** The IP packet (no Ethernet) of a flow. */
export function flowPacket(f: Flow, ttl = f.ttl ?? 64): Uint8Array {
  const s = addr(f.src);
  const d = addr(f.dst);
  const seg = l4Segment(f, s, d);
  return ipPacket(f.src, f.dst, seg.proto, seg.bytes, ttl);
}

/** A whole frame of a flow between two MACs. */
export function flowFrame(f: Flow, srcMac: string, dstMac: string, ttl = f.ttl ?? 64): Uint8Array {
  return ethernet(srcMac, dstMac, isV6(f.src) ? ETH_IPV6 : ETH_IPV4, flowPacket(f, ttl));
}

export const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '<none>');
export const macAt = (b: Uint8Array, o: number): string => formatMac(b.subarray(o, o + 6));
