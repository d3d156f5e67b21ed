// What the reference device declares. Every feature listed here is shown by the
// packet walk in src/sim/pipeline; tables the walk does not act on yet are
// programmable but marked applied_to_packets=false.
import type { Atomicity, Feature, TableSupport } from '../../hal/index.js';
import type { PortSpec } from '../../sim/device.js';

export const REFERENCE_ATOMICITY: Atomicity[] = ['CONTINUE_ON_ERROR', 'ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'];

export const REFERENCE_FEATURES: Feature[] = [
  'IPV4_ROUTING', 'IPV6_ROUTING', 'ECMP', 'NEIGHBOR_REWRITE', 'TTL_DECREMENT', 'ROUTE_REJECT_ICMP',
  'ACL', 'ACL_DEFAULT_DENY', 'ACL_REJECT',
  'CONNTRACK', 'STATEFUL_ACL', 'SERVICE_LB', 'SERVICE_AFFINITY', 'SERVICE_REJECT_EMPTY', 'SERVICE_SOURCE_RANGES', 'SNAT', 'HAIRPIN',
  'VXLAN_ENCAP', 'VXLAN_DECAP', 'GENEVE_ENCAP', 'GENEVE_DECAP',
  'POLICER', 'SHAPER',
  'FLOW_RECORDS',
];

/** Connections the device tracks in all zones together. */
export const REFERENCE_CONNTRACK_ENTRIES = 1_048_576;

export const REFERENCE_MAX_BATCH = 100_000;

const applied = (maxEntries: number, extra: Partial<TableSupport> = {}): TableSupport => ({ maxEntries, appliedToPackets: true, ...extra });
const stored = (maxEntries: number, extra: Partial<TableSupport> = {}): TableSupport => ({ maxEntries, appliedToPackets: false, ...extra });

export function referenceTables(sizes: { scale: number; ports: number }): Record<string, TableSupport> {
  const s = sizes.scale;
  return {
    port: applied(sizes.ports),
    endpoint: applied(4096 * s, { perEntryCounters: true }),
    neighbor: applied(4096 * s),
    route: applied(16384 * s, { perEntryCounters: true }),
    nexthop: applied(4096 * s),
    ecmp_group: applied(1024 * s, { maxGroupMembers: 64 }),
    acl: applied(16384 * s, { perEntryCounters: true }),
    tunnel: applied(1024 * s, { perEntryCounters: true }),
    tunnel_term: applied(1024 * s, { perEntryCounters: true }),
    service: applied(16384 * s, { perEntryCounters: true }),
    service_source: applied(4096 * s),
    backend_group: applied(16384 * s, { maxGroupMembers: 256, perEntryCounters: true }),
    snat: applied(1024 * s, { perEntryCounters: true }),
    ct_zone: applied(256),
    policer: applied(4096 * s, { perEntryCounters: true }),
    policer_binding: applied(4096 * s),
    shaper: applied(sizes.ports * 8, { perEntryCounters: true }),
    ipsec_sa: stored(1024 * s),
    ipsec_spd: stored(1024 * s),
    tls_session: stored(4096 * s),
    flow_log: applied(1),
  };
}

export function referencePorts(hostPorts: number): PortSpec[] {
  return [
    { id: 'uplink0', role: 'UPLINK', speedBps: 25e9 },
    { id: 'uplink1', role: 'UPLINK', speedBps: 25e9 },
    ...Array.from({ length: hostPorts }, (_, i): PortSpec => ({ id: `host${i}`, role: 'HOST', speedBps: 25e9 })),
  ];
}
