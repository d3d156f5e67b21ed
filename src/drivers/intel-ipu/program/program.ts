// The target's P4 program, described once: tables, match fields, actions, the
// ECMP action selector, direct counters and the controller packet headers. The
// P4Info (p4info.ts) and its text form (p4info.txt) are generated from this, and
// the target and the driver look names and ids up here.
//
// The shape follows the public Kubernetes offload pipeline for P4-DPDK / IPU
// (ipdk k8s-infra-offload): exact-match pod forwarding keyed on the destination
// address, next hops and rewrites referenced by pointers (small integer ids),
// an action selector with a bounded group size, policy in a TCAM table with a
// bounded pool of port-range checkers, VXLAN/Geneve encapsulation through a
// rewrite table indexed by a pointer (vxlan_encap_mod_table there) and
// termination by (type, local VTEP, VNI). IPv6 has its own endpoint, route and
// neighbor tables beside the IPv4 ones; the ACL table carries both families.

export type MatchKind = 'EXACT' | 'LPM' | 'TERNARY' | 'RANGE' | 'OPTIONAL';

export interface FieldDef {
  readonly id: number;
  readonly name: string;
  readonly bitwidth: number;
  readonly match: MatchKind;
}

export interface ParamDef {
  readonly id: number;
  readonly name: string;
  readonly bitwidth: number;
}

export interface ActionDef {
  readonly id: number;
  readonly name: string;
  readonly params: readonly ParamDef[];
  readonly brief: string;
}

export interface SelectorDef {
  readonly id: number;
  readonly name: string;
  /** Total members over all groups. */
  readonly size: number;
  /** Members per group (SumOfMembers semantics). */
  readonly maxGroupSize: number;
  readonly maxMemberWeight: number;
}

export interface TableDef {
  readonly id: number;
  readonly name: string;
  readonly fields: readonly FieldDef[];
  readonly actions: readonly number[];
  readonly size: number;
  readonly selector?: SelectorDef;
  readonly counterId?: number;
  /** Entries are added by the data plane (add_on_miss); controllers may only read them. */
  readonly learned?: boolean;
  readonly brief: string;
}

const PREFIX = 'xpuhal_k8s_ipu.';
const ACTION = 0x01000000;
const TABLE = 0x02000000;
const CONTROLLER_HEADER = 0x04000000;
const ACTION_PROFILE = 0x11000000;
const DIRECT_COUNTER = 0x13000000;

const p = (id: number, name: string, bitwidth: number): ParamDef => ({ id, name, bitwidth });
const f = (id: number, name: string, bitwidth: number, match: MatchKind): FieldDef => ({ id, name, bitwidth, match });

export const ACTIONS = {
  set_port_config: { id: ACTION | 1, name: 'set_port_config', params: [p(1, 'vrf', 16), p(2, 'admin_up', 1), p(3, 'mtu', 16)], brief: 'Per-port VRF, administrative state and MTU.' },
  to_endpoint: {
    id: ACTION | 2,
    name: 'to_endpoint',
    params: [p(1, 'port', 32), p(2, 'dmac', 48), p(3, 'ep_tag', 16), p(4, 'isolated_ingress', 1), p(5, 'isolated_egress', 1)],
    brief: 'Deliver to a local endpoint: out of its port, to its MAC; tag and isolation feed the policy stage.',
  },
  set_src_endpoint: { id: ACTION | 3, name: 'set_src_endpoint', params: [p(1, 'ep_tag', 16), p(2, 'isolated_egress', 1)], brief: 'Tag the packet with its source endpoint for egress policy.' },
  set_neighbor_mac: { id: ACTION | 4, name: 'set_neighbor_mac', params: [p(1, 'dmac', 48)], brief: 'Destination MAC of a directly connected neighbor.' },
  nh_neighbor: { id: ACTION | 5, name: 'nh_neighbor', params: [p(1, 'port', 32), p(2, 'neighbor_ip', 32)], brief: 'Out of a port, MAC resolved from the neighbor table for neighbor_ip.' },
  nh_connected: { id: ACTION | 6, name: 'nh_connected', params: [p(1, 'port', 32)], brief: 'Out of a port, MAC resolved for the packet\'s own destination (connected route).' },
  nh_fixed_mac: { id: ACTION | 7, name: 'nh_fixed_mac', params: [p(1, 'port', 32), p(2, 'dmac', 48), p(3, 'neighbor_ip', 32)], brief: 'Out of a port to a fixed MAC; neighbor_ip is carried (0: none), not looked up.' },
  set_ecmp_member: { id: ACTION | 8, name: 'set_ecmp_member', params: [p(1, 'nexthop_id', 16)], brief: 'One member of an ECMP group: a next-hop pointer.' },
  ecmp_empty: { id: ACTION | 9, name: 'ecmp_empty', params: [], brief: 'The only action of a group with no members: drop (counted ecmp-empty).' },
  route_to_nexthop: { id: ACTION | 10, name: 'route_to_nexthop', params: [p(1, 'nexthop_id', 16)], brief: 'Route through a next-hop pointer.' },
  route_to_ecmp: { id: ACTION | 11, name: 'route_to_ecmp', params: [p(1, 'group_id', 16)], brief: 'Route through an ECMP group pointer.' },
  route_drop: { id: ACTION | 12, name: 'route_drop', params: [], brief: 'Discard (counted route-drop).' },
  route_reject: { id: ACTION | 13, name: 'route_reject', params: [], brief: 'Discard as unreachable (counted route-reject; no ICMP is generated).' },
  acl_allow: { id: ACTION | 14, name: 'acl_allow', params: [], brief: 'Policy verdict: allow.' },
  acl_deny: { id: ACTION | 15, name: 'acl_deny', params: [], brief: 'Policy verdict: deny (counted acl-deny).' },
  svc_balance: {
    id: ACTION | 16,
    name: 'svc_balance',
    params: [p(1, 'group_id', 16), p(2, 'standby_group_id', 16), p(3, 'empty_drop', 1), p(4, 'affinity_s', 32)],
    brief: 'A service VIP:port: balance over a backend group (action selector); when it has no backend, over the standby group (terminating backends); when both are empty, reject (empty_drop 0) or drop (1). affinity_s > 0: a client IP keeps its backend for that long after its last new connection (service_affinity).',
  },
  svc_drop: { id: ACTION | 17, name: 'svc_drop', params: [], brief: 'A service VIP:port that discards (counted service-drop).' },
  set_backend: { id: ACTION | 18, name: 'set_backend', params: [p(1, 'dnat_ptr', 24)], brief: 'One backend of a group: a pointer into dnat_rewrite.' },
  lb_empty: { id: ACTION | 19, name: 'lb_empty', params: [], brief: 'The only action of a group with no backends: the service falls back to its standby group, then to its empty behaviour.' },
  rewrite_dst: { id: ACTION | 20, name: 'rewrite_dst', params: [p(1, 'ip', 32), p(2, 'port', 16)], brief: 'DNAT: destination address and port, checksums updated.' },
  pinned_hit: { id: ACTION | 21, name: 'pinned_hit', params: [p(1, 'dnat_ptr', 24)], brief: 'Learned (add-on-miss): this connection keeps its backend.' },
  nh_tunnel: { id: ACTION | 23, name: 'nh_tunnel', params: [p(1, 'tunnel_ptr', 16)], brief: 'Into a tunnel: encapsulate with the tunnel_encap entry at tunnel_ptr.' },
  vxlan_encap: {
    id: ACTION | 24,
    name: 'vxlan_encap',
    params: [p(1, 'local_ip', 32), p(2, 'remote_ip', 32), p(3, 'udp_dst_port', 16), p(4, 'vni', 24), p(5, 'ttl', 8), p(6, 'underlay_nexthop_id', 16)],
    brief: 'VXLAN (RFC 7348): outer IPv4 (DF) local_ip → remote_ip, UDP to udp_dst_port from a hash of the inner flow, out by the underlay next hop.',
  },
  geneve_encap: {
    id: ACTION | 25,
    name: 'geneve_encap',
    params: [p(1, 'local_ip', 32), p(2, 'remote_ip', 32), p(3, 'udp_dst_port', 16), p(4, 'vni', 24), p(5, 'ttl', 8), p(6, 'underlay_nexthop_id', 16), p(7, 'options', 2016), p(8, 'options_len', 8)],
    brief: 'Geneve (RFC 8926): as vxlan_encap, with options_len bytes of TLV options (options holds them right-aligned).',
  },
  vxlan_encap_v6: {
    id: ACTION | 29,
    name: 'vxlan_encap_v6',
    params: [p(1, 'local_ip', 128), p(2, 'remote_ip', 128), p(3, 'udp_dst_port', 16), p(4, 'vni', 24), p(5, 'ttl', 8), p(6, 'underlay_nexthop_id', 16)],
    brief: 'VXLAN with an outer IPv6 header (hop limit ttl); the UDP checksum is computed (RFC 6935 allows zero, this program does not use it).',
  },
  geneve_encap_v6: {
    id: ACTION | 30,
    name: 'geneve_encap_v6',
    params: [p(1, 'local_ip', 128), p(2, 'remote_ip', 128), p(3, 'udp_dst_port', 16), p(4, 'vni', 24), p(5, 'ttl', 8), p(6, 'underlay_nexthop_id', 16), p(7, 'options', 2016), p(8, 'options_len', 8)],
    brief: 'Geneve with an outer IPv6 header.',
  },
  decap_to_vrf: { id: ACTION | 26, name: 'decap_to_vrf', params: [p(1, 'vrf', 16)], brief: 'Remove the outer headers; the inner packet continues in vrf.' },
  nh_neighbor_v6: { id: ACTION | 27, name: 'nh_neighbor_v6', params: [p(1, 'port', 32), p(2, 'neighbor_ip', 128)], brief: 'Out of a port, MAC resolved from neighbor_v6 for an IPv6 neighbor_ip.' },
  nh_fixed_mac_v6: { id: ACTION | 28, name: 'nh_fixed_mac_v6', params: [p(1, 'port', 32), p(2, 'dmac', 48), p(3, 'neighbor_ip', 128)], brief: 'Out of a port to a fixed MAC; an IPv6 neighbor_ip is carried, not looked up.' },
  reverse_hit: { id: ACTION | 22, name: 'reverse_hit', params: [p(1, 'vip', 32), p(2, 'port', 16)], brief: 'Learned (add-on-miss): replies of a balanced connection get the VIP:port back as source.' },
  // Service additions (ids from 64 up, apart from the routing/tunnel actions).
  svc_reject: { id: ACTION | 64, name: 'svc_reject', params: [], brief: 'A service VIP:port that rejects: TCP RST, else ICMP port unreachable, out of the ingress port (counted service-reject).' },
  src_allow: { id: ACTION | 65, name: 'src_allow', params: [], brief: 'Source range of a service: admitted.' },
  src_deny: { id: ACTION | 66, name: 'src_deny', params: [], brief: 'Source range of a service: dropped (counted service-source-denied).' },
  affinity_hit: { id: ACTION | 67, name: 'affinity_hit', params: [p(1, 'dnat_ptr', 24)], brief: 'Learned (add-on-miss): this client IP keeps this backend of the service.' },
} as const satisfies Record<string, ActionDef>;

export type ActionName = keyof typeof ACTIONS;

export const ECMP_SELECTOR: SelectorDef = { id: ACTION_PROFILE | 1, name: 'ecmp_selector', size: 4096, maxGroupSize: 64, maxMemberWeight: 1024 };
/** 128 members per group, as the k8s-infra-offload program's AS_NUM_MEMBERS. */
export const LB_SELECTOR: SelectorDef = { id: ACTION_PROFILE | 2, name: 'lb_selector', size: 16384, maxGroupSize: 128, maxMemberWeight: 1024 };

/** Idle time after which learned pinned_flows entries expire (virtual ns). */
export const PIN_IDLE_NS = 120_000_000_000;

export const TABLES = {
  port_config: {
    id: TABLE | 1,
    name: 'port_config',
    fields: [f(1, 'port', 32, 'EXACT')],
    actions: [ACTIONS.set_port_config.id],
    size: 64,
    brief: 'Port ingress: VRF and admin state per port. A port without an entry is up, in VRF 0.',
  },
  ipv4_to_port: {
    id: TABLE | 2,
    name: 'ipv4_to_port',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'dst_addr', 32, 'EXACT')],
    actions: [ACTIONS.to_endpoint.id],
    size: 4096,
    counterId: DIRECT_COUNTER | 2,
    brief: 'Pod forwarding: a local endpoint\'s address is a host route to its port (wins over ipv4_route).',
  },
  ipv4_src_endpoint: {
    id: TABLE | 3,
    name: 'ipv4_src_endpoint',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'src_addr', 32, 'EXACT')],
    actions: [ACTIONS.set_src_endpoint.id],
    size: 4096,
    brief: 'The same endpoints keyed by source address, for egress policy.',
  },
  neighbor: {
    id: TABLE | 4,
    name: 'neighbor',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'ip', 32, 'EXACT')],
    actions: [ACTIONS.set_neighbor_mac.id],
    size: 4096,
    brief: 'Neighbor (ARP) resolution: next-hop address to MAC.',
  },
  nexthop: {
    id: TABLE | 5,
    name: 'nexthop',
    fields: [f(1, 'nexthop_id', 16, 'EXACT')],
    actions: [ACTIONS.nh_neighbor.id, ACTIONS.nh_connected.id, ACTIONS.nh_fixed_mac.id, ACTIONS.nh_neighbor_v6.id, ACTIONS.nh_fixed_mac_v6.id, ACTIONS.nh_tunnel.id],
    size: 4096,
    brief: 'Next hops, indexed by a pointer the routes and ECMP members carry.',
  },
  ecmp_group: {
    id: TABLE | 6,
    name: 'ecmp_group',
    fields: [f(1, 'group_id', 16, 'EXACT')],
    actions: [ACTIONS.set_ecmp_member.id, ACTIONS.ecmp_empty.id],
    size: 1024,
    selector: ECMP_SELECTOR,
    brief: 'ECMP groups: an action selector over next-hop pointers, hashed on the 5-tuple (one-shot action sets).',
  },
  ipv4_route: {
    id: TABLE | 7,
    name: 'ipv4_route',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'dst_addr', 32, 'LPM')],
    actions: [ACTIONS.route_to_nexthop.id, ACTIONS.route_to_ecmp.id, ACTIONS.route_drop.id, ACTIONS.route_reject.id],
    size: 16384,
    counterId: DIRECT_COUNTER | 7,
    brief: 'LPM routing per VRF.',
  },
  acl: {
    id: TABLE | 8,
    name: 'acl',
    fields: [
      f(1, 'stage', 2, 'EXACT'),
      f(2, 'ep_tag', 16, 'OPTIONAL'),
      f(3, 'src_addr', 32, 'TERNARY'),
      f(4, 'dst_addr', 32, 'TERNARY'),
      f(5, 'protocol', 8, 'OPTIONAL'),
      f(6, 'src_port', 16, 'RANGE'),
      f(7, 'dst_port', 16, 'RANGE'),
      f(8, 'icmp_type', 8, 'OPTIONAL'),
      f(9, 'icmp_code', 8, 'OPTIONAL'),
      f(10, 'src_ip_version', 4, 'OPTIONAL'),
      f(11, 'dst_ip_version', 4, 'OPTIONAL'),
      f(12, 'src_ipv6', 128, 'TERNARY'),
      f(13, 'dst_ipv6', 128, 'TERNARY'),
      f(14, 'src_port_valid', 1, 'OPTIONAL'),
      f(15, 'dst_port_valid', 1, 'OPTIONAL'),
    ],
    actions: [ACTIONS.acl_allow.id, ACTIONS.acl_deny.id],
    size: 4096,
    counterId: DIRECT_COUNTER | 8,
    brief:
      'Network policy (TCAM), both families: stage 1 = ingress of the destination endpoint, 2 = egress of the source endpoint; highest priority wins. src/dst_ip_version match the IP version of a packet when the rule names an address family; src/dst_port_valid match packets that have L4 ports.',
  },

  service_lb: {
    id: TABLE | 9,
    name: 'service_lb',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'vip', 32, 'EXACT'), f(3, 'protocol', 8, 'EXACT'), f(4, 'port', 16, 'EXACT')],
    actions: [ACTIONS.svc_balance.id, ACTIONS.svc_drop.id, ACTIONS.svc_reject.id],
    size: 4096,
    counterId: DIRECT_COUNTER | 9,
    brief: 'Services: VIP, protocol and port to a backend group and its standby group, or drop, or reject.',
  },
  backend_group: {
    id: TABLE | 10,
    name: 'backend_group',
    fields: [f(1, 'group_id', 16, 'EXACT')],
    actions: [ACTIONS.set_backend.id, ACTIONS.lb_empty.id],
    size: 4096,
    selector: LB_SELECTOR,
    counterId: DIRECT_COUNTER | 10,
    brief: 'Backend groups: an action selector over DNAT pointers, hashed on the 5-tuple (one-shot action sets, or action profile members and groups).',
  },
  dnat_rewrite: {
    id: TABLE | 11,
    name: 'dnat_rewrite',
    fields: [f(1, 'dnat_ptr', 24, 'EXACT')],
    actions: [ACTIONS.rewrite_dst.id],
    size: 16384,
    brief: 'NAT rewrite blobs indexed by pointer: one per backend of a group (as many as lb_selector members).',
  },
  pinned_flows: {
    id: TABLE | 12,
    name: 'pinned_flows',
    fields: [f(1, 'src_addr', 32, 'EXACT'), f(2, 'dst_addr', 32, 'EXACT'), f(3, 'protocol', 8, 'EXACT'), f(4, 'src_port', 16, 'EXACT'), f(5, 'dst_port', 16, 'EXACT')],
    actions: [ACTIONS.pinned_hit.id],
    size: 65536,
    learned: true,
    brief: 'Connection pinning, learned by the data plane on a miss (add_on_miss): read-only to controllers, entries expire after 120 s idle.',
  },
  pinned_flows_reverse: {
    id: TABLE | 13,
    name: 'pinned_flows_reverse',
    fields: [f(1, 'src_addr', 32, 'EXACT'), f(2, 'dst_addr', 32, 'EXACT'), f(3, 'protocol', 8, 'EXACT'), f(4, 'src_port', 16, 'EXACT'), f(5, 'dst_port', 16, 'EXACT')],
    actions: [ACTIONS.reverse_hit.id],
    size: 65536,
    learned: true,
    brief: 'The reply direction of each pinned connection, learned with it: source rewritten back to VIP:port.',
  },
  tunnel_encap: {
    id: TABLE | 14,
    name: 'tunnel_encap',
    fields: [f(1, 'tunnel_ptr', 16, 'EXACT')],
    actions: [ACTIONS.vxlan_encap.id, ACTIONS.geneve_encap.id, ACTIONS.vxlan_encap_v6.id, ACTIONS.geneve_encap_v6.id],
    size: 1024,
    brief: 'Tunnel encapsulation rewrites indexed by the pointer a nh_tunnel next hop carries (as vxlan_encap_mod_table).',
  },
  tunnel_term: {
    id: TABLE | 15,
    name: 'tunnel_term',
    fields: [f(1, 'tunnel_type', 2, 'EXACT'), f(2, 'dst_addr', 32, 'EXACT'), f(3, 'vni', 24, 'EXACT')],
    actions: [ACTIONS.decap_to_vrf.id],
    size: 1024,
    counterId: DIRECT_COUNTER | 15,
    brief: 'Tunnel termination: type (1 VXLAN on UDP 4789, 2 Geneve on UDP 6081), outer IPv4 destination (a local VTEP) and VNI.',
  },
  tunnel_term_v6: {
    id: TABLE | 20,
    name: 'tunnel_term_v6',
    fields: [f(1, 'tunnel_type', 2, 'EXACT'), f(2, 'dst_addr', 128, 'EXACT'), f(3, 'vni', 24, 'EXACT')],
    actions: [ACTIONS.decap_to_vrf.id],
    size: 1024,
    counterId: DIRECT_COUNTER | 20,
    brief: 'Tunnel termination for an outer IPv6 destination (a local VTEP).',
  },
  ipv6_to_port: {
    id: TABLE | 16,
    name: 'ipv6_to_port',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'dst_addr', 128, 'EXACT')],
    actions: [ACTIONS.to_endpoint.id],
    size: 4096,
    counterId: DIRECT_COUNTER | 16,
    brief: 'Pod forwarding for IPv6 endpoints (wins over ipv6_route).',
  },
  ipv6_src_endpoint: {
    id: TABLE | 17,
    name: 'ipv6_src_endpoint',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'src_addr', 128, 'EXACT')],
    actions: [ACTIONS.set_src_endpoint.id],
    size: 4096,
    brief: 'IPv6 endpoints keyed by source address, for egress policy.',
  },
  neighbor_v6: {
    id: TABLE | 18,
    name: 'neighbor_v6',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'ip', 128, 'EXACT')],
    actions: [ACTIONS.set_neighbor_mac.id],
    size: 4096,
    brief: 'IPv6 neighbor (NDP) resolution: next-hop address to MAC.',
  },
  ipv6_route: {
    id: TABLE | 19,
    name: 'ipv6_route',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'dst_addr', 128, 'LPM')],
    actions: [ACTIONS.route_to_nexthop.id, ACTIONS.route_to_ecmp.id, ACTIONS.route_drop.id, ACTIONS.route_reject.id],
    size: 8192,
    counterId: DIRECT_COUNTER | 19,
    brief: 'IPv6 LPM routing per VRF.',
  },
  service_source: {
    id: TABLE | 64,
    name: 'service_source',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'vip', 32, 'EXACT'), f(3, 'protocol', 8, 'EXACT'), f(4, 'port', 16, 'EXACT'), f(5, 'src_addr', 32, 'LPM')],
    actions: [ACTIONS.src_allow.id, ACTIONS.src_deny.id],
    size: 4096,
    brief: 'Source ranges of a service (loadBalancerSourceRanges), checked on a service_lb hit: the longest match decides; a service key without entries admits every source.',
  },
  service_affinity: {
    id: TABLE | 65,
    name: 'service_affinity',
    fields: [f(1, 'vrf', 16, 'EXACT'), f(2, 'vip', 32, 'EXACT'), f(3, 'protocol', 8, 'EXACT'), f(4, 'port', 16, 'EXACT'), f(5, 'client', 32, 'EXACT')],
    actions: [ACTIONS.affinity_hit.id],
    size: 65536,
    learned: true,
    brief: 'Client-IP affinity (sessionAffinity ClientIP), learned by the data plane when a service with affinity_s > 0 balances a new connection; an entry lapses affinity_s after the client\'s last new connection, or when its backend is no longer in the service\'s groups.',
  },
} as const satisfies Record<string, TableDef>;

export type TableName = keyof typeof TABLES;

/** Distinct non-wildcard port ranges one RANGE field of the acl table can hold (range-checker units). */
export const ACL_RANGE_CHECKERS = 64;

export const PACKET_IN = { id: CONTROLLER_HEADER | 1, name: 'packet_in', metadata: [{ id: 1, name: 'ingress_port', bitwidth: 32 }, { id: 2, name: 'reason', bitwidth: 8 }] } as const;
export const PACKET_OUT = { id: CONTROLLER_HEADER | 2, name: 'packet_out', metadata: [{ id: 1, name: 'egress_port', bitwidth: 32 }] } as const;

/** tunnel_term.tunnel_type values. */
export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;

/** packet_in.reason values. */
export const PUNT_ARP = 1;

export const PROGRAM_NAME = 'xpuhal_k8s_ipu';
export const PROGRAM_VERSION = '1.1';
export const QUALIFIED = (name: string) => `${PREFIX}${name}`;

const tablesById = new Map<number, TableDef>(Object.values(TABLES).map((t) => [t.id, t]));
const actionsById = new Map<number, ActionDef>(Object.values(ACTIONS).map((a) => [a.id, a]));

export function tableById(id: number): TableDef | undefined {
  return tablesById.get(id);
}

export function actionById(id: number): ActionDef | undefined {
  return actionsById.get(id);
}
