// The answer to a rejected packet (hal-spec §2 "Rejections"): a TCP RST for TCP,
// whatever rejected it (routes included, as the contract says), ICMP/ICMPv6
// destination unreachable otherwise; null when no answer is due.
import type { ParsedPacket } from '../packet/index.js';
import { buildIcmpUnreachable, buildTcpReset } from '../packet/icmp-errors.js';
import type { RejectBuilder } from './packet-walk.js';

export const buildRejection: RejectBuilder = (frame: Uint8Array, pkt: ParsedPacket, why) => {
  if (pkt.l4?.kind === 'tcp') return buildTcpReset(frame, pkt);
  return buildIcmpUnreachable(frame, pkt, why === 'port-unreachable' ? 'port' : why === 'admin-prohibited' ? 'admin' : 'net');
};
