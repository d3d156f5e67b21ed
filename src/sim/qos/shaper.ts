// A port-queue shaper: a FIFO in front of a token bucket of `rateBps` bits per
// second and `burstBytes` bytes. Each packet gets its departure time in virtual ns
// at enqueue, so the queueing delay is part of the packet's timing downstream.
//
// Tokens are whole bits plus the fraction of the next bit in units of 1e-9 bit, so
// the level is exact at any rate or horizon and the long-run output rate is exactly
// `rateBps` (doubles while exact, BigInt beyond: see tokens.ts). The usual packet
// allocates nothing when `departure()` is used.
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
import { GAIN, gain, waitFor } from './tokens.js';

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

interface Config {
  rate: number;
  burstBits: number;
  limit: number;
}

function toConfig(entry: ShaperEntry): Config {
  const get = (field: 'rateBps' | 'burstBytes' | 'queueLimitBytes'): number => {
    const v = entry[field] ?? 0;
    if (!Number.isSafeInteger(v) || v < 0) throw new ShaperConfigError(field, `${field} must be a non-negative integer`);
    return v;
  };
  const burst = get('burstBytes');
  if (burst * 8 > Number.MAX_SAFE_INTEGER) throw new ShaperConfigError('burstBytes', 'burstBytes must be below 2^50');
  return { rate: get('rateBps'), burstBits: burst * 8, limit: get('queueLimitBytes') };
}

const DROPPED: EnqueueResult = Object.freeze({ dropped: 'shaper-queue-full' });

export class Shaper {
  private cfg: Config;
  /** Bucket level in whole bits, valid at `levelNs`; negative after a packet larger than the burst. */
  private bits: number;
  /** Fraction of the next bit, in 1e-9 bit. */
  private rem = 0;
  private levelNs: number;
  private lastArrivalNs = -1;
  private lastDepartNs = -1;
  /** Accepted packets not yet departed as of the last arrival: departure times and sizes, FIFO. */
  private qDepart: number[] = [];
  private qBytes: number[] = [];
  private head = 0;
  private queuedBytes = 0;
  private readonly counts: ShaperCounters = {
    packets: 0, bytes: 0, droppedPackets: 0, droppedBytes: 0, maxBacklogBytes: 0, totalDelayNs: 0,
  };

  constructor(entry: ShaperEntry, nowNs = 0) {
    this.cfg = toConfig(entry);
    this.bits = this.cfg.burstBits;
    this.levelNs = nowNs;
  }

  /**
   * Offers a packet of `bytes` bytes arriving at `arrivalNs`. Arrivals must be in
   * non-decreasing time order (RangeError otherwise: a FIFO cannot be fed out of order).
   */
  enqueue(bytes: number, arrivalNs: number): EnqueueResult {
    const d = this.departure(bytes, arrivalNs);
    return d < 0 ? DROPPED : { departNs: d, delayNs: d - arrivalNs };
  }

  /** As enqueue(), without allocating: the departure time in ns, or −1 when tail-dropped. */
  departure(bytes: number, arrivalNs: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes * 8 > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`packet length must be a non-negative integer (got ${bytes})`);
    }
    if (!Number.isSafeInteger(arrivalNs) || arrivalNs < 0) throw new RangeError(`arrival time must be a non-negative integer ns (got ${arrivalNs})`);
    if (arrivalNs < this.lastArrivalNs) {
      throw new RangeError(`arrival ${arrivalNs} ns is before the previous arrival ${this.lastArrivalNs} ns`);
    }
    this.lastArrivalNs = arrivalNs;
    this.expire(arrivalNs);

    const { rate, burstBits: cap } = this.cfg;
    const start = Math.max(arrivalNs, this.lastDepartNs);
    // Level at `start` (locals: nothing is committed until the packet is accepted).
    let bits = this.bits;
    let rem = this.rem;
    if (start > this.levelNs) {
      gain(rate, start - this.levelNs, rem);
      if (bits + GAIN.add >= cap) {
        bits = cap;
        rem = 0;
      } else {
        bits += GAIN.add;
        rem = GAIN.rem;
      }
    }
    const cost = bytes * 8;
    const need = cost < cap ? cost : cap;
    let depart = start;
    if (bits < need) {
      if (rate === 0) return this.drop(bytes);
      const wait = waitFor(rate, need - bits, rem);
      depart = start + wait;
      gain(rate, wait, rem);
      if (bits + GAIN.add >= cap) {
        bits = cap;
        rem = 0;
      } else {
        bits += GAIN.add;
        rem = GAIN.rem;
      }
    }
    if (depart > arrivalNs && this.queuedBytes + bytes > this.cfg.limit) return this.drop(bytes);

    this.bits = bits - cost;
    this.rem = rem;
    if (depart > this.levelNs) this.levelNs = depart;
    this.lastDepartNs = depart;
    const c = this.counts;
    c.packets++;
    c.bytes += bytes;
    c.totalDelayNs += depart - arrivalNs;
    if (depart > arrivalNs) {
      this.qDepart.push(depart);
      this.qBytes.push(bytes);
      this.queuedBytes += bytes;
      if (this.queuedBytes > c.maxBacklogBytes) c.maxBacklogBytes = this.queuedBytes;
    }
    return depart;
  }

  private drop(bytes: number): -1 {
    this.counts.droppedPackets++;
    this.counts.droppedBytes += bytes;
    return -1;
  }

  /** Forgets packets that have left by `nowNs`. */
  private expire(nowNs: number): void {
    const d = this.qDepart;
    while (this.head < d.length && d[this.head] <= nowNs) {
      this.queuedBytes -= this.qBytes[this.head];
      this.head++;
    }
    if (this.head === d.length) {
      d.length = 0;
      this.qBytes.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > d.length) {
      this.qDepart = d.slice(this.head);
      this.qBytes = this.qBytes.slice(this.head);
      this.head = 0;
    }
  }

  /** Bytes accepted but not yet departed at `nowNs` (nowNs >= the last arrival). */
  backlogBytes(nowNs: number): number {
    return this.scan(nowNs, true);
  }

  /** Packets accepted but not yet departed at `nowNs` (nowNs >= the last arrival). */
  depthPackets(nowNs: number): number {
    return this.scan(nowNs, false);
  }

  private scan(nowNs: number, bytes: boolean): number {
    if (nowNs < this.lastArrivalNs) throw new RangeError(`backlog at ${nowNs} ns is before the last arrival ${this.lastArrivalNs} ns`);
    let b = this.queuedBytes;
    let i = this.head;
    while (i < this.qDepart.length && this.qDepart[i] <= nowNs) b -= this.qBytes[i++];
    return bytes ? b : this.qDepart.length - i;
  }

  /**
   * Applies a MODIFY. Packets already accepted keep their departure times (they were
   * promised); later packets see the new rate. The token level carries over
   * (its unit does not depend on the rate), clipped to the new burst. Counters stay.
   */
  reconfigure(entry: ShaperEntry): void {
    const next = toConfig(entry);
    if (this.bits >= next.burstBits) {
      this.bits = next.burstBits;
      this.rem = 0;
    }
    this.cfg = next;
  }

  counters(): ShaperCounters {
    return { ...this.counts };
  }
}
