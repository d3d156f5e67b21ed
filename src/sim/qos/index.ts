// QoS engines of the simulator's `qos` stage (hal-spec §2, stage 10). Pure: no
// clock, no I/O; the caller passes virtual time (ns) with every packet.
//
// Policer (one per `policer` row; RFC 2697 srTCM / RFC 2698 trTCM):
//   const p = new Policer(entry: PolicerEntry, nowNs);        // buckets start full
//   p.mark(bytes, nowNs, preColor?) → { color: 'green'|'yellow'|'red', action: 'forward'|'drop' } (shared, frozen)
//       preColor matters only when entry.colorAware; action comes from entry.green/yellow/red.
//       The caller drops on action 'drop' (suggested drop reason: POLICER_DROP_REASON).
//   p.reconfigure(entry, nowNs)   on MODIFY: counters kept, buckets clipped to the new sizes.
//   p.counters() → { green, yellow, red, dropped: { packets, bytes } }
//   p.buckets()  → bucket levels in whole bytes
//   Rates are bytes/second, bucket sizes bytes. Bad entries throw PolicerConfigError(field).
//
// Shaper (one per `shaper` row = port queue; token bucket + tail-drop FIFO):
//   const s = new Shaper(entry: ShaperEntry, nowNs);
//   s.enqueue(bytes, arrivalNs) → { departNs, delayNs } | { dropped: 'shaper-queue-full' }
//       arrivals in non-decreasing time; departNs is when the packet leaves the port.
//   s.departure(bytes, arrivalNs) → departNs, or −1 when dropped (same, allocation-free)
//   s.backlogBytes(nowNs), s.depthPackets(nowNs)   queue state (nowNs >= last arrival)
//   s.reconfigure(entry)   on MODIFY: queued packets keep their times; counters kept.
//   s.counters() → { packets, bytes, droppedPackets, droppedBytes, maxBacklogBytes, totalDelayNs }
//   rateBps is bits/second, burstBytes and queueLimitBytes bytes.
//
// Banks (all policers/shapers of a device, keyed like their tables):
//   PolicerBank: upsert(entry, nowNs) (INSERT, or MODIFY = reconfigure), get(id), delete(id)
//   ShaperBank:  upsert(entry, nowNs), get(portId, queue = 0), delete(portId, queue = 0)
//   Bindings (policer_binding) stay with the walk: it resolves port/endpoint × direction → policerId.
//
// Details and the exact model: docs/qos-and-crypto.md.

export {
  COLORS, Policer, PolicerConfigError,
  type Color, type ColorCounter, type PolicerBuckets, type PolicerCounters, type PolicerVerdict,
} from './policer.js';
export { PolicerBank, ShaperBank } from './bank.js';
export { Shaper, ShaperConfigError, type EnqueueResult, type ShaperCounters, type ShaperDropReason } from './shaper.js';

/** Drop reason for a packet whose color's action is COLOR_DROP. */
export const POLICER_DROP_REASON = 'policer-drop';
