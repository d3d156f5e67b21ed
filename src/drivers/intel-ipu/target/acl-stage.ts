// The acl table on a packet: the highest-priority entry whose every present
// field matches decides. Both families share the table: the ip-version fields
// say which family a rule's prefixes belong to, the port-valid fields whether
// the packet must carry ports; a field the packet lacks (ports of ICMP, the
// IPv4 address of an IPv6 packet) fails any present match on it.
import type { CostSink } from '../../../sim/cost/ops.js';
import { TABLES } from '../program/program.js';
import type { StoredEntry, TableState } from './table-state.js';
import type { PacketView } from './view.js';

export class AclStage {
  private version = -1;
  private sorted: StoredEntry[] = [];

  constructor(
    private readonly state: TableState,
    private readonly countLookup: (table: string, hit: boolean) => void,
  ) {}

  /** The packet's values for the acl table's fields, at one stage and endpoint tag. */
  static fields(stage: number, tag: number, v: PacketView): Record<string, bigint | undefined> {
    const n = (x: number | undefined) => (x === undefined ? undefined : BigInt(x));
    const v4 = v.family === 4;
    const ports = v.srcPort !== undefined ? 1n : 0n;
    return {
      stage: BigInt(stage),
      ep_tag: BigInt(tag),
      src_ip_version: BigInt(v.family),
      dst_ip_version: BigInt(v.family),
      src_addr: v4 ? v.src : undefined,
      dst_addr: v4 ? v.dst : undefined,
      src_ipv6: v4 ? undefined : v.src,
      dst_ipv6: v4 ? undefined : v.dst,
      protocol: BigInt(v.protocol),
      src_port_valid: ports,
      dst_port_valid: ports,
      src_port: n(v.srcPort),
      dst_port: n(v.dstPort),
      icmp_type: n(v.icmpType),
      icmp_code: n(v.icmpCode),
    };
  }

  match(fields: Record<string, bigint | undefined>, cost: CostSink): StoredEntry | undefined {
    const t = TABLES.acl;
    if (this.version !== this.state.version(t)) {
      this.sorted = [...this.state.entries(t)].sort((a, b) => b.priority - a.priority);
      this.version = this.state.version(t);
    }
    cost.charge('policy', 'lookup', this.sorted.length, t.name, 'ternary');
    const hit = this.sorted.find((e) => {
      for (const [name, m] of e.match) {
        const x = fields[name];
        if (x === undefined) return false;
        if (m.kind === 'TERNARY' ? (x & m.mask!) !== m.value : m.kind === 'RANGE' ? x < m.value || x > m.high! : x !== m.value) return false;
      }
      return true;
    });
    this.countLookup(t.name, !!hit);
    return hit;
  }
}
