// Modelled throughput from a phase's metered totals.
//   run-to-completion: pps = cores × Hz / cycles per packet;
//   pipelined: the pipelines take packetsPerClock × Hz passes per second each,
//   so pps = pipelines × packetsPerClock × Hz / passes per packet; the slow path
//   (punted packets on its cores) and DRAM (state beyond on-chip memory) are
//   further limits; the smallest wins and is named as the bottleneck.
import type { MeterTotals } from './meter.js';
import type { Profile } from './profile.js';

export interface Limit {
  readonly name: string;
  readonly pps: number;
}

export interface Capacity {
  readonly pps: number;
  readonly bottleneck: string;
  readonly limits: readonly Limit[];
}

export function capacityOf(p: Profile, t: MeterTotals): Capacity {
  const n = Math.max(1, t.packets);
  const limits: Limit[] = [];
  if (p.style === 'run-to-completion') {
    const perPacket = t.fastCycles / n;
    limits.push({ name: `${p.engine.cores} cores`, pps: perPacket > 0 ? (p.engine.cores * p.engine.clockHz) / perPacket : Infinity });
  } else {
    const pl = p.pipeline;
    const passes = t.passes / n || 1;
    limits.push({ name: `${pl.pipelines} pipeline(s)`, pps: (pl.pipelines * pl.packetsPerClock * pl.clockHz) / passes });
    if (t.slowCycles > 0) limits.push({ name: `slow path (${p.slowPath.cores} cores)`, pps: (p.slowPath.cores * p.slowPath.clockHz) / (t.slowCycles / n) });
    if (t.dramAccesses > 0) limits.push({ name: 'state DRAM', pps: pl.dramAccessesPerSecond / (t.dramAccesses / n) });
  }
  const best = limits.reduce((a, b) => (b.pps < a.pps ? b : a));
  return { pps: best.pps, bottleneck: best.name, limits };
}
