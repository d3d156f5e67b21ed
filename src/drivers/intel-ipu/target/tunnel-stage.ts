// Tunnels on packets. Termination: a VXLAN (UDP 4789) or Geneve (UDP 6081)
// packet whose (type, outer destination, VNI) hits tunnel_term(_v6) loses its
// outer headers and continues in the entry's VRF; a miss is an ordinary UDP
// packet (hal-spec §2). Encapsulation: the tunnel_encap entry a nh_tunnel next
// hop points at gives the outer IPv4 (DF set) or IPv6 header, the UDP port, VNI and
// Geneve options; the outer UDP source port is a hash of the inner flow (RFC
// 7348 §5, RFC 8926 §3.3), computed by the packet codec.
import { buildGeneve, buildVxlan, parsePacket, type GeneveOptionSpec, type ParsedPacket } from '../../../sim/packet/index.js';
import type { CostSink } from '../../../sim/cost/ops.js';
import { toBigInt, toFixed } from '../p4rt/bytestrings.js';
import { addrText } from './view.js';
import { TABLES, TUNNEL_GENEVE, TUNNEL_VXLAN, type TableDef } from '../program/program.js';
import type { StoredEntry } from './table-state.js';

export type ExactLookup = (t: TableDef, values: readonly (number | bigint)[], cost: CostSink, stage: string) => StoredEntry | undefined;
type Step = (stage: string, detail: string, table?: string) => void;

export type Termination =
  | { readonly kind: 'terminated'; readonly frame: Uint8Array; readonly pkt: ParsedPacket; readonly vrf: number }
  | { readonly kind: 'drop'; readonly reason: string; readonly detail: string };

/** Tunnel termination for a parsed packet; undefined when it is not a tunnel for a local VTEP. */
export function terminate(frame: Uint8Array, pkt: ParsedPacket, inputBytes: number, exact: ExactLookup, cost: CostSink, step: Step): Termination | undefined {
  const t = pkt.tunnel;
  const l3 = pkt.l3;
  if (!t || !l3 || l3.kind === 'arp') return undefined;
  const v4 = l3.kind === 'ipv4';
  const dst = v4 ? toBigInt(frame.subarray(l3.offset + 16, l3.offset + 20)) : toBigInt(frame.subarray(l3.offset + 24, l3.offset + 40));
  const type = t.kind === 'vxlan' ? TUNNEL_VXLAN : TUNNEL_GENEVE;
  const e = exact(v4 ? TABLES.tunnel_term : TABLES.tunnel_term_v6, [type, dst, t.vni], cost, 'tunnel-term');
  if (!e) return undefined;
  e.counters.packets++;
  e.counters.bytes += inputBytes;
  const name = t.kind === 'vxlan' ? 'VXLAN' : 'Geneve';
  if (!t.inner) return { kind: 'drop', reason: 'tunnel-inner-unsupported', detail: `${name} VNI ${t.vni} carries protocol 0x${(t.protocolType ?? 0).toString(16)}, not Ethernet` };
  cost.charge('tunnel-term', 'decap', t.innerOffset);
  const inner = frame.slice(t.innerOffset, pkt.payloadEnd);
  const parsed = parsePacket(inner);
  if (!parsed.ok) return { kind: 'drop', reason: `malformed:${parsed.reason}`, detail: `malformed inner packet: ${parsed.detail}` };
  const vrf = Number(e.action!.params.vrf);
  step('tunnel-term', `${name} VNI ${t.vni} to local VTEP ${addrText(v4 ? 4 : 6, dst)} terminated; the inner packet continues in vrf ${vrf}`, v4 ? 'tunnel_term' : 'tunnel_term_v6');
  return { kind: 'terminated', frame: inner, pkt: parsed.pkt, vrf };
}

/** The outer frame around `inner` (whose MACs are already rewritten) for a tunnel_encap entry. */
export function encapsulate(e: StoredEntry, inner: Uint8Array, srcMac: string, dstMac: string, cost: CostSink): Uint8Array {
  const p = e.action!.params;
  const fam = outerFamily(e);
  const src = addrText(fam, p.local_ip);
  const dst = addrText(fam, p.remote_ip);
  const outer = {
    eth: { src: srcMac, dst: dstMac },
    ...(fam === 4 ? { ipv4: { src, dst, ttl: Number(p.ttl), flags: { df: true } } } : { ipv6: { src, dst, hopLimit: Number(p.ttl) } }),
    udp: { dport: Number(p.udp_dst_port) },
  };
  const vni = Number(p.vni);
  const out = e.action!.action.name.startsWith('geneve_encap') ? buildGeneve(outer, vni, optionsOf(toFixed(p.options, Number(p.options_len))), inner) : buildVxlan(outer, vni, inner);
  cost.charge('tunnel-encap', 'encap', out.length - inner.length);
  return out;
}

function optionsOf(b: Uint8Array): GeneveOptionSpec[] {
  const out: GeneveOptionSpec[] = [];
  for (let at = 0; at + 4 <= b.length; ) {
    const len = (b[at + 3] & 0x1f) * 4;
    out.push({ class: (b[at] << 8) | b[at + 1], type: b[at + 2], data: b.slice(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return out;
}

/** The family of a tunnel_encap entry's outer header. */
export const outerFamily = (e: StoredEntry): 4 | 6 => (e.action!.action.name.endsWith('_v6') ? 6 : 4);

export function describeEncap(e: StoredEntry): string {
  const p = e.action!.params;
  const fam = outerFamily(e);
  return `encapsulated in ${e.action!.action.name.startsWith('geneve_encap') ? 'Geneve' : 'VXLAN'} VNI ${p.vni} from ${addrText(fam, p.local_ip)} to ${addrText(fam, p.remote_ip)}`;
}
