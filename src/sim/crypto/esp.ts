// IPsec ESP on whole Ethernet frames (RFC 4303, AES-GCM per RFC 4106), in the two
// modes of RFC 4301:
//
// Tunnel: the whole inner IP packet is the ESP payload (next header 4 or 41) behind
//   a new outer IPv4/IPv6 header from the SA's tunnelSrc → tunnelDst.
//     eth | outer IP (proto 50) | ESP hdr | IV | [inner IP packet | pad | 2] | ICV
// Transport: ESP goes between the IP header (IPv6: after its extension headers) and
//   the upper layer; the protocol/next-header field becomes 50, lengths and the
//   IPv4 header checksum are fixed, and the old value rides in the ESP trailer.
//     eth | IP (proto 50) | ESP hdr | IV | [TCP/UDP/… | pad | 2] | ICV
//
// The Ethernet header (MACs, VLAN tags) is kept; only its EtherType follows the
// new outermost IP family. Packets that cannot be processed return a drop reason
// and never throw.

import { parsePacket } from '../packet/parse.js';
import { internetChecksum } from '../packet/checksum.js';
import type { Ipv4Info, Ipv6Info, ParsedPacket } from '../packet/types.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_ESP, IPPROTO_NONE } from '../packet/wire.js';
import { espPacketLength } from './esp-payload.js';
import type { EspSa, SaDropReason } from './sa.js';

export type EspDropReason =
  | SaDropReason
  /** Not an IPv4/IPv6 packet (outbound), or not ESP (inbound). */
  | 'ipsec-not-ip'
  | 'ipsec-not-esp'
  /** Transport mode needs whole datagrams, and inbound ESP is not reassembled here. */
  | 'ipsec-fragment'
  /** The result would not fit a 16-bit IP length. */
  | 'ipsec-too-big'
  /** RFC 4303 §2.6: a dummy packet (next header 59) is discarded on receipt. */
  | 'ipsec-dummy'
  /** Decrypted, but the next header does not fit the SA's mode (e.g. not 4/41 in tunnel mode). */
  | 'ipsec-bad-inner';

export type EspFrameResult = { ok: true; frame: Uint8Array; seq: number } | { ok: false; reason: EspDropReason };

/** Outer header fields for tunnel mode. */
export const TUNNEL_TTL = 64;
const IPPROTO_IPV4 = 4;
const IPPROTO_IPV6 = 41;

function parsed(frame: Uint8Array, pkt?: ParsedPacket): ParsedPacket | null {
  if (pkt) return pkt;
  const r = parsePacket(frame, { verifyChecksums: false, parseInner: false });
  return r.ok ? r.pkt : null;
}

function ipEnd(l3: Ipv4Info | Ipv6Info): number {
  return l3.kind === 'ipv4' ? l3.offset + l3.totalLength : l3.offset + 40 + l3.payloadLength;
}

/** Ethernet header up to the IP header, with the EtherType set for `family`. */
function l2Header(frame: Uint8Array, l3Offset: number, family: 4 | 6): Uint8Array {
  const h = frame.slice(0, l3Offset);
  const et = family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  h[l3Offset - 2] = et >> 8;
  h[l3Offset - 1] = et & 0xff;
  return h;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function setIpv4Checksum(h: Uint8Array): void {
  h[10] = 0;
  h[11] = 0;
  const c = internetChecksum(h, 0, h.length);
  h[10] = c >> 8;
  h[11] = c & 0xff;
}

/**
 * The outer header for tunnel mode. DSCP and ECN are copied from the inner
 * packet (RFC 4301 §5.1.2.1; RFC 6040 normal mode), DF from an inner IPv4 packet;
 * the IPv4 ID is the low 16 bits of the ESP sequence number (unique enough for a
 * packet that is never fragmented by us, and deterministic).
 */
function outerHeader(sa: EspSa, inner: Ipv4Info | Ipv6Info, espLength: number, seq: number): Uint8Array | null {
  const tos = inner.kind === 'ipv4' ? (inner.dscp << 2) | inner.ecn : inner.trafficClass;
  if (sa.tunnelSrcBytes!.length === 4) {
    const total = 20 + espLength;
    if (total > 0xffff) return null;
    const h = new Uint8Array(20);
    h[0] = 0x45;
    h[1] = tos;
    h[2] = total >> 8;
    h[3] = total & 0xff;
    h[4] = (seq >> 8) & 0xff;
    h[5] = seq & 0xff;
    h[6] = inner.kind === 'ipv4' && inner.df ? 0x40 : 0;
    h[8] = TUNNEL_TTL;
    h[9] = IPPROTO_ESP;
    h.set(sa.tunnelSrcBytes!, 12);
    h.set(sa.tunnelDstBytes!, 16);
    setIpv4Checksum(h);
    return h;
  }
  if (espLength > 0xffff) return null;
  const h = new Uint8Array(40);
  h[0] = 0x60 | (tos >> 4);
  h[1] = (tos & 0x0f) << 4;
  h[4] = espLength >> 8;
  h[5] = espLength & 0xff;
  h[6] = IPPROTO_ESP;
  h[7] = TUNNEL_TTL;
  h.set(sa.tunnelSrcBytes!, 8);
  h.set(sa.tunnelDstBytes!, 24);
  return h;
}

/** Offset of the byte that names the protocol after the IPv6 extension chain. */
function ipv6LastNextHeaderOffset(l3: Ipv6Info): number {
  return l3.extensions.length === 0 ? l3.offset + 6 : l3.extensions[l3.extensions.length - 1].offset;
}

/**
 * Outbound: protects one frame with an OUTBOUND SA. `pkt` (the frame parsed
 * without descending into tunnels) may be passed to avoid parsing again.
 */
export function espProtect(sa: EspSa, frame: Uint8Array, pkt?: ParsedPacket): EspFrameResult {
  const p = parsed(frame, pkt);
  const l3 = p?.l3;
  if (!p || !l3 || l3.kind === 'arp') return { ok: false, reason: 'ipsec-not-ip' };
  const end = ipEnd(l3);

  if (sa.mode === 'TUNNEL') {
    const inner = frame.subarray(l3.offset, end);
    // Refuse before sealing, so a refused packet takes no sequence number.
    const outerLen = (sa.tunnelSrcBytes!.length === 4 ? 20 : 0) + espPacketLength(inner.length);
    if (outerLen > 0xffff) return { ok: false, reason: 'ipsec-too-big' };
    const s = sa.seal(inner, l3.kind === 'ipv4' ? IPPROTO_IPV4 : IPPROTO_IPV6);
    if (!s.ok) return s;
    const outer = outerHeader(sa, l3, s.esp.length, s.seq);
    if (!outer) return { ok: false, reason: 'ipsec-too-big' };
    return { ok: true, frame: concat(l2Header(frame, l3.offset, outer.length === 20 ? 4 : 6), outer, s.esp), seq: s.seq };
  }

  // Transport mode.
  if (p.fragment) return { ok: false, reason: 'ipsec-fragment' };
  if (l3.kind === 'ipv4') {
    const hEnd = l3.offset + l3.headerLength;
    if (l3.headerLength + espPacketLength(end - hEnd) > 0xffff) return { ok: false, reason: 'ipsec-too-big' };
    const s = sa.seal(frame.subarray(hEnd, end), l3.protocol);
    if (!s.ok) return s;
    const h = frame.slice(l3.offset, hEnd);
    const total = h.length + s.esp.length;
    h[2] = total >> 8;
    h[3] = total & 0xff;
    h[9] = IPPROTO_ESP;
    setIpv4Checksum(h);
    return { ok: true, frame: concat(frame.subarray(0, l3.offset), h, s.esp), seq: s.seq };
  }
  const upper = l3.upperOffset;
  if (upper - l3.offset - 40 + espPacketLength(end - upper) > 0xffff) return { ok: false, reason: 'ipsec-too-big' };
  const s = sa.seal(frame.subarray(upper, end), l3.upperProtocol);
  if (!s.ok) return s;
  const h = frame.slice(l3.offset, upper);
  const plen = h.length - 40 + s.esp.length;
  h[4] = plen >> 8;
  h[5] = plen & 0xff;
  h[ipv6LastNextHeaderOffset(l3) - l3.offset] = IPPROTO_ESP;
  return { ok: true, frame: concat(frame.subarray(0, l3.offset), h, s.esp), seq: s.seq };
}

/**
 * Inbound: verifies and removes ESP with an INBOUND SA (chosen by the caller from
 * the packet's SPI). Returns the decapsulated frame: tunnel mode gives the inner
 * packet behind the original Ethernet header, transport mode the restored packet.
 */
export function espUnprotect(sa: EspSa, frame: Uint8Array, pkt?: ParsedPacket): EspFrameResult {
  const p = parsed(frame, pkt);
  const l3 = p?.l3;
  if (!p || !l3 || l3.kind === 'arp') return { ok: false, reason: 'ipsec-not-ip' };
  if (p.fragment) return { ok: false, reason: 'ipsec-fragment' };
  if (p.l4?.kind !== 'esp') return { ok: false, reason: 'ipsec-not-esp' };
  const o = sa.open(frame.subarray(p.l4.offset, ipEnd(l3)));
  if (!o.ok) return o;
  if (o.nextHeader === IPPROTO_NONE) return { ok: false, reason: 'ipsec-dummy' };

  if (sa.mode === 'TUNNEL') {
    const version = o.payload.length > 0 ? o.payload[0] >> 4 : 0;
    if (o.nextHeader === IPPROTO_IPV4 && version === 4) return { ok: true, frame: concat(l2Header(frame, l3.offset, 4), o.payload), seq: o.seq };
    if (o.nextHeader === IPPROTO_IPV6 && version === 6) return { ok: true, frame: concat(l2Header(frame, l3.offset, 6), o.payload), seq: o.seq };
    return { ok: false, reason: 'ipsec-bad-inner' };
  }

  if (l3.kind === 'ipv4') {
    const h = frame.slice(l3.offset, l3.offset + l3.headerLength);
    const total = h.length + o.payload.length;
    h[2] = total >> 8;
    h[3] = total & 0xff;
    h[9] = o.nextHeader;
    setIpv4Checksum(h);
    return { ok: true, frame: concat(frame.subarray(0, l3.offset), h, o.payload), seq: o.seq };
  }
  const h = frame.slice(l3.offset, p.l4.offset);
  const plen = h.length - 40 + o.payload.length;
  h[4] = plen >> 8;
  h[5] = plen & 0xff;
  h[ipv6LastNextHeaderOffset(l3) - l3.offset] = o.nextHeader;
  return { ok: true, frame: concat(frame.subarray(0, l3.offset), h, o.payload), seq: o.seq };
}
