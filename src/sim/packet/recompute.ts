// Full (non-incremental) checksum computation for a parsed packet: the
// reference the incremental rewrites are tested against, and a repair tool
// after arbitrary in-place edits.

import { foldSum, sctpChecksum, sum16 } from './checksum.js';
import { ipv6PseudoDstOffset } from './ipv6.js';
import { parsePacket } from './parse.js';
import type { L4Info, ParsedPacket } from './types.js';
import { IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, rd16, rd32, wr16, wr32 } from './wire.js';

/** Sum of the pseudo-header addresses for this packet's L3, or 0 when it has none. */
export function pseudoAddressSum(frame: Uint8Array, pkt: ParsedPacket): number {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return 0;
  if (l3.kind === 'ipv4') return sum16(frame, l3.offset + 12, l3.offset + 20);
  const dst = ipv6PseudoDstOffset(frame, l3);
  return sum16(frame, l3.offset + 8, l3.offset + 24) + sum16(frame, dst, dst + 16);
}

/** Checksum of [start, end) skipping the 16-bit field at `field`. */
function checksumSkipping(frame: Uint8Array, start: number, end: number, field: number, initial: number): number {
  return ~foldSum(sum16(frame, field + 2, end, sum16(frame, start, field, initial))) & 0xffff;
}

/** The IPv4 header checksum the packet should carry, or null when it has no IPv4 header. */
export function expectedIpv4Checksum(frame: Uint8Array, pkt: ParsedPacket): number | null {
  const l3 = pkt.l3;
  if (!l3 || l3.kind !== 'ipv4') return null;
  return checksumSkipping(frame, l3.offset, l3.offset + l3.headerLength, l3.offset + 10, 0);
}

/** Offset of the L4 checksum field, and its width in bytes. */
export function l4ChecksumField(l4: L4Info): { offset: number; size: 2 | 4 } | null {
  switch (l4.kind) {
    case 'tcp': return { offset: l4.offset + 16, size: 2 };
    case 'udp': return { offset: l4.offset + 6, size: 2 };
    case 'icmp': case 'icmpv6': return { offset: l4.offset + 2, size: 2 };
    case 'sctp': return { offset: l4.offset + 8, size: 4 };
    case 'esp': return null;
  }
}

/**
 * The L4 checksum the packet should carry (full recompute), or null when there
 * is none to compute (no L4, ESP, fragments, or a zero "no checksum" UDP over IPv4).
 */
export function expectedL4Checksum(frame: Uint8Array, pkt: ParsedPacket): number | null {
  const l4 = pkt.l4;
  if (!l4 || pkt.fragment || !pkt.l3 || pkt.l3.kind === 'arp') return null;
  const v6 = pkt.l3.kind === 'ipv6';
  const end = pkt.l3.kind === 'ipv4' ? pkt.l3.offset + pkt.l3.totalLength : pkt.l3.offset + 40 + pkt.l3.payloadLength;
  const len = end - l4.offset;
  const base = pseudoAddressSum(frame, pkt);
  switch (l4.kind) {
    case 'tcp':
      return checksumSkipping(frame, l4.offset, end, l4.offset + 16, base + IPPROTO_TCP + len);
    case 'udp': {
      if (!v6 && rd16(frame, l4.offset + 6) === 0) return null;
      const c = checksumSkipping(frame, l4.offset, l4.offset + l4.length, l4.offset + 6, base + IPPROTO_UDP + l4.length);
      return c === 0 ? 0xffff : c;
    }
    case 'icmp':
      return checksumSkipping(frame, l4.offset, end, l4.offset + 2, 0);
    case 'icmpv6':
      return checksumSkipping(frame, l4.offset, end, l4.offset + 2, base + IPPROTO_ICMPV6 + len);
    case 'sctp':
      return sctpChecksum(frame, l4.offset, end);
    case 'esp':
      return null;
  }
}

function walk(frame: Uint8Array, pkt: ParsedPacket, prefix: string, fix: boolean, out: string[]): void {
  // Inner first: the outer UDP checksum covers the inner frame.
  if (pkt.tunnel?.inner) walk(frame, pkt.tunnel.inner, `${prefix}inner:`, fix, out);
  const l4 = pkt.l4;
  const l4Expected = expectedL4Checksum(frame, pkt);
  if (l4 && l4Expected !== null) {
    const field = l4ChecksumField(l4)!;
    const actual = field.size === 4 ? rd32(frame, field.offset) : rd16(frame, field.offset);
    if (actual !== l4Expected) {
      out.push(`${prefix}${l4.kind}`);
      if (fix) {
        if (field.size === 4) wr32(frame, field.offset, l4Expected); else wr16(frame, field.offset, l4Expected);
        if (l4.kind !== 'esp') l4.checksum = l4Expected;
      }
    }
  }
  const ipExpected = expectedIpv4Checksum(frame, pkt);
  if (ipExpected !== null && pkt.l3?.kind === 'ipv4' && rd16(frame, pkt.l3.offset + 10) !== ipExpected) {
    out.push(`${prefix}ipv4`);
    if (fix) { wr16(frame, pkt.l3.offset + 10, ipExpected); pkt.l3.checksum = ipExpected; }
  }
}

/**
 * Recompute every checksum of the frame (inner tunnel packets included) and list
 * the ones that do not match, e.g. ['inner:tcp', 'udp']. Empty means all good.
 * A frame that does not even parse structurally yields ['unparseable:<reason>'].
 */
export function verifyChecksums(frame: Uint8Array): string[] {
  const r = parsePacket(frame, { verifyChecksums: false });
  if (!r.ok) return [`unparseable:${r.reason}`];
  const out: string[] = [];
  walk(frame, r.pkt, '', false, out);
  return out;
}

/** Rewrite every checksum in place with a full recompute (inner first). Returns the fields that changed. */
export function refreshChecksums(frame: Uint8Array, pkt?: ParsedPacket): string[] {
  let p = pkt;
  if (!p) {
    const r = parsePacket(frame, { verifyChecksums: false });
    if (!r.ok) return [`unparseable:${r.reason}`];
    p = r.pkt;
  }
  const out: string[] = [];
  walk(frame, p, '', true, out);
  return out;
}
