// IPv4 (RFC 791): header checks, options kept raw, fragments (L4 only for offset 0).

import { formatIpv4 } from './addresses.js';
import { internetChecksum, sum16 } from './checksum.js';
import { fail, type LayerResult, type ParseCtx } from './context.js';
import { parseL4 } from './l4.js';
import type { ParsedPacket } from './types.js';
import { copyBytes, rd16 } from './wire.js';

export function parseIpv4(f: Uint8Array, o: number, end: number, pkt: ParsedPacket, depth: number, ctx: ParseCtx): LayerResult {
  const avail = end - o;
  if (avail < 20) return fail('truncated-ipv4', `need 20 bytes, have ${avail}`);
  const version = f[o] >> 4;
  if (version !== 4) return fail('bad-ipv4-version', `version ${version}`);
  const ihl = (f[o] & 0x0f) * 4;
  if (ihl < 20) return fail('bad-ipv4-ihl', `IHL ${ihl / 4} < 5`);
  if (ihl > avail) return fail('truncated-ipv4', `header length ${ihl} exceeds ${avail} available bytes`);
  const totalLength = rd16(f, o + 2);
  // Total length may be shorter than the frame (Ethernet padding) but never longer.
  if (totalLength < ihl || totalLength > avail) {
    return fail('bad-ipv4-total-length', `total length ${totalLength} (header ${ihl}, available ${avail})`);
  }
  if (ctx.verify && internetChecksum(f, o, o + ihl) !== 0) return fail('bad-ipv4-checksum', 'header checksum mismatch');
  const fw = rd16(f, o + 6);
  const fragmentOffset = fw & 0x1fff;
  const mf = (fw & 0x2000) !== 0;
  const protocol = f[o + 9];
  pkt.l3 = {
    kind: 'ipv4',
    offset: o,
    headerLength: ihl,
    dscp: f[o + 1] >> 2,
    ecn: f[o + 1] & 3,
    totalLength,
    id: rd16(f, o + 4),
    df: (fw & 0x4000) !== 0,
    mf,
    fragmentOffset,
    ttl: f[o + 8],
    protocol,
    checksum: rd16(f, o + 10),
    src: formatIpv4(f, o + 12),
    dst: formatIpv4(f, o + 16),
    options: copyBytes(f, o + 20, o + ihl),
  };
  const l4 = o + ihl;
  const l4End = o + totalLength;
  pkt.payloadOffset = l4;
  pkt.payloadEnd = l4End;
  pkt.fragment = mf || fragmentOffset !== 0;
  if (fragmentOffset !== 0) return null; // later fragments carry no L4 header
  const pseudoBase = sum16(f, o + 12, o + 20);
  // A first fragment's L4 checksum covers bytes we do not have, so skip verifying it.
  return parseL4(f, l4, l4End, protocol, pseudoBase, false, !pkt.fragment, pkt, depth, ctx);
}
