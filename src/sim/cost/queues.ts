// The discrete-event queue model: FIFO servers (cores, pipeline inputs, slow-path
// cores) on the packets' virtual arrival times. Each server holds at most
// `depth` packets (in service or waiting); one more is dropped at arrival, as a
// NIC drops when a receive ring is full. A server's departures never go
// backwards (FIFO), so the last `depth` departure times in a ring tell whether a
// packet arriving at t finds room: the oldest of them must be ≤ t.
export class FifoServers {
  private readonly freeAt: Float64Array;
  private readonly ring: Float64Array;
  private readonly head: Int32Array;
  private readonly count: Int32Array;

  constructor(
    readonly servers: number,
    readonly depth: number,
  ) {
    this.freeAt = new Float64Array(servers);
    this.ring = new Float64Array(servers * depth);
    this.head = new Int32Array(servers);
    this.count = new Int32Array(servers);
  }

  /** True when server `s` has room for a packet arriving at `t`. */
  admits(s: number, t: number): boolean {
    if (this.count[s] < this.depth) return true;
    return this.ring[s * this.depth + this.head[s]] <= t;
  }

  /** Queues a packet (after `admits`); returns its departure time. */
  serve(s: number, t: number, serviceNs: number): number {
    const start = t > this.freeAt[s] ? t : this.freeAt[s];
    const done = start + serviceNs;
    this.freeAt[s] = done;
    const d = this.depth;
    this.ring[s * d + this.head[s]] = done;
    this.head[s] = (this.head[s] + 1) % d;
    if (this.count[s] < d) this.count[s]++;
    return done;
  }
}

/** A growable list of samples (no per-sample allocation). */
export class Samples {
  private a = new Float64Array(1024);
  n = 0;

  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }

  /** Nearest-rank percentiles (the smallest sample with at least p of the samples ≤ it); max is p = 1. */
  percentiles(ps: readonly number[]): number[] {
    if (this.n === 0) return ps.map(() => 0);
    const sorted = this.a.slice(0, this.n).sort();
    return ps.map((p) => sorted[Math.min(this.n - 1, Math.max(0, Math.ceil(p * this.n) - 1))]);
  }
}

/** A 32-bit hash of a frame's flow fields for spreading packets over queues (RSS-like). */
export function flowSpread(frame: Uint8Array): number {
  // IPv4: addresses and the first 4 bytes after a 20-byte header (ports);
  // IPv6: addresses and the 4 bytes after the fixed header; otherwise the MACs.
  const et = frame.length >= 14 ? (frame[12] << 8) | frame[13] : 0;
  let from = 0;
  let to = Math.min(frame.length, 12);
  if (et === 0x0800) {
    from = 26;
    to = Math.min(frame.length, 38);
  } else if (et === 0x86dd) {
    from = 22;
    to = Math.min(frame.length, 58);
  }
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ frame[i], 0x01000193);
  h ^= h >>> 16;
  return h >>> 0;
}
