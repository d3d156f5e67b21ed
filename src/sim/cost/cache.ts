// The cache model. Lookups touch a working set W (table entries × entry bytes,
// plus connection state). Accesses are taken as uniformly spread over W, so a
// cache of C bytes holds a given line with probability min(1, C / W). The
// expected extra latency of one dependent memory access beyond the core's own
// L2 is
//
//   h2 = min(1, L2 / W),  h3 = max(h2, min(1, LLC / W))
//   penalty(W) = [(h3 − h2)·llcLatency + (1 − h3)·dramLatency] / memoryParallelism
//
// where memoryParallelism is how many misses a core overlaps (prefetching,
// batching). L1/L2 hits are part of each operation's base cycles (the published
// per-operation figures are for hot tables), so W ≤ L2 costs nothing extra; as W
// outgrows the LLC the cost tends to dramLatency.
export interface CacheSpec {
  readonly l2Bytes: number;
  readonly llcBytes: number;
  readonly llcLatencyCycles: number;
  readonly dramLatencyCycles: number;
  readonly memoryParallelism: number;
}

/** Expected cycles per dependent memory access for a working set of `bytes`. */
export function accessPenalty(c: CacheSpec, bytes: number): number {
  if (bytes <= 0) return 0;
  const h2 = Math.min(1, c.l2Bytes / bytes);
  const h3 = Math.max(h2, Math.min(1, c.llcBytes / bytes));
  const cycles = (h3 - h2) * c.llcLatencyCycles + (1 - h3) * c.dramLatencyCycles;
  return cycles / c.memoryParallelism;
}

/** Fraction of accesses that miss an on-chip store of `capacity` bytes (uniform access). */
export function spillFraction(capacity: number, bytes: number): number {
  return bytes <= capacity ? 0 : 1 - capacity / bytes;
}
