// Why a frame was rejected by the parser. One reason per failure so that drop
// counters in the simulator map 1:1 onto what a DPU parser would count.

export const MALFORMED_REASONS = [
  'truncated-ethernet',
  'truncated-vlan',
  'too-many-vlans',
  'truncated-arp',
  'bad-arp',
  'truncated-ipv4',
  'bad-ipv4-version',
  'bad-ipv4-ihl',
  'bad-ipv4-total-length',
  'bad-ipv4-checksum',
  'truncated-ipv6',
  'bad-ipv6-version',
  'bad-ipv6-payload-length',
  'truncated-ipv6-extension',
  'ipv6-extension-chain',
  'truncated-tcp',
  'bad-tcp-data-offset',
  'bad-tcp-checksum',
  'truncated-udp',
  'bad-udp-length',
  'bad-udp-checksum',
  'truncated-icmp',
  'bad-icmp-checksum',
  'truncated-icmpv6',
  'bad-icmpv6-checksum',
  'truncated-sctp',
  'bad-sctp-checksum',
  'truncated-esp',
  'truncated-vxlan',
  'bad-vxlan-flags',
  'truncated-geneve',
  'bad-geneve-version',
  'bad-geneve-options',
  'tunnel-depth',
] as const;

export type MalformedReason = (typeof MALFORMED_REASONS)[number];

const REASON_SET: ReadonlySet<string> = new Set(MALFORMED_REASONS);

export function isMalformedReason(x: string): x is MalformedReason {
  return REASON_SET.has(x);
}

/** Per-reason drop counters. */
export class DropCounters {
  private readonly counts = new Map<MalformedReason, number>();
  private sum = 0;

  record(reason: MalformedReason, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
    this.sum += n;
  }

  get(reason: MalformedReason): number {
    return this.counts.get(reason) ?? 0;
  }

  total(): number {
    return this.sum;
  }

  reset(): void {
    this.counts.clear();
    this.sum = 0;
  }

  /** Every reason with its count (zeros included), in MALFORMED_REASONS order, so dumps are stable and diffable. */
  toJSON(): Record<MalformedReason, number> {
    const out = {} as Record<MalformedReason, number>;
    for (const r of MALFORMED_REASONS) out[r] = this.get(r);
    return out;
  }
}
