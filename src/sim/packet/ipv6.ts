// IPv6 (RFC 8200) with a bounded walk over extension headers.

import { formatIpv6 } from './addresses.js';
import { sum16 } from './checksum.js';
import { fail, type LayerResult, type ParseCtx } from './context.js';
import { parseL4 } from './l4.js';
import type { Ipv6Extension, Ipv6Info, ParsedPacket } from './types.js';
import { IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_NONE, IPPROTO_ROUTING, rd16, rd32 } from './wire.js';

/** Upper bound on extension headers; RFC 8200 order allows about 6, so more means an attack or a loop. */
export const MAX_IPV6_EXTENSIONS = 8;

export function isIpv6Extension(nh: number): boolean {
  return nh === IPPROTO_HOPOPTS || nh === IPPROTO_ROUTING || nh === IPPROTO_FRAGMENT || nh === IPPROTO_DSTOPTS || nh === IPPROTO_AH;
}

/**
 * Where the final destination sits in a routing header still in transit
 * (segments left > 0), or -1. RFC 8200 §8.1 uses it in the pseudo-header.
 * Type 4 (SRH, RFC 8754) lists the final segment first; types 0/2 list it last.
 */
export function routingFinalDstOffset(f: Uint8Array, cur: number, len: number): number {
  const rtype = f[cur + 2];
  if (f[cur + 3] === 0 || len < 24) return -1;
  if (rtype === 4) return cur + 8;
  if ((rtype === 0 || rtype === 2) && (len - 8) % 16 === 0) return cur + len - 16;
  return -1;
}

/** Offset of the address the pseudo-header uses as destination. */
export function ipv6PseudoDstOffset(f: Uint8Array, info: Ipv6Info): number {
  let dst = info.offset + 24;
  for (const e of info.extensions) {
    if (e.type !== IPPROTO_ROUTING) continue;
    const fin = routingFinalDstOffset(f, e.offset, e.length);
    if (fin >= 0) dst = fin;
  }
  return dst;
}

export function parseIpv6(f: Uint8Array, o: number, end: number, pkt: ParsedPacket, depth: number, ctx: ParseCtx): LayerResult {
  const avail = end - o;
  if (avail < 40) return fail('truncated-ipv6', `need 40 bytes, have ${avail}`);
  const version = f[o] >> 4;
  if (version !== 6) return fail('bad-ipv6-version', `version ${version}`);
  const payloadLength = rd16(f, o + 4);
  if (40 + payloadLength > avail) return fail('bad-ipv6-payload-length', `payload length ${payloadLength} exceeds ${avail - 40} available bytes`);
  const pEnd = o + 40 + payloadLength;
  const nextHeader = f[o + 6];
  const extensions: Ipv6Extension[] = [];
  let fragment: Ipv6Info['fragment'];
  let pseudoDst = o + 24; // a routing header moves the pseudo-header destination to the final hop
  let sawRouting = false;
  let nh = nextHeader;
  let cur = o + 40;
  while (isIpv6Extension(nh)) {
    if (extensions.length >= MAX_IPV6_EXTENSIONS) return fail('ipv6-extension-chain', `more than ${MAX_IPV6_EXTENSIONS} extension headers`);
    if (nh === IPPROTO_HOPOPTS && extensions.length > 0) return fail('ipv6-extension-chain', 'hop-by-hop header not first');
    if (cur + 8 > pEnd) return fail('truncated-ipv6-extension', `extension header ${nh} at ${cur} runs past payload end ${pEnd}`);
    const len = nh === IPPROTO_FRAGMENT ? 8 : nh === IPPROTO_AH ? (f[cur + 1] + 2) * 4 : (f[cur + 1] + 1) * 8;
    if (cur + len > pEnd) return fail('truncated-ipv6-extension', `extension header ${nh} of ${len} bytes runs past payload end`);
    if (nh === IPPROTO_FRAGMENT) {
      if (fragment) return fail('ipv6-extension-chain', 'repeated fragment header');
      const w = rd16(f, cur + 2);
      fragment = { offset: w >> 3, more: (w & 1) !== 0, id: rd32(f, cur + 4) };
    } else if (nh === IPPROTO_ROUTING) {
      if (sawRouting) return fail('ipv6-extension-chain', 'repeated routing header');
      sawRouting = true;
      const fin = routingFinalDstOffset(f, cur, len);
      if (fin >= 0) pseudoDst = fin;
    }
    extensions.push({ type: nh, offset: cur, length: len, nextHeader: f[cur] });
    nh = f[cur];
    cur += len;
  }
  const info: Ipv6Info = {
    kind: 'ipv6',
    offset: o,
    trafficClass: ((f[o] & 0x0f) << 4) | (f[o + 1] >> 4),
    flowLabel: ((f[o + 1] & 0x0f) << 16) | rd16(f, o + 2),
    payloadLength,
    nextHeader,
    hopLimit: f[o + 7],
    src: formatIpv6(f, o + 8),
    dst: formatIpv6(f, o + 24),
    extensions,
    upperProtocol: nh,
    upperOffset: cur,
  };
  if (fragment) info.fragment = fragment;
  pkt.l3 = info;
  pkt.payloadOffset = cur;
  pkt.payloadEnd = pEnd;
  if (fragment && (fragment.more || fragment.offset !== 0)) pkt.fragment = true;
  if (nh === IPPROTO_NONE) return null;
  if (fragment && fragment.offset !== 0) return null;
  const pseudoBase = sum16(f, o + 8, o + 24) + sum16(f, pseudoDst, pseudoDst + 16);
  return parseL4(f, cur, pEnd, nh, pseudoBase, true, !pkt.fragment, pkt, depth, ctx);
}
