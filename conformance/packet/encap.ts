// Outer headers for tunnel tests (RFC 7348 VXLAN, RFC 8926 Geneve): frames the
// suite sends to a VTEP, and the outer part of what it expects back.
import { ETH_IPV4, ETH_IPV6, addr as parse, ethernet, ipPacket, isV6, l4Segment } from './frame.js';

export interface GeneveOpt {
  optionClass: number;
  type: number;
  data: Uint8Array;
}

export function vxlanHeader(vni: number): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = 0x08;
  h[4] = (vni >>> 16) & 0xff;
  h[5] = (vni >>> 8) & 0xff;
  h[6] = vni & 0xff;
  return h;
}

export function geneveHeader(vni: number, options: readonly GeneveOpt[] = []): Uint8Array {
  const optLen = options.reduce((n, o) => n + 4 + o.data.length, 0);
  const h = new Uint8Array(8 + optLen);
  h[0] = optLen / 4;
  h[2] = 0x65;
  h[3] = 0x58; // Transparent Ethernet Bridging
  h[4] = (vni >>> 16) & 0xff;
  h[5] = (vni >>> 8) & 0xff;
  h[6] = vni & 0xff;
  let o = 8;
  for (const opt of options) {
    h[o] = opt.optionClass >>> 8;
    h[o + 1] = opt.optionClass & 0xff;
    h[o + 2] = opt.type;
    h[o + 3] = opt.data.length / 4;
    h.set(opt.data, o + 4);
    o += 4 + opt.data.length;
  }
  return h;
}

export interface Outer {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  ttl?: number;
}

/** An outer Ethernet/IP/UDP frame carrying `tunnelHeader` + `inner`, UDP checksum computed. */
export function encapFrame(outer: Outer, tunnelHeader: Uint8Array, inner: Uint8Array): Uint8Array {
  const payload = new Uint8Array(tunnelHeader.length + inner.length);
  payload.set(tunnelHeader, 0);
  payload.set(inner, tunnelHeader.length);
  const seg = l4Segment({ src: outer.src, dst: outer.dst, proto: 'udp', sport: outer.sport, dport: outer.dport, payload }, parse(outer.src), parse(outer.dst));
  const ip = ipPacket(outer.src, outer.dst, 17, seg.bytes, outer.ttl ?? 64, 0);
  return ethernet(outer.srcMac, outer.dstMac, isV6(outer.src) ? ETH_IPV6 : ETH_IPV4, ip);
}
