// In-place header rewrites for the forwarding pipeline (MAC rewrite, TTL, NAT).
// 16-bit changes patch checksums incrementally (RFC 1624); SCTP's CRC32c is not
// linear in that way and is recomputed. `pkt` must come from parsing `frame`;
// its fields are kept in sync so several rewrites can be chained.
//
// Rewriting a tunnel's inner packet (pass pkt.tunnel.inner) leaves the outer UDP
// checksum stale unless it is zero; call refreshChecksums afterwards.

import { formatIpv4, formatIpv6, formatMac, parseIpv4Text, parseIpv6Text, parseMacText } from './addresses.js';
import { incrementalUpdate16, incrementalUpdateBytes, sctpChecksum } from './checksum.js';
import { ipv6PseudoDstOffset } from './ipv6.js';
import type { ParsedPacket } from './types.js';
import { copyBytes, rd16, wr16, wr32 } from './wire.js';

/** Set source and/or destination MAC (null leaves one unchanged). False if a MAC text is invalid. */
export function setMacs(frame: Uint8Array, pkt: ParsedPacket, src: string | null, dst: string | null): boolean {
  const s = src === null ? null : parseMacText(src);
  const d = dst === null ? null : parseMacText(dst);
  if ((src !== null && !s) || (dst !== null && !d)) return false;
  if (d) { frame.set(d, pkt.eth.offset); pkt.eth.dst = formatMac(d); }
  if (s) { frame.set(s, pkt.eth.offset + 6); pkt.eth.src = formatMac(s); }
  return true;
}

/**
 * Decrement IPv4 TTL (patching the header checksum) or IPv6 hop limit. Returns
 * false, leaving the frame untouched, when the result would be 0 (the packet
 * must be dropped, RFC 791 / RFC 8200) or there is no IP header.
 */
export function decrementTtl(frame: Uint8Array, pkt: ParsedPacket): boolean {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return false;
  if (l3.kind === 'ipv6') {
    const hl = frame[l3.offset + 7];
    if (hl <= 1) return false;
    frame[l3.offset + 7] = hl - 1;
    l3.hopLimit = hl - 1;
    return true;
  }
  const o = l3.offset;
  const ttl = frame[o + 8];
  if (ttl <= 1) return false;
  const oldWord = rd16(frame, o + 8); // TTL shares a 16-bit word with the protocol
  frame[o + 8] = ttl - 1;
  const c = incrementalUpdate16(rd16(frame, o + 10), oldWord, rd16(frame, o + 8));
  wr16(frame, o + 10, c);
  l3.ttl = ttl - 1;
  l3.checksum = c;
  return true;
}

/** Rewrite source address (and L4 source port / ICMP echo id) — SNAT. */
export function rewriteSrc(frame: Uint8Array, pkt: ParsedPacket, ip: string, port?: number): boolean {
  return rewriteEndpoint(frame, pkt, 'src', ip, port);
}

/** Rewrite destination address (and L4 destination port / ICMP echo id) — DNAT. */
export function rewriteDst(frame: Uint8Array, pkt: ParsedPacket, ip: string, port?: number): boolean {
  return rewriteEndpoint(frame, pkt, 'dst', ip, port);
}

function patch16(frame: Uint8Array, off: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  const c = incrementalUpdateBytes(rd16(frame, off), oldBytes, newBytes);
  wr16(frame, off, c);
  return c;
}

/**
 * Returns false, changing nothing, when: no IP header; the address text is not
 * of the packet's family; or a port is given but the packet has no port
 * (e.g. a non-first fragment) nor an ICMP echo id.
 */
function rewriteEndpoint(frame: Uint8Array, pkt: ParsedPacket, which: 'src' | 'dst', ip: string, port?: number): boolean {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return false;
  const v6 = l3.kind === 'ipv6';
  const addr = v6 ? parseIpv6Text(ip) : parseIpv4Text(ip);
  if (!addr) return false;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 0xffff)) return false;
  const l4 = pkt.l4;
  const hasPorts = l4 !== undefined && (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'sctp');
  const hasEchoId = l4 !== undefined && (l4.kind === 'icmp' || l4.kind === 'icmpv6') && l4.id !== undefined;
  if (port !== undefined && !hasPorts && !hasEchoId) return false;

  const addrOff = l3.offset + (v6 ? (which === 'src' ? 8 : 24) : which === 'src' ? 12 : 16);
  const oldAddr = copyBytes(frame, addrOff, addrOff + addr.length);
  frame.set(addr, addrOff);
  if (v6) {
    if (which === 'src') l3.src = formatIpv6(addr); else l3.dst = formatIpv6(addr);
  } else {
    if (which === 'src') l3.src = formatIpv4(addr); else l3.dst = formatIpv4(addr);
    l3.checksum = patch16(frame, l3.offset + 10, oldAddr, addr);
  }
  // With an in-transit routing header the pseudo-header uses the final hop, not this field.
  const inPseudo = !v6 || which === 'src' || ipv6PseudoDstOffset(frame, l3) === addrOff;
  if (!l4) return true;

  const portOff = l4.offset + (which === 'src' ? 0 : 2);
  switch (l4.kind) {
    case 'tcp':
    case 'udp': {
      const csOff = l4.offset + (l4.kind === 'tcp' ? 16 : 6);
      // A zero UDP checksum over IPv4 means "none" and must stay zero.
      const maintain = !(l4.kind === 'udp' && !v6 && rd16(frame, csOff) === 0);
      let c = rd16(frame, csOff);
      if (maintain && inPseudo) c = incrementalUpdateBytes(c, oldAddr, addr);
      if (port !== undefined) {
        const oldPort = rd16(frame, portOff);
        wr16(frame, portOff, port);
        if (maintain) c = incrementalUpdate16(c, oldPort, port);
        if (which === 'src') l4.srcPort = port; else l4.dstPort = port;
      }
      if (maintain) {
        if (l4.kind === 'udp' && c === 0) c = 0xffff; // zero is reserved for "no checksum"
        wr16(frame, csOff, c);
        l4.checksum = c;
      }
      return true;
    }
    case 'icmp':
    case 'icmpv6': {
      let c = rd16(frame, l4.offset + 2);
      if (l4.kind === 'icmpv6' && inPseudo) c = incrementalUpdateBytes(c, oldAddr, addr);
      if (port !== undefined) {
        const oldId = rd16(frame, l4.offset + 4);
        wr16(frame, l4.offset + 4, port);
        c = incrementalUpdate16(c, oldId, port);
        l4.id = port;
      }
      wr16(frame, l4.offset + 2, c);
      l4.checksum = c;
      return true;
    }
    case 'sctp': {
      // The SCTP CRC covers no pseudo-header, so only a port change needs a recompute.
      if (port === undefined) return true;
      wr16(frame, portOff, port);
      if (which === 'src') l4.srcPort = port; else l4.dstPort = port;
      const end = l3.kind === 'ipv4' ? l3.offset + l3.totalLength : l3.offset + 40 + l3.payloadLength;
      if (!pkt.fragment) {
        l4.checksum = sctpChecksum(frame, l4.offset, end);
        wr32(frame, l4.offset + 8, l4.checksum);
      }
      return true;
    }
    case 'esp':
      return true;
  }
}
