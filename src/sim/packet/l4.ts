// Transport headers: TCP, UDP, ICMP, ICMPv6, SCTP, ESP. [o, end) is the L4
// segment as bounded by the IP length field (never the Ethernet padding).

import { internetChecksum, sctpChecksum } from './checksum.js';
import { fail, type LayerResult, type ParseCtx } from './context.js';
import { parseTunnel } from './tunnels.js';
import type { ParsedPacket } from './types.js';
import {
  GENEVE_PORT, IPPROTO_ESP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, VXLAN_PORT, rd16, rd32,
} from './wire.js';

/**
 * `pseudoBase` is the sum of the pseudo-header addresses; protocol and length are added here.
 * `verify` is false for first fragments, whose checksums cover data we do not hold.
 */
export function parseL4(
  f: Uint8Array, o: number, end: number, proto: number, pseudoBase: number, v6: boolean,
  verify: boolean, pkt: ParsedPacket, depth: number, ctx: ParseCtx,
): LayerResult {
  const len = end - o;
  const check = verify && ctx.verify;
  switch (proto) {
    case IPPROTO_TCP: {
      if (len < 20) return fail('truncated-tcp', `need 20 bytes, have ${len}`);
      const dataOffset = (f[o + 12] >> 4) * 4;
      if (dataOffset < 20 || dataOffset > len) return fail('bad-tcp-data-offset', `data offset ${dataOffset} (segment ${len})`);
      if (check && internetChecksum(f, o, end, pseudoBase + IPPROTO_TCP + len) !== 0) return fail('bad-tcp-checksum', 'TCP checksum mismatch');
      const fb = f[o + 13];
      pkt.l4 = {
        kind: 'tcp',
        offset: o,
        srcPort: rd16(f, o),
        dstPort: rd16(f, o + 2),
        seq: rd32(f, o + 4),
        ack: rd32(f, o + 8),
        dataOffset,
        flagBits: fb,
        flags: {
          fin: (fb & 0x01) !== 0, syn: (fb & 0x02) !== 0, rst: (fb & 0x04) !== 0, psh: (fb & 0x08) !== 0,
          ack: (fb & 0x10) !== 0, urg: (fb & 0x20) !== 0, ece: (fb & 0x40) !== 0, cwr: (fb & 0x80) !== 0,
        },
        window: rd16(f, o + 14),
        checksum: rd16(f, o + 16),
        urgentPointer: rd16(f, o + 18),
      };
      pkt.payloadOffset = o + dataOffset;
      return null;
    }
    case IPPROTO_UDP: {
      if (len < 8) return fail('truncated-udp', `need 8 bytes, have ${len}`);
      const ulen = rd16(f, o + 4);
      if (ulen < 8 || ulen > len) return fail('bad-udp-length', `UDP length ${ulen} (IP payload ${len})`);
      const checksum = rd16(f, o + 6);
      if (check) {
        if (checksum === 0) {
          // Zero means "no checksum" on IPv4 only (RFC 768); RFC 8200 §8.1 makes it mandatory on IPv6.
          if (v6) return fail('bad-udp-checksum', 'zero UDP checksum over IPv6');
        } else if (internetChecksum(f, o, o + ulen, pseudoBase + IPPROTO_UDP + ulen) !== 0) {
          return fail('bad-udp-checksum', 'UDP checksum mismatch');
        }
      }
      const dstPort = rd16(f, o + 2);
      pkt.l4 = { kind: 'udp', offset: o, srcPort: rd16(f, o), dstPort, length: ulen, checksum };
      pkt.payloadOffset = o + 8;
      pkt.payloadEnd = o + ulen;
      // Tunnels are only decoded from complete datagrams.
      if (!pkt.fragment && (dstPort === VXLAN_PORT || dstPort === GENEVE_PORT)) {
        return parseTunnel(f, o + 8, o + ulen, dstPort === VXLAN_PORT ? 'vxlan' : 'geneve', pkt, depth, ctx);
      }
      return null;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      // ICMP belongs to IPv4 and ICMPv6 to IPv6; the other pairing is left undecoded.
      const isV6 = proto === IPPROTO_ICMPV6;
      if (isV6 !== v6) return null;
      if (len < 8) return fail(isV6 ? 'truncated-icmpv6' : 'truncated-icmp', `need 8 bytes, have ${len}`);
      if (check) {
        const init = isV6 ? pseudoBase + IPPROTO_ICMPV6 + len : 0;
        if (internetChecksum(f, o, end, init) !== 0) return fail(isV6 ? 'bad-icmpv6-checksum' : 'bad-icmp-checksum', 'ICMP checksum mismatch');
      }
      const type = f[o];
      const echo = isV6 ? type === 128 || type === 129 : type === 8 || type === 0;
      const info = { kind: isV6 ? ('icmpv6' as const) : ('icmp' as const), offset: o, type, code: f[o + 1], checksum: rd16(f, o + 2) };
      pkt.l4 = echo ? { ...info, id: rd16(f, o + 4), seq: rd16(f, o + 6) } : info;
      pkt.payloadOffset = o + 8;
      return null;
    }
    case IPPROTO_SCTP: {
      if (len < 12) return fail('truncated-sctp', `need 12 bytes, have ${len}`);
      const checksum = rd32(f, o + 8);
      if (check && sctpChecksum(f, o, end) !== checksum) return fail('bad-sctp-checksum', 'SCTP CRC32c mismatch');
      pkt.l4 = { kind: 'sctp', offset: o, srcPort: rd16(f, o), dstPort: rd16(f, o + 2), verificationTag: rd32(f, o + 4), checksum };
      pkt.payloadOffset = o + 12;
      return null;
    }
    case IPPROTO_ESP: {
      // Only SPI and sequence are cleartext; the rest is opaque without the SA.
      if (len < 8) return fail('truncated-esp', `need 8 bytes, have ${len}`);
      pkt.l4 = { kind: 'esp', offset: o, spi: rd32(f, o), seq: rd32(f, o + 4) };
      pkt.payloadOffset = o + 8;
      return null;
    }
    default:
      return null; // unknown upper layer: not an error, left undecoded
  }
}
