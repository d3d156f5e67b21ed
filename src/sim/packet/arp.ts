// ARP (RFC 826) for IPv4 over Ethernet only; other hardware/protocol pairs are rejected.

import { formatIpv4, formatMac } from './addresses.js';
import { fail, type LayerResult } from './context.js';
import type { ParsedPacket } from './types.js';
import { ETHERTYPE_IPV4, rd16 } from './wire.js';

export const ARP_LENGTH = 28;

export function parseArp(f: Uint8Array, o: number, end: number, pkt: ParsedPacket): LayerResult {
  const avail = end - o;
  if (avail < 8) return fail('truncated-arp', `need 8 bytes of ARP header, have ${avail}`);
  const htype = rd16(f, o);
  const ptype = rd16(f, o + 2);
  if (htype !== 1 || ptype !== ETHERTYPE_IPV4 || f[o + 4] !== 6 || f[o + 5] !== 4) {
    return fail('bad-arp', `not Ethernet/IPv4 ARP (htype ${htype}, ptype 0x${ptype.toString(16)}, hlen ${f[o + 4]}, plen ${f[o + 5]})`);
  }
  if (avail < ARP_LENGTH) return fail('truncated-arp', `need ${ARP_LENGTH} bytes, have ${avail}`);
  const op = rd16(f, o + 6);
  if (op !== 1 && op !== 2) return fail('bad-arp', `op ${op} is neither request nor reply`);
  pkt.l3 = {
    kind: 'arp',
    offset: o,
    op,
    senderMac: formatMac(f, o + 8),
    senderIp: formatIpv4(f, o + 14),
    targetMac: formatMac(f, o + 18),
    targetIp: formatIpv4(f, o + 24),
  };
  pkt.payloadOffset = o + ARP_LENGTH;
  pkt.payloadEnd = o + ARP_LENGTH;
  return null;
}
