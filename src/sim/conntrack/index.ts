// Connection tracking for the simulator (hal-spec §12). Used by the reference
// packet walk and by other simulated targets.
//
// API
//   const ct = new ConntrackTable({ clock, maxEntries, zone: (z) => ctZoneEntry | undefined,
//                                   onEnd: (entry, reason, nowNs) => ... });
//
//   ct.classify(zone, tuple, tcpFlags, nowNs, meta?) → CtVerdict { state, entry?, direction? }
//       No side effects. `state` is NEW | ESTABLISHED | REPLY | RELATED | INVALID.
//       `tuple` is the packet's own 5-tuple (Tuple: canonical text addresses; ICMP echo id in
//       srcPort, dstPort 0). `tcpFlags` is the raw TCP flag byte (TcpInfo.flagBits; 0 for other
//       protocols). `meta.seg` (TCP seq/ack/window/payload length) enables window checks in zones
//       with tcpWindowTracking; `meta.icmpType` makes a first ICMP echo reply (or an error whose quote
//       was unreadable) INVALID; `meta.quoted` (the tuple quoted by an ICMP error, see
//       src/sim/packet/icmp-errors.ts quotedTuple) asks for RELATED: the verdict is RELATED with
//       the connection and the error's direction, or INVALID when no connection matches.
//       ESTABLISHED = original direction of a committed connection (already admitted: skips
//       policy), REPLY = reply direction. NEW with an entry = a SYN reopening a TIME_WAIT/CLOSE
//       connection (commit replaces it). The verdict object is reused by the next classify call.
//
//   ct.commit(zone, original, { dnat?: {ip, port}, snat?: {ip, port} }, { policyRef }, tcpFlags,
//             bytes, nowNs, meta?) → CtEntry | 'full' | 'clash' | 'invalid'
//       `original` is the first packet's tuple as it arrived (before NAT); the reply tuple is
//       { src: dnat ?? original dst, dst: snat ?? original src } (ports likewise). 'full': zone
//       maxEntries (0 = device maximum) or the device maximum is reached → count drop `ct-full`.
//       'clash': the reply tuple belongs to another live connection (choose another SNAT port).
//       'invalid': TCP without a plain SYN (or a plain ACK picking up, outside window-tracking zones),
//       or an ICMP echo reply / error message.
//
//   ct.update(entry, direction, tcpFlags, bytes, nowNs, seg?) → boolean
//       Per-packet accounting for ESTABLISHED/REPLY packets (not RELATED): TCP state machine,
//       replied flag, per-direction counters, last-seen, expiry re-arm. false = ended or invalid.
//
//   ct.get(zone, tuple) → CtEntry | undefined    (either direction; HAL FiveTuple accepted)
//   ct.list(filter, limit) → CtEntry[]           (hal-spec §12 filter, oldest first, 0 = no limit)
//   ct.delete(filter) → number                   (ends each with FLUSHED at clock.now)
//   ct.toHal(entry) → ConntrackEntry             (times in ns, counters, tcpState enum name)
//   ct.size, ct.zoneSize(zone)                   (live connections, for the cost model)
//   ct.inUse(zone, tuple, nowNs)                 (either direction taken; for port allocation)
//
//   ctPacketOf(frame, parsedPacket) → { tuple, tcpFlags, meta } | null
//       (src/sim/conntrack/packet-tuple.ts) All classify/commit/update inputs of a parsed packet:
//       ports or echo id, flag byte, TCP seq/ack/window/payload length/window scale, ICMP type,
//       and for ICMP errors the quoted tuple. null for ARP and non-first fragments.
//
//   allocateSnatPort(ct, zone, original, { snatIp, dnat?, range?, nowNs }) → port | 'exhausted'
//       (src/sim/conntrack/port-allocator.ts) → count drop `nat-ports-exhausted`.
//
// Expiry runs on the VirtualClock passed in: one clock timer per table at the earliest due
// connection. onEnd(entry, reason, dueNs) fires once per connection: IDLE_TIMEOUT, TCP_FIN (expired
// after reaching TIME_WAIT/CLOSE without a reset), TCP_RST, or FLUSHED (Delete; hal-spec §12:
// flow records yes, CONNTRACK_AGING events no). An entry expires at lastSeen + timeout: one ns
// before it is alive, at that instant it has ended.
export { ConntrackTable } from './table.js';
export type { CommitInfo, CommitRefusal, CtFilter, ConntrackOptions, CtState, CtVerdict, PacketMeta } from './table.js';
export { CtEntry, type CtDirection, type CtEndReason } from './entry.js';
export { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, fromHal, keyOf, replyTuple } from './tuple.js';
export type { NatBindings, NatTarget, Tuple } from './tuple.js';
export { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TcpSt, tcpNext } from './tcp-state.js';
export { DEFAULT_TIMEOUTS_S, resolveTimeouts } from './timeouts.js';
export type { TcpSegment } from './window.js';
export { DEFAULT_ICMP_ID_RANGE, DEFAULT_PORT_RANGE, allocateSnatPort, portRange } from './port-allocator.js';
export type { PortRefusal, SnatRequest } from './port-allocator.js';
export { ctPacketOf, tcpWindowScale, type CtPacket } from './packet-tuple.js';
