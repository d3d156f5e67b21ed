// The cost meter: a CostSink that records the operations of one packet (no
// allocation per charge: positional typed arrays) and prices them at the end of
// the packet with a device profile. It keeps per-stage totals for the report.
//
// Run-to-completion profiles price every operation in core cycles. Pipelined
// profiles price an operation in pipeline clocks of latency and in match-action
// stages (one per table lookup, conntrack operation, NAT, encap, decap, QoS and
// crypto; the parser and deparser do parse, rewrite and emit); a packet needing
// more stages than one pass offers recirculates. Operations listed in the
// profile's `puntOn` (and an explicit `punt`) send the packet to the slow path,
// whose software engine prices the same operation list in its own cycles.
import { accessPenalty, spillFraction } from './cache.js';
import type { CostOp, CostSink, MatchKind } from './ops.js';
import type { PipelineSpec, Profile, SlowPathSpec, SoftwareEngineSpec } from './profile.js';

const OPS: readonly CostOp[] = ['parse', 'lookup', 'ct-lookup', 'ct-insert', 'ct-update', 'nat', 'encap', 'decap', 'crypto', 'qos', 'rewrite', 'punt', 'recirculate', 'emit'];
const OP = Object.fromEntries(OPS.map((o, i) => [o, i])) as Record<CostOp, number>;
const KINDS: readonly MatchKind[] = ['exact', 'lpm', 'ternary', 'range'];
const KIND = { exact: 0, lpm: 1, ternary: 2, range: 3 } as const;
/** Operations that take a match-action stage in a pipeline. */
const STAGE_OPS = new Set<number>([OP.lookup, OP['ct-lookup'], OP['ct-insert'], OP['ct-update'], OP.nat, OP.encap, OP.decap, OP.crypto, OP.qos]);
const MAX_OPS = 256;

/** What one packet cost. One instance is reused: copy what you keep. */
export interface PacketCost {
  /** Run-to-completion: core cycles. Pipelined: pipeline clocks of latency. */
  fastCycles: number;
  /** Pipelined: passes through the pipeline (1 + recirculations + reinjection). 0 for run-to-completion. */
  passes: number;
  /** Time the packet occupies its fast-path server (a core, or a pipeline's input). */
  serviceNs: number;
  /** Latency beyond service and queueing: fixed NIC/DMA latency, pipeline traversal, DRAM. */
  extraLatencyNs: number;
  punted: boolean;
  /** Slow-path cycles (pipelined profiles, punted packets). */
  slowCycles: number;
  slowServiceNs: number;
  /** Expected DRAM accesses (pipelined profiles whose state spills off chip). */
  dramAccesses: number;
  /** Host CPU cycles this packet consumed. */
  hostCycles: number;
}

export interface MeterTotals {
  packets: number;
  fastCycles: number;
  passes: number;
  punted: number;
  slowCycles: number;
  dramAccesses: number;
  hostCycles: number;
  /** Operations dropped from a packet's record because it exceeded the per-packet limit. */
  overflowOps: number;
  /** Per stage: fast-path cycles (or pipeline clocks), and slow-path cycles. */
  byStage: Map<string, { fast: number; slow: number }>;
}

export class CostMeter implements CostSink {
  // The current packet's operations.
  private n = 0;
  private readonly opStage = new Int32Array(MAX_OPS);
  private readonly opCode = new Uint8Array(MAX_OPS);
  private readonly opSize = new Float64Array(MAX_OPS);
  private readonly opKind = new Int8Array(MAX_OPS);
  // Stages and tables seen so far, by index.
  private readonly stageIndex = new Map<string, number>();
  private readonly stageNames: string[] = [];
  private stageFast = new Float64Array(16);
  private stageSlow = new Float64Array(16);
  private readonly tableIndex = new Map<string, number>();
  private tableSize = new Float64Array(16);
  private tableKind = new Int8Array(16);
  private tables = 0;
  private ctSize = 0;
  private readonly punts: Set<number>;
  private readonly cost: PacketCost = { fastCycles: 0, passes: 0, serviceNs: 0, extraLatencyNs: 0, punted: false, slowCycles: 0, slowServiceNs: 0, dramAccesses: 0, hostCycles: 0 };
  private t = { packets: 0, fastCycles: 0, passes: 0, punted: 0, slowCycles: 0, dramAccesses: 0, hostCycles: 0, overflowOps: 0 };

  constructor(readonly profile: Profile) {
    this.punts = new Set(profile.style === 'pipelined' ? profile.pipeline.puntOn.map((o) => OP[o]) : []);
  }

  charge(stage: string, op: CostOp, size = 0, table?: string, kind?: MatchKind): void {
    if (this.n === MAX_OPS) {
      this.t.overflowOps++;
      return;
    }
    let s = this.stageIndex.get(stage);
    if (s === undefined) s = this.addStage(stage);
    const i = this.n++;
    this.opStage[i] = s;
    this.opCode[i] = OP[op];
    this.opSize[i] = size;
    this.opKind[i] = kind === undefined ? -1 : KIND[kind];
    // The working set follows the largest size each table has been seen at.
    if (op === 'lookup' && table !== undefined) {
      let ti = this.tableIndex.get(table);
      if (ti === undefined) ti = this.addTable(table);
      if (size > this.tableSize[ti]) this.tableSize[ti] = size;
      this.tableKind[ti] = kind === undefined ? KIND.exact : KIND[kind];
    } else if (op === 'ct-lookup' && size > this.ctSize) this.ctSize = size;
  }

  /** Starts a packet. */
  begin(): void {
    this.n = 0;
  }

  /** Prices the packet's operations and adds them to the totals. */
  end(): PacketCost {
    const c = this.cost;
    const p = this.profile;
    c.fastCycles = c.passes = c.serviceNs = c.extraLatencyNs = c.slowCycles = c.slowServiceNs = c.dramAccesses = c.hostCycles = 0;
    c.punted = false;
    if (p.style === 'run-to-completion') {
      c.fastCycles = this.priceSoftware(p.engine, this.stageFast);
      c.serviceNs = (c.fastCycles / p.engine.clockHz) * 1e9;
      c.extraLatencyNs = p.engine.fixedLatencyNs;
      c.hostCycles = c.fastCycles;
    } else {
      this.pricePipeline(p.pipeline, p.slowPath, c);
    }
    const t = this.t;
    t.packets++;
    t.fastCycles += c.fastCycles;
    t.passes += c.passes;
    t.slowCycles += c.slowCycles;
    t.dramAccesses += c.dramAccesses;
    t.hostCycles += c.hostCycles;
    if (c.punted) t.punted++;
    return c;
  }

  totals(): MeterTotals {
    const byStage = new Map<string, { fast: number; slow: number }>();
    this.stageNames.forEach((name, i) => byStage.set(name, { fast: this.stageFast[i], slow: this.stageSlow[i] }));
    return { ...this.t, byStage };
  }

  /** Zeroes the totals (a new measurement phase); the working set is kept. */
  resetTotals(): void {
    this.t = { packets: 0, fastCycles: 0, passes: 0, punted: 0, slowCycles: 0, dramAccesses: 0, hostCycles: 0, overflowOps: 0 };
    this.stageFast.fill(0);
    this.stageSlow.fill(0);
  }

  /** Bytes of state the lookups touch, with the given entry sizes. */
  workingSetBytes(entryBytes: { exact: number; lpm: number; ternary: number; range: number; connection: number }): number {
    const per = [entryBytes.exact, entryBytes.lpm, entryBytes.ternary, entryBytes.range];
    let w = this.ctSize * entryBytes.connection;
    for (let i = 0; i < this.tables; i++) w += this.tableSize[i] * per[this.tableKind[i]];
    return w;
  }

  /** Cycles of the recorded operations on a software engine; adds them per stage into `into`. */
  private priceSoftware(e: SoftwareEngineSpec, into: Float64Array, extra = 0): number {
    const k = e.costs;
    const penalty = accessPenalty(e.cache, this.workingSetBytes(e.entryBytes));
    let total = extra;
    for (let i = 0; i < this.n; i++) {
      const size = this.opSize[i];
      let cy: number;
      switch (this.opCode[i]) {
        case OP.parse: cy = k.parse.cycles + k.parse.perByte * size; break;
        case OP.lookup:
          switch (this.opKind[i]) {
            case KIND.lpm: {
              const levels = Math.max(1, Math.ceil(Math.log2(size + 1) / k.lpm.strideBits));
              cy = k.lpm.cycles + levels * (k.lpm.perLevel + penalty);
              break;
            }
            case KIND.ternary: cy = k.ternary.cycles + k.ternary.perEntry * size; break;
            case KIND.range: cy = k.range.cycles + k.range.perEntry * size; break;
            default: cy = k.exact.cycles + k.exact.memAccesses * penalty;
          }
          break;
        case OP['ct-lookup']: cy = k.ctLookup.cycles + k.ctLookup.memAccesses * penalty; break;
        case OP['ct-insert']: cy = k.ctInsert.cycles; break;
        case OP['ct-update']: cy = k.ctUpdate.cycles; break;
        case OP.nat: cy = k.nat.cycles; break;
        case OP.encap: cy = k.encap.cycles + k.encap.perByte * size; break;
        case OP.decap: cy = k.decap.cycles; break;
        case OP.crypto: cy = k.crypto.cycles + k.crypto.perByte * size; break;
        case OP.qos: cy = k.qos.cycles; break;
        case OP.rewrite: cy = k.rewrite.cycles; break;
        case OP.punt: cy = k.punt.cycles; break;
        case OP.recirculate: cy = k.recirculate.cycles; break;
        default: cy = k.emit.cycles + k.emit.perByte * size;
      }
      into[this.opStage[i]] += cy;
      total += cy;
    }
    return total;
  }

  private pricePipeline(pl: PipelineSpec, slow: SlowPathSpec, c: PacketCost): void {
    const lat = pl.latencyCycles;
    const spill = spillFraction(pl.onChipStateBytes, this.workingSetBytes(pl.entryBytes));
    let stages = 0;
    let recirculations = 0;
    let clocks = 0;
    let dram = 0;
    let punted = false;
    let explicitPunt = false;
    for (let i = 0; i < this.n; i++) {
      const op = this.opCode[i];
      if (STAGE_OPS.has(op)) stages++;
      if (this.punts.has(op)) punted = true;
      let cy = 0;
      switch (op) {
        case OP.parse: cy = lat.parse; break;
        case OP.lookup:
          cy = this.opKind[i] === KIND.lpm ? lat.lpm : this.opKind[i] === KIND.ternary ? lat.ternary : this.opKind[i] === KIND.range ? lat.range : lat.exact;
          dram += spill;
          break;
        case OP['ct-lookup']: cy = lat.ctLookup; dram += spill; break;
        case OP['ct-insert']: cy = lat.ctInsert; dram += spill; break;
        case OP['ct-update']: cy = lat.ctUpdate; break;
        case OP.nat: cy = lat.nat; break;
        case OP.encap: cy = lat.encap; break;
        case OP.decap: cy = lat.decap; break;
        case OP.crypto: cy = lat.crypto; break;
        case OP.qos: cy = lat.qos; break;
        case OP.rewrite: cy = lat.rewrite; break;
        case OP.punt: punted = explicitPunt = true; break;
        case OP.recirculate: recirculations++; break;
        default: cy = lat.emit;
      }
      this.stageFast[this.opStage[i]] += cy;
      clocks += cy;
    }
    const passes = Math.max(1, Math.ceil(stages / pl.stagesPerPass)) + recirculations + (punted ? 1 : 0);
    clocks += (passes - 1) * pl.recirculateCycles;
    c.fastCycles = clocks;
    c.passes = passes;
    c.dramAccesses = dram;
    c.serviceNs = (passes / (pl.packetsPerClock * pl.clockHz)) * 1e9;
    c.extraLatencyNs = pl.fixedLatencyNs + (clocks / pl.clockHz) * 1e9 + dram * pl.dramLatencyNs;
    if (punted) {
      c.punted = true;
      // The slow path decides the packet in software: every operation at its
      // software price, plus the hand-off unless the walk charged `punt` itself.
      c.slowCycles = this.priceSoftware(slow, this.stageSlow, explicitPunt ? 0 : slow.costs.punt.cycles);
      if (!explicitPunt) this.stageSlow[this.stageIndex.get('slow-path') ?? this.addStage('slow-path')] += slow.costs.punt.cycles;
      c.slowServiceNs = (c.slowCycles / slow.clockHz) * 1e9;
      c.extraLatencyNs += slow.puntLatencyNs;
      if (slow.onHost) c.hostCycles = c.slowCycles;
    }
  }

  private addStage(name: string): number {
    const i = this.stageNames.length;
    this.stageNames.push(name);
    this.stageIndex.set(name, i);
    if (i >= this.stageFast.length) {
      this.stageFast = grow(this.stageFast);
      this.stageSlow = grow(this.stageSlow);
    }
    return i;
  }

  private addTable(name: string): number {
    const i = this.tables++;
    this.tableIndex.set(name, i);
    if (i >= this.tableSize.length) {
      this.tableSize = grow(this.tableSize);
      const k = new Int8Array(this.tableKind.length * 2);
      k.set(this.tableKind);
      this.tableKind = k;
    }
    return i;
  }
}

function grow(a: Float64Array): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

export { KINDS as MATCH_KINDS, OPS as COST_OPS };
