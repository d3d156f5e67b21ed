// Shared fixtures for conntrack tests: tuples, flags, a table on a virtual clock
// that records every end.
import { VirtualClock } from '../../../src/sim/clock.js';
import {
  ConntrackTable, type CtEndReason, type CtEntry, type Tuple,
} from '../../../src/sim/conntrack/index.js';
import type { CtZoneEntry } from '../../../src/hal/index.js';

export const S = 1e9;
export const F = { SYN: 0x02, SYNACK: 0x12, ACK: 0x10, FINACK: 0x11, RST: 0x04, RSTACK: 0x14, PSHACK: 0x18, FIN: 0x01, SYNFIN: 0x03, NONE: 0 };

export function tcp(srcIp: string, srcPort: number, dstIp: string, dstPort: number): Tuple {
  return { srcIp, dstIp, protocol: 6, srcPort, dstPort };
}
export function udp(srcIp: string, srcPort: number, dstIp: string, dstPort: number): Tuple {
  return { srcIp, dstIp, protocol: 17, srcPort, dstPort };
}
export function icmp(srcIp: string, dstIp: string, id: number, protocol = 1): Tuple {
  return { srcIp, dstIp, protocol, srcPort: id, dstPort: 0 };
}
export function rev(t: Tuple): Tuple {
  return { srcIp: t.dstIp, dstIp: t.srcIp, protocol: t.protocol, srcPort: t.dstPort, dstPort: t.srcPort };
}

export interface Ended { id: number; reason: CtEndReason; at: number; entry: CtEntry }

export function makeTable(opts: { maxEntries?: number; zones?: Map<number, CtZoneEntry> } = {}) {
  const clock = new VirtualClock();
  const ended: Ended[] = [];
  const zones = opts.zones ?? new Map<number, CtZoneEntry>();
  const ct = new ConntrackTable({
    clock,
    maxEntries: opts.maxEntries ?? 1000,
    zone: (z) => zones.get(z),
    onEnd: (entry, reason, at) => ended.push({ id: entry.id, reason, at, entry }),
  });
  return { clock, ct, ended, zones };
}
