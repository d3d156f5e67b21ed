// What the reference device declares. Every feature listed here is shown by the
// packet walk in src/sim/pipeline; tables the walk does not act on yet are
// programmable but marked applied_to_packets=false.
import type { Atomicity, Feature, TableSupport } from '../../hal/index.js';
import type { PortSpec } from '../../sim/device.js';

export const REFERENCE_ATOMICITY: Atomicity[] = ['CONTINUE_ON_ERROR', 'ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'];

export const REFERENCE_FEATURES: Feature[] = ['IPV4_ROUTING', 'IPV6_ROUTING', 'ECMP', 'NEIGHBOR_REWRITE', 'TTL_DECREMENT', 'ACL', 'ACL_DEFAULT_DENY'];

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
    tunnel: stored(1024 * s),
    tunnel_term: stored(1024 * s),
    service: stored(16384 * s),
    service_source: stored(4096 * s),
    backend_group: stored(16384 * s, { maxGroupMembers: 256 }),
    snat: stored(1024 * s),
    ct_zone: stored(256),
    policer: stored(4096 * s),
    policer_binding: stored(4096 * s),
    shaper: stored(sizes.ports * 8),
    ipsec_sa: stored(1024 * s),
    ipsec_spd: stored(1024 * s),
    tls_session: stored(4096 * s),
    flow_log: stored(1),
  };
}

export function referencePorts(hostPorts: number): PortSpec[] {
  return [
    { id: 'uplink0', role: 'UPLINK', speedBps: 25e9 },
    { id: 'uplink1', role: 'UPLINK', speedBps: 25e9 },
    ...Array.from({ length: hostPorts }, (_, i): PortSpec => ({ id: `host${i}`, role: 'HOST', speedBps: 25e9 })),
  ];
}
