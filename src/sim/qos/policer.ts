// Three-color markers: RFC 2697 (srTCM) and RFC 2698 (trTCM).
//
// The RFCs describe buckets of whole bytes that a timer increments "CIR times per
// second". We model exactly that: bucket levels are integers (bytes) and the number
// of increments between two packets is floor(rate·t/1e9) evaluated at both ends
// against a fixed epoch, so the fractional part of a token is carried by the epoch,
// never rounded away, and nothing drifts however many packets pass. All arithmetic
// is BigInt: rate·t overflows 2^53 after a few seconds at 10 Gb/s.
//
// Refill is lazy (computed when a packet arrives at `nowNs`), which is
// indistinguishable from a timer firing every 1/rate seconds.

import type { ColorAction, PolicerEntry, PolicerMode } from '../../hal/generated/types.js';

export type Color = 'green' | 'yellow' | 'red';
export const COLORS: readonly Color[] = ['green', 'yellow', 'red'];

export interface ColorCounter {
  packets: number;
  bytes: number;
}

export interface PolicerCounters {
  green: ColorCounter;
  yellow: ColorCounter;
  red: ColorCounter;
  /** Packets (and bytes) whose color's action was COLOR_DROP. */
  dropped: ColorCounter;
}

export interface PolicerVerdict {
  color: Color;
  action: 'forward' | 'drop';
}

/** Bucket levels in bytes, as of the last packet (or reconfigure). */
export interface PolicerBuckets {
  /** srTCM: Tc and Te. trTCM: Tc and Tp. */
  c: bigint;
  e?: bigint;
  p?: bigint;
}

const NS_PER_S = 1_000_000_000n;

export class PolicerConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PolicerConfigError';
  }
}

interface Config {
  mode: 'SRTCM' | 'TRTCM';
  cir: bigint;
  cbs: bigint;
  ebs: bigint;
  pir: bigint;
  pbs: bigint;
  colorAware: boolean;
  actions: Record<Color, 'forward' | 'drop'>;
}

function u64(entry: PolicerEntry, field: 'cir' | 'cbs' | 'ebs' | 'pir' | 'pbs'): bigint {
  const v = entry[field] ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new PolicerConfigError(field, `${field} must be a non-negative integer`);
  return BigInt(v);
}

function action(a: ColorAction | undefined): 'forward' | 'drop' {
  return a === 'COLOR_DROP' ? 'drop' : 'forward';
}

/**
 * Checks the entry the way the HAL's table rules do (hal-spec §5.5) and converts it.
 * The HAL validates before the walk sees an entry; this is a second line so a
 * Policer can never run on a configuration the RFCs do not define.
 */
function toConfig(entry: PolicerEntry): Config {
  const mode: PolicerMode | undefined = entry.mode;
  if (mode !== 'SRTCM' && mode !== 'TRTCM') throw new PolicerConfigError('mode', 'mode must be SRTCM or TRTCM');
  const cfg: Config = {
    mode,
    cir: u64(entry, 'cir'),
    cbs: u64(entry, 'cbs'),
    ebs: u64(entry, 'ebs'),
    pir: u64(entry, 'pir'),
    pbs: u64(entry, 'pbs'),
    colorAware: entry.colorAware === true,
    actions: { green: action(entry.green), yellow: action(entry.yellow), red: action(entry.red) },
  };
  if (mode === 'SRTCM') {
    if (cfg.pir !== 0n) throw new PolicerConfigError('pir', 'SRTCM takes no pir');
    if (cfg.pbs !== 0n) throw new PolicerConfigError('pbs', 'SRTCM takes no pbs');
  } else {
    if (cfg.pir < cfg.cir) throw new PolicerConfigError('pir', 'TRTCM needs pir >= cir');
    if (cfg.ebs !== 0n) throw new PolicerConfigError('ebs', 'TRTCM takes no ebs');
  }
  return cfg;
}

function toBig(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`${what} must be an integer (got ${v})`);
  return BigInt(v);
}

/** Tokens a bucket of `rate` bytes/s gains between `from` and `to` ns after the epoch. */
function ticks(rate: bigint, from: bigint, to: bigint): bigint {
  return (rate * to) / NS_PER_S - (rate * from) / NS_PER_S;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function zeroCounters(): PolicerCounters {
  return {
    green: { packets: 0, bytes: 0 },
    yellow: { packets: 0, bytes: 0 },
    red: { packets: 0, bytes: 0 },
    dropped: { packets: 0, bytes: 0 },
  };
}

/**
 * One policer instance (one `policer` table row). Create it from the entry, call
 * `mark()` for every packet in arrival order, `reconfigure()` on MODIFY.
 */
export class Policer {
  private cfg: Config;
  private epochNs: bigint;
  /** Time of the last refill, relative to the epoch. */
  private lastNs = 0n;
  private tc: bigint;
  /** Te (srTCM) or Tp (trTCM). */
  private tx: bigint;
  private readonly counts: PolicerCounters = zeroCounters();

  /** Buckets start full (both RFCs: Tc(0) = CBS, Te(0) = EBS / Tp(0) = PBS). */
  constructor(entry: PolicerEntry, nowNs: number | bigint = 0) {
    this.cfg = toConfig(entry);
    this.epochNs = toBig(nowNs, 'nowNs');
    this.tc = this.cfg.cbs;
    this.tx = this.cfg.mode === 'SRTCM' ? this.cfg.ebs : this.cfg.pbs;
  }

  get mode(): 'SRTCM' | 'TRTCM' {
    return this.cfg.mode;
  }

  /**
   * Marks one packet of `bytes` bytes arriving at `nowNs` (virtual ns) and charges
   * its color's counters. `preColor` is used only in color-aware mode (RFC 2697/2698
   * §3/§4: a packet is never promoted above its pre-color). A time earlier than
   * the previous packet's refills nothing (virtual time does not go backwards; we
   * do not let a caller's mistake mint tokens).
   */
  mark(bytes: number, nowNs: number | bigint, preColor: Color = 'green'): PolicerVerdict {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`packet length must be a non-negative integer (got ${bytes})`);
    this.refill(toBig(nowNs, 'nowNs'));
    const b = BigInt(bytes);
    const pre: Color = this.cfg.colorAware ? preColor : 'green';
    const color = this.cfg.mode === 'SRTCM' ? this.markSr(b, pre) : this.markTr(b, pre);
    const act = this.cfg.actions[color];
    const c = this.counts[color];
    c.packets++;
    c.bytes += bytes;
    if (act === 'drop') {
      this.counts.dropped.packets++;
      this.counts.dropped.bytes += bytes;
    }
    return { color, action: act };
  }

  // RFC 2697 §4.
  private markSr(b: bigint, pre: Color): Color {
    if (pre === 'green' && this.tc - b >= 0n) {
      this.tc -= b;
      return 'green';
    }
    if (pre !== 'red' && this.tx - b >= 0n) {
      this.tx -= b;
      return 'yellow';
    }
    return 'red';
  }

  // RFC 2698 §4 (tx is Tp).
  private markTr(b: bigint, pre: Color): Color {
    if (pre === 'red' || this.tx - b < 0n) return 'red';
    if (pre === 'yellow' || this.tc - b < 0n) {
      this.tx -= b;
      return 'yellow';
    }
    this.tx -= b;
    this.tc -= b;
    return 'green';
  }

  private refill(nowNs: bigint): void {
    const t = nowNs - this.epochNs;
    if (t <= this.lastNs) return;
    const { cfg } = this;
    if (cfg.mode === 'SRTCM') {
      // RFC 2697 §3: one token per 1/CIR s goes to C while Tc < CBS, else to E while Te < EBS.
      let add = ticks(cfg.cir, this.lastNs, t);
      const toC = min(add, cfg.cbs - this.tc);
      this.tc += toC;
      add -= toC;
      this.tx = min(cfg.ebs, this.tx + add);
    } else {
      // RFC 2698 §3: P at PIR up to PBS, C at CIR up to CBS, independently.
      this.tc = min(cfg.cbs, this.tc + ticks(cfg.cir, this.lastNs, t));
      this.tx = min(cfg.pbs, this.tx + ticks(cfg.pir, this.lastNs, t));
    }
    this.lastNs = t;
  }

  /**
   * Applies a MODIFY at `nowNs`. Counters are kept. Buckets are first refilled up
   * to `nowNs` at the old rates, then clipped to the new sizes (a bucket that
   * grows does not get the difference as a gift; it fills at the new rate). The
   * epoch restarts at `nowNs`, so at most one token's fraction per bucket is lost.
   * A change of mode (srTCM <-> trTCM) gives new buckets, full, as at creation.
   * A rejected configuration throws and leaves the policer unchanged.
   */
  reconfigure(entry: PolicerEntry, nowNs: number | bigint): void {
    const next = toConfig(entry);
    const now = toBig(nowNs, 'nowNs');
    if (next.mode !== this.cfg.mode) {
      this.tc = next.cbs;
      this.tx = next.mode === 'SRTCM' ? next.ebs : next.pbs;
    } else {
      this.refill(now);
      this.tc = min(this.tc, next.cbs);
      this.tx = min(this.tx, next.mode === 'SRTCM' ? next.ebs : next.pbs);
    }
    this.cfg = next;
    // Never move the epoch backwards past the last refill.
    const abs = this.epochNs + this.lastNs;
    this.epochNs = now > abs ? now : abs;
    this.lastNs = 0n;
  }

  /** Bucket levels in bytes as of the last refill. */
  buckets(): PolicerBuckets {
    return this.cfg.mode === 'SRTCM' ? { c: this.tc, e: this.tx } : { c: this.tc, p: this.tx };
  }

  /** A copy of the per-color counters. */
  counters(): PolicerCounters {
    const c = this.counts;
    return {
      green: { ...c.green },
      yellow: { ...c.yellow },
      red: { ...c.red },
      dropped: { ...c.dropped },
    };
  }
}
