// Three-color markers: RFC 2697 (srTCM) and RFC 2698 (trTCM).
//
// The RFCs describe buckets of whole bytes that a timer increments "CIR times per
// second". We model exactly that: bucket levels are integers (bytes), and each
// rate carries the fraction of its next token as a remainder in units of 1e-9
// token, so the number of increments up to time t is exactly floor(rate·t/1e9)
// since creation: nothing is rounded away and nothing drifts however many packets
// pass. Arithmetic is in doubles while every value stays an exact integer
// (< 2^53) and falls back to BigInt when rate·Δt would not (huge rates or gaps),
// so the usual packet allocates nothing.
//
// Refill is lazy (computed when a packet arrives at `nowNs`), which is
// indistinguishable from a timer firing every 1/rate seconds.

import type { ColorAction, PolicerEntry, PolicerMode } from '../../hal/generated/types.js';
import { GAIN, gain } from './tokens.js';

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
  readonly color: Color;
  readonly action: 'forward' | 'drop';
}

/** Bucket levels in whole bytes, as of the last packet (or reconfigure). */
export interface PolicerBuckets {
  /** srTCM: Tc and Te. trTCM: Tc and Tp. */
  c: number;
  e?: number;
  p?: number;
}

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
  cir: number;
  cbs: number;
  ebs: number;
  pir: number;
  pbs: number;
  colorAware: boolean;
  actions: Record<Color, 'forward' | 'drop'>;
}

function u64(entry: PolicerEntry, field: 'cir' | 'cbs' | 'ebs' | 'pir' | 'pbs'): number {
  const v = entry[field] ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new PolicerConfigError(field, `${field} must be a non-negative integer below 2^53`);
  return v;
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
    if (cfg.pir !== 0) throw new PolicerConfigError('pir', 'SRTCM takes no pir');
    if (cfg.pbs !== 0) throw new PolicerConfigError('pbs', 'SRTCM takes no pbs');
  } else {
    if (cfg.pir < cfg.cir) throw new PolicerConfigError('pir', 'TRTCM needs pir >= cir');
    if (cfg.ebs !== 0) throw new PolicerConfigError('ebs', 'TRTCM takes no ebs');
  }
  return cfg;
}

function toNs(v: number | bigint): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (!Number.isSafeInteger(n)) throw new RangeError(`time must be an integer number of ns below 2^53 (got ${v})`);
  return n;
}

function zeroCounters(): PolicerCounters {
  return {
    green: { packets: 0, bytes: 0 },
    yellow: { packets: 0, bytes: 0 },
    red: { packets: 0, bytes: 0 },
    dropped: { packets: 0, bytes: 0 },
  };
}

// Shared, frozen verdicts: mark() returns one of these, never a new object.
const VERDICTS: Record<Color, Record<'forward' | 'drop', PolicerVerdict>> = {
  green: { forward: Object.freeze({ color: 'green', action: 'forward' }), drop: Object.freeze({ color: 'green', action: 'drop' }) },
  yellow: { forward: Object.freeze({ color: 'yellow', action: 'forward' }), drop: Object.freeze({ color: 'yellow', action: 'drop' }) },
  red: { forward: Object.freeze({ color: 'red', action: 'forward' }), drop: Object.freeze({ color: 'red', action: 'drop' }) },
};

/**
 * One policer instance (one `policer` table row). Create it from the entry, call
 * `mark()` for every packet in arrival order, `reconfigure()` on MODIFY.
 */
export class Policer {
  private cfg: Config;
  /** Absolute time (ns) up to which the buckets have been refilled. */
  private lastNs: number;
  private tc: number;
  /** Te (srTCM) or Tp (trTCM). */
  private tx: number;
  /** Fractions of the next C and P token (1e-9 token units); srTCM uses only remC. */
  private remC = 0;
  private remP = 0;
  private readonly counts: PolicerCounters = zeroCounters();

  /** Buckets start full (both RFCs: Tc(0) = CBS, Te(0) = EBS / Tp(0) = PBS). */
  constructor(entry: PolicerEntry, nowNs: number | bigint = 0) {
    this.cfg = toConfig(entry);
    this.lastNs = toNs(nowNs);
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
   * do not let a caller's mistake mint tokens). The returned verdict is a shared
   * frozen object.
   */
  mark(bytes: number, nowNs: number | bigint, preColor: Color = 'green'): PolicerVerdict {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`packet length must be a non-negative integer (got ${bytes})`);
    this.refill(toNs(nowNs));
    const pre: Color = this.cfg.colorAware ? preColor : 'green';
    const color = this.cfg.mode === 'SRTCM' ? this.markSr(bytes, pre) : this.markTr(bytes, pre);
    const act = this.cfg.actions[color];
    const c = this.counts[color];
    c.packets++;
    c.bytes += bytes;
    if (act === 'drop') {
      this.counts.dropped.packets++;
      this.counts.dropped.bytes += bytes;
    }
    return VERDICTS[color][act];
  }

  // RFC 2697 §4.
  private markSr(b: number, pre: Color): Color {
    if (pre === 'green' && this.tc - b >= 0) {
      this.tc -= b;
      return 'green';
    }
    if (pre !== 'red' && this.tx - b >= 0) {
      this.tx -= b;
      return 'yellow';
    }
    return 'red';
  }

  // RFC 2698 §4 (tx is Tp).
  private markTr(b: number, pre: Color): Color {
    if (pre === 'red' || this.tx - b < 0) return 'red';
    if (pre === 'yellow' || this.tc - b < 0) {
      this.tx -= b;
      return 'yellow';
    }
    this.tx -= b;
    this.tc -= b;
    return 'green';
  }

  private refill(nowNs: number): void {
    if (nowNs <= this.lastNs) return;
    const dt = nowNs - this.lastNs;
    const { cfg } = this;
    gain(cfg.cir, dt, this.remC);
    this.remC = GAIN.rem;
    if (cfg.mode === 'SRTCM') {
      // RFC 2697 §3: one token per 1/CIR s goes to C while Tc < CBS, else to E while Te < EBS.
      const toC = Math.min(GAIN.add, cfg.cbs - this.tc);
      this.tc += toC;
      // Sums past 2^53 round, but only when far above EBS, so the min is still exact.
      this.tx = Math.min(cfg.ebs, this.tx + (GAIN.add - toC));
    } else {
      // RFC 2698 §3: C at CIR up to CBS, P at PIR up to PBS, independently.
      this.tc = Math.min(cfg.cbs, this.tc + GAIN.add);
      gain(cfg.pir, dt, this.remP);
      this.remP = GAIN.rem;
      this.tx = Math.min(cfg.pbs, this.tx + GAIN.add);
    }
    this.lastNs = nowNs;
  }

  /**
   * Applies a MODIFY at `nowNs`. Counters are kept. Buckets are first refilled up
   * to `nowNs` at the old rates, then clipped to the new sizes (a bucket that
   * grows does not get the difference as a gift; it fills at the new rate). The
   * fraction of the next token carries over. A change of mode (srTCM <-> trTCM)
   * gives new buckets, full, as at creation. A rejected configuration throws and
   * leaves the policer unchanged.
   */
  reconfigure(entry: PolicerEntry, nowNs: number | bigint): void {
    const next = toConfig(entry);
    const now = toNs(nowNs);
    if (next.mode !== this.cfg.mode) {
      this.tc = next.cbs;
      this.tx = next.mode === 'SRTCM' ? next.ebs : next.pbs;
      this.remC = 0;
      this.remP = 0;
      if (now > this.lastNs) this.lastNs = now;
    } else {
      this.refill(now);
      this.tc = Math.min(this.tc, next.cbs);
      this.tx = Math.min(this.tx, next.mode === 'SRTCM' ? next.ebs : next.pbs);
    }
    this.cfg = next;
  }

  /** Bucket levels in whole bytes as of the last refill. */
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
