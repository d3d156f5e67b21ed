// HAL tunnels → the program's tunnel tables, and back:
//   tunnel       → tunnel_encap at a 16-bit pointer (vxlan_encap / geneve_encap)
//   nexthop with tunnelId → nexthop nh_tunnel(tunnel_ptr)
//   tunnel_term  → tunnel_term (type, local VTEP, VNI) → decap_to_vrf
// The program holds the values hardware needs (the UDP port and TTL resolved
// from their HAL defaults); which of them the client left unset travels in the
// entry's metadata ("dflt"), so a read returns what was written. The outer
// header is IPv4 or IPv6 (the *_v6 actions, tunnel_term_v6) by the VTEPs' family.
import { canonical, toBigInt, toFixed } from '../p4rt/bytestrings.js';
import type { TableEntry } from '../p4rt/messages.js';
import { ACTIONS, TABLES, TUNNEL_GENEVE, TUNNEL_VXLAN } from '../program/program.js';
import type { IdSpace } from './ids.js';
import { addrOf, formatAddr, type Family } from './translate-v6.js';

type Body = Record<string, unknown>;

export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;
const DEFAULT_TTL = 64;

const param = (id: number, v: bigint | number) => ({ paramId: id, value: canonical(BigInt(v)) });

/** Geneve options as their wire TLVs (RFC 8926 §3.5): class, type, length in 4-byte words, data. */
export function geneveTlvs(options: readonly Body[]): Uint8Array {
  const parts = options.map((o) => {
    const data = (o.data as Uint8Array | undefined) ?? new Uint8Array(0);
    const b = new Uint8Array(4 + data.length);
    b[0] = ((o.optionClass as number) ?? 0) >> 8;
    b[1] = ((o.optionClass as number) ?? 0) & 0xff;
    b[2] = (o.type as number) ?? 0;
    b[3] = data.length / 4;
    b.set(data, 4);
    return b;
  });
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

export function parseGeneveTlvs(b: Uint8Array): Body[] {
  const out: Body[] = [];
  for (let at = 0; at + 4 <= b.length; ) {
    const len = (b[at + 3] & 0x1f) * 4;
    const data = b.slice(at + 4, at + 4 + len);
    out.push({ optionClass: (b[at] << 8) | b[at + 1], type: b[at + 2], ...(data.length && { data }) });
    at += 4 + len;
  }
  return out;
}

export function tunnelToP4(body: Body, tunnels: IdSpace, nexthops: IdSpace): TableEntry {
  const geneve = body.type === 'GENEVE';
  // The shared checks made localIp and remoteIp one family.
  const local = addrOf(body.localIp as string);
  const v6 = local.family === 6;
  const dflt = [...(body.udpDstPort ? [] : ['udpDstPort']), ...(body.ttl ? [] : ['ttl'])];
  const common = [
    param(1, local.value),
    param(2, addrOf(body.remoteIp as string).value),
    param(3, (body.udpDstPort as number) || (geneve ? GENEVE_PORT : VXLAN_PORT)),
    param(4, (body.vni as number) ?? 0),
    param(5, (body.ttl as number) || DEFAULT_TTL),
    param(6, nexthops.allocate(body.underlayNexthopId as string)),
  ];
  let action;
  if (geneve) {
    const tlvs = geneveTlvs((body.geneveOptions as Body[] | undefined) ?? []);
    action = { actionId: (v6 ? ACTIONS.geneve_encap_v6 : ACTIONS.geneve_encap).id, params: [...common, param(7, toBigInt(tlvs)), param(8, tlvs.length)] };
  } else action = { actionId: (v6 ? ACTIONS.vxlan_encap_v6 : ACTIONS.vxlan_encap).id, params: common };
  return {
    tableId: TABLES.tunnel_encap.id,
    match: [{ fieldId: 1, exact: { value: canonical(tunnels.allocate(body.id as string)) } }],
    action: { action },
    metadata: Buffer.from(JSON.stringify({ id: body.id, ...(dflt.length && { dflt }) })),
  };
}

export function tunnelNexthopToP4(body: Body, key: TableEntry['match'], tunnels: IdSpace): TableEntry {
  return {
    tableId: TABLES.nexthop.id,
    match: key,
    action: { action: { actionId: ACTIONS.nh_tunnel.id, params: [param(1, tunnels.allocate(body.tunnelId as string))] } },
    metadata: Buffer.from(JSON.stringify({ id: body.id })),
  };
}

export function tunnelTermToP4(body: Body): TableEntry {
  const local = addrOf(body.localIp as string);
  return {
    tableId: (local.family === 6 ? TABLES.tunnel_term_v6 : TABLES.tunnel_term).id,
    match: [
      { fieldId: 1, exact: { value: canonical(body.type === 'GENEVE' ? TUNNEL_GENEVE : TUNNEL_VXLAN) } },
      { fieldId: 2, exact: { value: canonical(local.value) } },
      { fieldId: 3, exact: { value: canonical((body.vni as number) ?? 0) } },
    ],
    action: { action: { actionId: ACTIONS.decap_to_vrf.id, params: [param(1, (body.vrf as number) ?? 0)] } },
  };
}

/** What fromP4 decoded of one entry (translate.ts's Decoded, the fields used here). */
export interface DecodedEntry {
  match: Record<string, { value: bigint }>;
  action?: { name: string; params: Record<string, bigint> };
  meta: Record<string, unknown>;
}

export function tunnelFromP4(d: DecodedEntry, tunnels: IdSpace, nhName: (n: bigint) => string): Body {
  const p = d.action!.params;
  const dflt = new Set((d.meta.dflt as string[] | undefined) ?? []);
  const geneve = d.action!.name.startsWith('geneve_encap');
  const fam: Family = d.action!.name.endsWith('_v6') ? 6 : 4;
  const options = geneve && p.options_len ? parseGeneveTlvs(toFixed(p.options ?? 0n, Number(p.options_len))) : [];
  return {
    id: (d.meta.id as string) ?? tunnels.name(Number(d.match.tunnel_ptr.value)) ?? `tunnel-${d.match.tunnel_ptr.value}`,
    type: geneve ? 'GENEVE' : 'VXLAN',
    localIp: formatAddr(fam, p.local_ip),
    remoteIp: formatAddr(fam, p.remote_ip),
    ...(p.vni && { vni: Number(p.vni) }),
    ...(!dflt.has('udpDstPort') && { udpDstPort: Number(p.udp_dst_port) }),
    ...(!dflt.has('ttl') && { ttl: Number(p.ttl) }),
    ...(options.length && { geneveOptions: options }),
    underlayNexthopId: nhName(p.underlay_nexthop_id),
  };
}

export function tunnelTermFromP4(d: DecodedEntry, fam: Family): Body {
  return {
    localIp: formatAddr(fam, d.match.dst_addr.value),
    ...(d.match.vni?.value && { vni: Number(d.match.vni.value) }),
    type: d.match.tunnel_type.value === BigInt(TUNNEL_GENEVE) ? 'GENEVE' : 'VXLAN',
    ...(d.action!.params.vrf && { vrf: Number(d.action!.params.vrf) }),
  };
}
