// NAT of the packet an ICMP error quotes. An error about a translated packet quotes
// it as it was after translation; a device that undoes the translation on the
// error's own addresses must undo it inside the quote too, or the receiver's stack
// cannot match the error to its socket (path-MTU discovery through a service VIP
// breaks). This is what Linux does for RELATED errors (nf_nat_icmp_reply_translation).

import { parseIpv4Text, parseIpv6Text } from './addresses.js';
import { incrementalUpdate16, incrementalUpdateBytes } from './checksum.js';
import { ipEnd, type QuotedPacket } from './icmp-errors.js';
import { expectedL4Checksum } from './recompute.js';
import type { ParsedPacket } from './types.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, copyBytes, rd16, wr16 } from './wire.js';

/** The quoted packet's addresses and ports as they should read; for a quoted echo, srcPort is the identifier. */
export interface QuotedEndpoints {
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number;
  readonly dstPort: number;
}

/**
 * Rewrite the quoted packet `q` (from quotedTuple on the same frame) to `want` and
 * repair the checksums that cover it: the quoted IPv4 header's, the quoted
 * transport checksum when the quote holds it (a TCP quote is often only 8 bytes
 * long; a zero UDP-over-IPv4 checksum stays zero; SCTP's CRC needs the whole
 * packet and is left), and the error's own ICMP checksum, recomputed. Returns the
 * number of endpoints changed (0, 1 or 2); false-y leaves the frame untouched.
 */
export function rewriteQuoted(frame: Uint8Array, pkt: ParsedPacket, q: QuotedPacket, want: QuotedEndpoints): number {
  const v6 = q.family === 6;
  const parse = v6 ? parseIpv6Text : parseIpv4Text;
  const src = parse(want.srcIp);
  const dst = parse(want.dstIp);
  if (!src || !dst || !pkt.l4) return 0;
  const end = Math.min(ipEnd(pkt), frame.length);
  const srcOff = q.l3Offset + (v6 ? 8 : 12);
  const dstOff = q.l3Offset + (v6 ? 24 : 16);
  const oldSrc = copyBytes(frame, srcOff, srcOff + src.length);
  const oldDst = copyBytes(frame, dstOff, dstOff + dst.length);
  const echo = q.protocol === IPPROTO_ICMP || q.protocol === IPPROTO_ICMPV6;
  const ported = q.protocol === IPPROTO_TCP || q.protocol === IPPROTO_UDP || q.protocol === IPPROTO_SCTP;
  let changed = 0;
  const srcMoves = !bytesEqual(oldSrc, src) || ((ported || echo) && q.srcPort !== want.srcPort);
  const dstMoves = !bytesEqual(oldDst, dst) || (ported && q.dstPort !== want.dstPort);
  if (srcMoves) changed++;
  if (dstMoves) changed++;
  if (!changed) return 0;

  frame.set(src, srcOff);
  frame.set(dst, dstOff);
  if (!v6) {
    let c = rd16(frame, q.l3Offset + 10);
    c = incrementalUpdateBytes(c, oldSrc, src);
    c = incrementalUpdateBytes(c, oldDst, dst);
    wr16(frame, q.l3Offset + 10, c);
  }
  const l4 = q.l4Offset;
  if (l4 >= 0 && (ported || echo)) {
    // Where the transport checksum sits, and whether the pseudo-header covers the addresses.
    const csOff = l4 + (q.protocol === IPPROTO_TCP ? 16 : q.protocol === IPPROTO_UDP ? 6 : 2);
    const pseudo = q.protocol !== IPPROTO_ICMP && q.protocol !== IPPROTO_SCTP;
    const portOffs = echo ? [l4 + 4] : [l4, l4 + 2];
    const ports = echo ? [want.srcPort] : [want.srcPort, want.dstPort];
    const haveCs = q.protocol !== IPPROTO_SCTP && csOff + 2 <= end && !(q.protocol === IPPROTO_UDP && !v6 && rd16(frame, csOff) === 0);
    let c = haveCs ? rd16(frame, csOff) : 0;
    if (haveCs && pseudo) {
      c = incrementalUpdateBytes(c, oldSrc, src);
      c = incrementalUpdateBytes(c, oldDst, dst);
    }
    for (let i = 0; i < portOffs.length; i++) {
      const old = rd16(frame, portOffs[i]);
      wr16(frame, portOffs[i], ports[i]);
      if (haveCs) c = incrementalUpdate16(c, old, ports[i]);
    }
    if (haveCs) wr16(frame, csOff, q.protocol === IPPROTO_UDP && c === 0 ? 0xffff : c);
  }
  const outer = expectedL4Checksum(frame, pkt);
  const icmp = pkt.l4;
  if (outer !== null && (icmp.kind === 'icmp' || icmp.kind === 'icmpv6')) {
    wr16(frame, icmp.offset + 2, outer);
    icmp.checksum = outer;
  }
  return changed;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
