// Tunnels on packets. Termination: a VXLAN (UDP 4789) or Geneve (UDP 6081)
// packet whose (type, outer IPv4 destination, VNI) hits tunnel_term loses its
// outer headers and continues in the entry's VRF; a miss is an ordinary UDP
// packet (hal-spec §2). Encapsulation: the tunnel_encap entry a nh_tunnel next
// hop points at gives the outer IPv4 header (DF set), the UDP port, VNI and
// Geneve options; the outer UDP source port is a hash of the inner flow (RFC
// 7348 §5, RFC 8926 §3.3), computed by the packet codec.
import { buildGeneve, buildVxlan, parsePacket, type GeneveOptionSpec, type ParsedPacket } from '../../../sim/packet/index.js';
import type { CostSink } from '../../../sim/cost/ops.js';
import { formatIpv4 } from '../../../hal/index.js';
import { toFixed } from '../p4rt/bytestrings.js';
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
  if (!t || pkt.l3?.kind !== 'ipv4') return undefined;
  const l3 = pkt.l3;
  const dst = new DataView(frame.buffer, frame.byteOffset).getUint32(l3.offset + 16);
  const type = t.kind === 'vxlan' ? TUNNEL_VXLAN : TUNNEL_GENEVE;
  const e = exact(TABLES.tunnel_term, [type, dst, t.vni], cost, 'tunnel-term');
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
  step('tunnel-term', `${name} VNI ${t.vni} to local VTEP ${l3.dst} terminated; the inner packet continues in vrf ${vrf}`, 'tunnel_term');
  return { kind: 'terminated', frame: inner, pkt: parsed.pkt, vrf };
}

/** The outer frame around `inner` (whose MACs are already rewritten) for a tunnel_encap entry. */
export function encapsulate(e: StoredEntry, inner: Uint8Array, srcMac: string, dstMac: string, cost: CostSink): Uint8Array {
  const p = e.action!.params;
  const outer = {
    eth: { src: srcMac, dst: dstMac },
    ipv4: { src: formatIpv4(toFixed(p.local_ip, 4)), dst: formatIpv4(toFixed(p.remote_ip, 4)), ttl: Number(p.ttl), flags: { df: true } },
    udp: { dport: Number(p.udp_dst_port) },
  };
  const vni = Number(p.vni);
  const out = e.action!.action.name === 'geneve_encap' ? buildGeneve(outer, vni, optionsOf(toFixed(p.options, Number(p.options_len))), inner) : buildVxlan(outer, vni, inner);
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

export function describeEncap(e: StoredEntry): string {
  const p = e.action!.params;
  return `encapsulated in ${e.action!.action.name === 'geneve_encap' ? 'Geneve' : 'VXLAN'} VNI ${p.vni} from ${formatIpv4(toFixed(p.local_ip, 4))} to ${formatIpv4(toFixed(p.remote_ip, 4))}`;
}
