// Ethernet II with up to two 802.1Q / 802.1ad tags; dispatches on EtherType.

import { formatMac } from './addresses.js';
import { fail, type Fail, type ParseCtx } from './context.js';
import type { ParsedPacket } from './types.js';
import { parseArp } from './arp.js';
import { parseIpv4 } from './ipv4.js';
import { parseIpv6 } from './ipv6.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_VLAN, rd16 } from './wire.js';

export const MAX_VLAN_TAGS = 2;

function isTagTpid(t: number): boolean {
  // 0x9100 is the pre-standard QinQ TPID still emitted by some switches.
  return t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ || t === 0x9100;
}

/** Parse an Ethernet frame occupying bytes [start, end) of `f`; `depth` counts enclosing tunnels. */
export function parseEthernet(f: Uint8Array, start: number, end: number, depth: number, ctx: ParseCtx): ParsedPacket | Fail {
  if (end - start < 14) return fail('truncated-ethernet', `need 14 bytes, have ${end - start}`);
  let et = rd16(f, start + 12);
  let off = start + 12; // position of the current EtherType/TPID field
  const vlans: number[] = [];
  const vlanTcis: number[] = [];
  const vlanTpids: number[] = [];
  while (isTagTpid(et)) {
    if (vlans.length === MAX_VLAN_TAGS) return fail('too-many-vlans', `more than ${MAX_VLAN_TAGS} VLAN tags`);
    if (off + 6 > end) return fail('truncated-vlan', `VLAN tag at ${off} runs past frame end ${end}`);
    const tci = rd16(f, off + 2);
    vlanTpids.push(et);
    vlanTcis.push(tci);
    vlans.push(tci & 0x0fff);
    et = rd16(f, off + 4);
    off += 4;
  }
  const l3 = off + 2;
  const pkt: ParsedPacket = {
    eth: {
      dst: formatMac(f, start),
      src: formatMac(f, start + 6),
      vlans,
      vlanTcis,
      vlanTpids,
      etherType: et,
      offset: start,
      headerLength: l3 - start,
    },
    fragment: false,
    payloadOffset: l3,
    payloadEnd: end,
    length: end - start,
  };
  let r: Fail | null = null;
  // Unknown EtherTypes are not malformed: the frame parses with l3 undefined.
  if (et === ETHERTYPE_IPV4) r = parseIpv4(f, l3, end, pkt, depth, ctx);
  else if (et === ETHERTYPE_IPV6) r = parseIpv6(f, l3, end, pkt, depth, ctx);
  else if (et === ETHERTYPE_ARP) r = parseArp(f, l3, end, pkt);
  return r ?? pkt;
}
