// Tunnel encapsulation (hal-spec §2 stage 9): the inner frame goes inside VXLAN or
// Geneve toward the tunnel's remote VTEP; the outer UDP source port comes from the
// inner flow hash (RFC 7348 §5, RFC 8926 §3.3), the outer leaves by the underlay
// next hop.
import type { TunnelEntry } from '../../hal/index.js';
import { buildGeneve, buildVxlan, type TunnelOuterSpec } from '../packet/index.js';

export function encapsulate(t: TunnelEntry, inner: Uint8Array, srcMac: string, dstMac: string): Uint8Array {
  const v6 = t.localIp!.includes(':');
  const ttl = t.ttl || 64;
  const outer: TunnelOuterSpec = {
    eth: { src: srcMac, dst: dstMac },
    ...(v6 ? { ipv6: { src: t.localIp!, dst: t.remoteIp!, hopLimit: ttl } } : { ipv4: { src: t.localIp!, dst: t.remoteIp!, ttl, flags: { df: true } } }),
    udp: t.udpDstPort ? { dport: t.udpDstPort } : {},
  };
  if (t.type === 'GENEVE') {
    const options = (t.geneveOptions ?? []).map((o) => ({ class: o.optionClass ?? 0, type: o.type ?? 0, data: o.data ?? new Uint8Array(0) }));
    return buildGeneve(outer, t.vni ?? 0, options, inner);
  }
  return buildVxlan(outer, t.vni ?? 0, inner);
}

/** Outer header bytes a tunnel adds (Ethernet + IP + UDP + tunnel header + options). */
export function encapOverhead(t: TunnelEntry): number {
  const ip = t.localIp!.includes(':') ? 40 : 20;
  const opts = t.type === 'GENEVE' ? (t.geneveOptions ?? []).reduce((n, o) => n + 4 + (((o.data?.length ?? 0) + 3) & ~3), 0) : 0;
  return 14 + ip + 8 + 8 + opts;
}
