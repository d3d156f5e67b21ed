// What the intel-ipu driver declares: the HAL tables its program offloads, with
// the program's real sizes and group bound; everything else is not declared.
import type { Atomicity, Feature, TableSupport } from '../../../hal/index.js';
import { ECMP_SELECTOR, LB_SELECTOR, TABLES } from '../program/program.js';

export const IPU_ATOMICITY: Atomicity[] = ['CONTINUE_ON_ERROR', 'ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'];

export const IPU_FEATURES: Feature[] = [
  'IPV4_ROUTING',
  'IPV6_ROUTING',
  'ECMP',
  'NEIGHBOR_REWRITE',
  'TTL_DECREMENT',
  'ACL',
  'ACL_DEFAULT_DENY',
  'VXLAN_ENCAP',
  'VXLAN_DECAP',
  'GENEVE_ENCAP',
  'GENEVE_DECAP',
  'SERVICE_LB',
  'SERVICE_AFFINITY',
  'SERVICE_REJECT_EMPTY',
  'SERVICE_SOURCE_RANGES',
];

export const IPU_MAX_BATCH = 4096;

/** HAL table → the P4 table whose size bounds it (endpoint also fills ipv4_src_endpoint, same size). */
export const HAL_TO_P4: Record<string, keyof typeof TABLES> = {
  port: 'port_config',
  endpoint: 'ipv4_to_port',
  neighbor: 'neighbor',
  nexthop: 'nexthop',
  ecmp_group: 'ecmp_group',
  route: 'ipv4_route',
  acl: 'acl',
  tunnel: 'tunnel_encap',
  tunnel_term: 'tunnel_term',
  service: 'service_lb',
  service_source: 'service_source',
  backend_group: 'backend_group',
};

/** Every P4 table a HAL table's entries live in (both families; endpoints also fill the source tables). */
export const HAL_TO_P4_ALL: Record<string, (keyof typeof TABLES)[]> = {
  port: ['port_config'],
  endpoint: ['ipv4_to_port', 'ipv4_src_endpoint', 'ipv6_to_port', 'ipv6_src_endpoint'],
  neighbor: ['neighbor', 'neighbor_v6'],
  nexthop: ['nexthop'],
  ecmp_group: ['ecmp_group'],
  route: ['ipv4_route', 'ipv6_route'],
  acl: ['acl'],
  tunnel: ['tunnel_encap'],
  tunnel_term: ['tunnel_term', 'tunnel_term_v6'],
  service: ['service_lb'],
  service_source: ['service_source'],
  backend_group: ['backend_group', 'dnat_rewrite'],
};

export function ipuTables(sizes: Readonly<Record<string, number>>, ports: number): Record<string, TableSupport> {
  const size = (hal: string) => sizes[HAL_TO_P4[hal]] ?? TABLES[HAL_TO_P4[hal]].size;
  return {
    port: { maxEntries: ports, appliedToPackets: true },
    endpoint: { maxEntries: size('endpoint'), appliedToPackets: true, perEntryCounters: true },
    neighbor: { maxEntries: size('neighbor'), appliedToPackets: true },
    nexthop: { maxEntries: size('nexthop'), appliedToPackets: true },
    ecmp_group: { maxEntries: size('ecmp_group'), appliedToPackets: true, maxGroupMembers: ECMP_SELECTOR.maxGroupSize },
    route: { maxEntries: size('route'), appliedToPackets: true, perEntryCounters: true },
    acl: { maxEntries: size('acl'), appliedToPackets: true, perEntryCounters: true },
    tunnel: { maxEntries: size('tunnel'), appliedToPackets: true },
    tunnel_term: { maxEntries: size('tunnel_term'), appliedToPackets: true, perEntryCounters: true },
    service: { maxEntries: size('service'), appliedToPackets: true, perEntryCounters: true },
    // Two P4 entries per HAL entry at worst: the active and standby groups; a source range and its key's catch-all.
    service_source: { maxEntries: Math.floor(size('service_source') / 2), appliedToPackets: true },
    backend_group: { maxEntries: Math.floor(size('backend_group') / 2), appliedToPackets: true, perEntryCounters: true, maxGroupMembers: LB_SELECTOR.maxGroupSize },
  };
}

export const IPU_NOTES = [
  'Programs an IPU-style P4 target over P4Runtime (gRPC, TLS); program xpuhal_k8s_ipu 1.1, P4Info in src/drivers/intel-ipu/program/p4info.txt.',
  'IPv4 and IPv6: endpoints, neighbors and routes of each family live in their own P4 tables (IPv6 routes: 8192); the ACL table matches both families.',
  'Tunnels: VXLAN and Geneve (options up to 252 bytes) with IPv4 or IPv6 outer headers; tunnel_term and tunnel_term_v6 hold 1024 local VTEP/VNI/type keys each (the HAL limit is 1024 in all).',
  'Not offloaded (tables not declared): SNAT, conntrack zones, QoS, IPsec/TLS, flow logs.',
  `Services: service_lb → backend_group selector (${LB_SELECTOR.maxGroupSize} members per group; active and terminating members in two selector groups, the second used only when the first is empty) → dnat_rewrite; connections are pinned in learned pinned_flows / pinned_flows_reverse (120 s idle). Reject services and empty groups answer TCP RST / ICMP port unreachable.`,
  'Client-IP affinity (affinityTimeoutS) is learned by the data plane into service_affinity (65536 entries). SNAT modes the program cannot apply are refused UNIMPLEMENTED/FEATURE_UNSUPPORTED (hal-spec §5.4 step 4), never stored and ignored: snatMode SNAT_MASQUERADE (SNAT) or SNAT_HAIRPIN (HAIRPIN). The program has no connection tracking the HAL can read (conntrack.supported false).',
  `Backend members share the selector and dnat_rewrite pools (${LB_SELECTOR.size} in all): beyond that an INSERT fails TABLE_FULL. service_source and backend_group maxEntries are half the P4 table sizes (a catch-all per service key; two selector groups per backend group).`,
  `ECMP groups hold at most ${ECMP_SELECTOR.maxGroupSize} members (action selector ecmp_selector, ${ECMP_SELECTOR.size} members in all).`,
  'ACL port ranges draw on 64 range checkers per range field (distinct low..high pairs); beyond that a write fails TABLE_FULL.',
  'Route "reject" drops without ICMP (ROUTE_REJECT_ICMP not declared); ACL_REJECT is refused with ACTION_UNSUPPORTED.',
  'Generation counts this driver session\'s writes; the digest and all reads come from the device (P4Runtime Read, reverse-translated).',
];
