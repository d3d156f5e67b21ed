// A port-queue shaper: a FIFO in front of a token bucket of `rateBps` bits per
// second and `burstBytes` bytes. Each packet gets its departure time in virtual ns
// at enqueue, so the queueing delay is part of the packet's timing downstream.
//
// Tokens are kept in units of 1e-9 bit (bit·ns per second): `rateBps` such units
// accrue per ns, a byte costs 8e9 of them. Levels are exact BigInts, so no rate or
// horizon loses precision and the long-run output rate is exactly `rateBps`.
//
// The model (documented in docs/qos-and-crypto.md):
// - The bucket starts full. Packets leave in arrival order; a packet leaves at the
//   first integer ns, not before its arrival nor before its predecessor left, at
//   which the bucket holds min(its size, burst) bytes of tokens, and pays its full
//   size. A packet larger than the burst therefore leaves when the bucket is full
//   and drives it negative; the debt is repaid before the next one goes.
// - Departure is instantaneous (no serialization delay of the link itself).
// - A packet that can leave at its arrival time never enters the queue. Any other
//   packet is tail-dropped when the bytes still queued at its arrival plus its own
//   size exceed `queueLimitBytes`.
// - rateBps 0 never refills: a packet the burst cannot cover would wait forever,
//   so it is dropped as queue-full.

import type { ShaperEntry } from '../../hal/generated/types.js';

export type ShaperDropReason = 'shaper-queue-full';

export type EnqueueResult = { departNs: number; delayNs: number } | { dropped: ShaperDropReason };

export interface ShaperCounters {
  /** Packets/bytes accepted (given a departure time). */
  packets: number;
  bytes: number;
  /** Packets/bytes tail-dropped. */
  droppedPackets: number;
  droppedBytes: number;
  /** Largest backlog (bytes queued, including the packet just accepted) ever seen. */
  maxBacklogBytes: number;
  /** Sum of (departNs − arrivalNs) over accepted packets. */
  totalDelayNs: number;
}

export class ShaperConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShaperConfigError';
  }
}

const UNITS_PER_BYTE = 8_000_000_000n;

interface Config {
  rate: bigint;
  burst: bigint;
  limit: number;
}

function toConfig(entry: ShaperEntry): Config {
  const get = (field: 'rateBps' | 'burstBytes' | 'queueLimitBytes'): number => {
    const v = entry[field] ?? 0;
    if (!Number.isSafeInteger(v) || v < 0) throw new ShaperConfigError(field, `${field} must be a non-negative integer`);
    return v;
  };
  return { rate: BigInt(get('rateBps')), burst: BigInt(get('burstBytes')), limit: get('queueLimitBytes') };
}

/** Smallest integer >= a/b for a >= 0, b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

export class Shaper {
  private cfg: Config;
  /** Bucket level (1e-9 bit units) valid at time `levelNs`; may be negative after an oversized packet. */
  private level: bigint;
  private levelNs: bigint;
  private lastArrivalNs = -1;
  private lastDepartNs = -1;
  /** Accepted packets not yet departed as of the last arrival: [departNs, bytes], FIFO. */
  private queue: Array<[number, number]> = [];
  private head = 0;
  private queuedBytes = 0;
  private readonly counts: ShaperCounters = {
    packets: 0, bytes: 0, droppedPackets: 0, droppedBytes: 0, maxBacklogBytes: 0, totalDelayNs: 0,
  };

  constructor(entry: ShaperEntry, nowNs = 0) {
    this.cfg = toConfig(entry);
    this.level = this.cfg.burst * UNITS_PER_BYTE;
    this.levelNs = BigInt(nowNs);
  }

  /**
   * Offers a packet of `bytes` bytes arriving at `arrivalNs`. Arrivals must be in
   * non-decreasing time order (RangeError otherwise: a FIFO cannot be fed out of order).
   */
  enqueue(bytes: number, arrivalNs: number): EnqueueResult {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`packet length must be a non-negative integer (got ${bytes})`);
    if (!Number.isSafeInteger(arrivalNs) || arrivalNs < 0) throw new RangeError(`arrival time must be a non-negative integer ns (got ${arrivalNs})`);
    if (arrivalNs < this.lastArrivalNs) {
      throw new RangeError(`arrival ${arrivalNs} ns is before the previous arrival ${this.lastArrivalNs} ns`);
    }
    this.lastArrivalNs = arrivalNs;
    this.expire(arrivalNs);

    const { rate, burst } = this.cfg;
    const start = BigInt(Math.max(arrivalNs, this.lastDepartNs));
    const cap = burst * UNITS_PER_BYTE;
    const cost = BigInt(bytes) * UNITS_PER_BYTE;
    let lvl = start > this.levelNs ? this.level + rate * (start - this.levelNs) : this.level;
    if (lvl > cap) lvl = cap;
    const need = cost < cap ? cost : cap;
    let depart = start;
    if (lvl < need) {
      if (rate === 0n) return this.drop(bytes);
      const wait = ceilDiv(need - lvl, rate);
      depart = start + wait;
      lvl += rate * wait;
      if (lvl > cap) lvl = cap;
    }
    const departNs = Number(depart);
    if (departNs > arrivalNs && this.queuedBytes + bytes > this.cfg.limit) return this.drop(bytes);

    this.level = lvl - cost;
    if (depart > this.levelNs) this.levelNs = depart;
    this.lastDepartNs = departNs;
    const c = this.counts;
    c.packets++;
    c.bytes += bytes;
    c.totalDelayNs += departNs - arrivalNs;
    if (departNs > arrivalNs) {
      this.queue.push([departNs, bytes]);
      this.queuedBytes += bytes;
      if (this.queuedBytes > c.maxBacklogBytes) c.maxBacklogBytes = this.queuedBytes;
    }
    return { departNs, delayNs: departNs - arrivalNs };
  }

  private drop(bytes: number): EnqueueResult {
    this.counts.droppedPackets++;
    this.counts.droppedBytes += bytes;
    return { dropped: 'shaper-queue-full' };
  }

  /** Forgets packets that have left by `nowNs`. */
  private expire(nowNs: number): void {
    const q = this.queue;
    while (this.head < q.length && q[this.head][0] <= nowNs) {
      this.queuedBytes -= q[this.head][1];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }

  /** Bytes accepted but not yet departed at `nowNs` (nowNs >= the last arrival). */
  backlogBytes(nowNs: number): number {
    return this.scan(nowNs).bytes;
  }

  /** Packets accepted but not yet departed at `nowNs` (nowNs >= the last arrival). */
  depthPackets(nowNs: number): number {
    return this.scan(nowNs).packets;
  }

  private scan(nowNs: number): { bytes: number; packets: number } {
    if (nowNs < this.lastArrivalNs) throw new RangeError(`backlog at ${nowNs} ns is before the last arrival ${this.lastArrivalNs} ns`);
    let bytes = this.queuedBytes;
    let i = this.head;
    while (i < this.queue.length && this.queue[i][0] <= nowNs) bytes -= this.queue[i++][1];
    return { bytes, packets: this.queue.length - i };
  }

  /**
   * Applies a MODIFY. Packets already accepted keep their departure times (they were
   * promised); later packets see the new rate. The token level carries over
   * (its unit does not depend on the rate), clipped to the new burst. Counters stay.
   */
  reconfigure(entry: ShaperEntry): void {
    const next = toConfig(entry);
    const cap = next.burst * UNITS_PER_BYTE;
    if (this.level > cap) this.level = cap;
    this.cfg = next;
  }

  counters(): ShaperCounters {
    return { ...this.counts };
  }
}
