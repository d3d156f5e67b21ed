// VXLAN (RFC 7348) and Geneve (RFC 8926) headers; the inner Ethernet frame is
// parsed recursively up to ctx.maxDepth nested tunnels.

import { fail, isFail, type LayerResult, type ParseCtx } from './context.js';
import { parseEthernet } from './ethernet.js';
import type { GeneveOption, ParsedPacket, TunnelInfo } from './types.js';
import { ETHERTYPE_TEB, copyBytes, rd16, rd24 } from './wire.js';

export const VXLAN_HEADER_LENGTH = 8;
export const GENEVE_BASE_LENGTH = 8;
export const DEFAULT_MAX_TUNNEL_DEPTH = 2;

export function parseTunnel(
  f: Uint8Array, o: number, end: number, kind: 'vxlan' | 'geneve', pkt: ParsedPacket, depth: number, ctx: ParseCtx,
): LayerResult {
  const avail = end - o;
  let tunnel: TunnelInfo;
  if (kind === 'vxlan') {
    if (avail < VXLAN_HEADER_LENGTH) return fail('truncated-vxlan', `need 8 bytes, have ${avail}`);
    // Only the I flag is meaningful; reserved bits are ignored on receipt (RFC 7348 §5).
    if ((f[o] & 0x08) === 0) return fail('bad-vxlan-flags', `I flag clear (flags 0x${f[o].toString(16)})`);
    tunnel = { kind, vni: rd24(f, o + 4), offset: o, innerOffset: o + VXLAN_HEADER_LENGTH };
  } else {
    if (avail < GENEVE_BASE_LENGTH) return fail('truncated-geneve', `need 8 bytes, have ${avail}`);
    const version = f[o] >> 6;
    if (version !== 0) return fail('bad-geneve-version', `version ${version}`);
    const optLen = (f[o] & 0x3f) * 4;
    if (GENEVE_BASE_LENGTH + optLen > avail) return fail('truncated-geneve', `options length ${optLen} exceeds ${avail - 8} bytes`);
    const options: GeneveOption[] = [];
    const optEnd = o + GENEVE_BASE_LENGTH + optLen;
    for (let p = o + GENEVE_BASE_LENGTH; p < optEnd; ) {
      if (p + 4 > optEnd) return fail('bad-geneve-options', `option header at ${p} crosses options end`);
      const dataLen = (f[p + 3] & 0x1f) * 4;
      if (p + 4 + dataLen > optEnd) return fail('bad-geneve-options', `option data of ${dataLen} bytes crosses options end`);
      options.push({ class: rd16(f, p), type: f[p + 2], data: copyBytes(f, p + 4, p + 4 + dataLen) });
      p += 4 + dataLen;
    }
    tunnel = {
      kind,
      vni: rd24(f, o + 4),
      offset: o,
      innerOffset: optEnd,
      protocolType: rd16(f, o + 2),
      oam: (f[o + 1] & 0x80) !== 0,
      critical: (f[o + 1] & 0x40) !== 0,
      options,
    };
  }
  if (depth + 1 > ctx.maxDepth) return fail('tunnel-depth', `more than ${ctx.maxDepth} nested tunnels`);
  pkt.tunnel = tunnel;
  pkt.payloadOffset = tunnel.innerOffset;
  const innerIsEthernet = kind === 'vxlan' || tunnel.protocolType === ETHERTYPE_TEB;
  if (!ctx.parseInner || !innerIsEthernet) return null;
  const inner = parseEthernet(f, tunnel.innerOffset, end, depth + 1, ctx);
  if (isFail(inner)) return fail(inner.reason, `inner ${kind}: ${inner.detail}`);
  tunnel.inner = inner;
  return null;
}
