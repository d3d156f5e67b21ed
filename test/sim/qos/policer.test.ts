import { expect } from 'chai';
import type { PolicerEntry } from '../../../src/hal/generated/types.js';
import { Policer, PolicerConfigError, type Color } from '../../../src/sim/qos/index.js';
import { prng } from '../../../src/sim/random.js';

// An independent, literal reading of the RFCs: a timer that fires at every
// k/rate seconds (k = 1, 2, …) and moves one token, packet by packet. Slow (one
// step per token) but obviously the RFC text; the Policer must agree exactly.
class LiteralRfcMarker {
  private tc: number;
  private tx: number;
  private kc = 0; // ticks of the CIR timer already applied
  private kp = 0; // ticks of the PIR timer already applied
  constructor(private readonly e: Required<Pick<PolicerEntry, 'cir' | 'cbs' | 'ebs' | 'pir' | 'pbs'>> & { mode: 'SRTCM' | 'TRTCM'; aware: boolean }) {
    this.tc = e.cbs;
    this.tx = e.mode === 'SRTCM' ? e.ebs : e.pbs;
  }
  buckets(): { c: number; e?: number; p?: number } {
    return this.e.mode === 'SRTCM' ? { c: this.tc, e: this.tx } : { c: this.tc, p: this.tx };
  }
  mark(bytes: number, tNs: number, pre: Color): Color {
    const { e } = this;
    // Tick k of a rate-R timer happens at k·1e9/R ns.
    while (e.cir > 0 && (this.kc + 1) * 1e9 <= e.cir * tNs) {
      this.kc++;
      if (e.mode === 'SRTCM') {
        if (this.tc < e.cbs) this.tc++;
        else if (this.tx < e.ebs) this.tx++;
      } else if (this.tc < e.cbs) this.tc++;
    }
    while (e.mode === 'TRTCM' && e.pir > 0 && (this.kp + 1) * 1e9 <= e.pir * tNs) {
      this.kp++;
      if (this.tx < e.pbs) this.tx++;
    }
    const p = e.aware ? pre : 'green';
    if (e.mode === 'SRTCM') {
      // RFC 2697 §4.
      if (p === 'green' && this.tc - bytes >= 0) { this.tc -= bytes; return 'green'; }
      if ((p === 'green' || p === 'yellow') && this.tx - bytes >= 0) { this.tx -= bytes; return 'yellow'; }
      return 'red';
    }
    // RFC 2698 §4.
    if (p === 'red' || this.tx - bytes < 0) return 'red';
    if (p === 'yellow' || this.tc - bytes < 0) { this.tx -= bytes; return 'yellow'; }
    this.tx -= bytes;
    this.tc -= bytes;
    return 'green';
  }
}

// Small deterministic PRNG (mulberry32) so the randomized cases repeat exactly.
const rng = prng;

const sr = (cir: number, cbs: number, ebs: number, extra: Partial<PolicerEntry> = {}): PolicerEntry => ({
  id: 'p1', mode: 'SRTCM', cir, cbs, ebs, ...extra,
});
const tr = (cir: number, cbs: number, pir: number, pbs: number, extra: Partial<PolicerEntry> = {}): PolicerEntry => ({
  id: 'p2', mode: 'TRTCM', cir, cbs, pir, pbs, ...extra,
});

const MS = 1_000_000;
const RANK: Record<Color, number> = { green: 0, yellow: 1, red: 2 };

describe('sim/qos policer: srTCM (RFC 2697)', () => {
  it('a constant stream at twice CIR: green while C lasts, then alternate green/yellow until E is spent, then green/red', () => {
    // CIR 1000 B/s, CBS 3000, EBS 5000; 100-byte packets every 50 ms (2000 B/s).
    // Each interval brings 50 tokens, all to C (C is never full once draining).
    // Hand derivation: packet n sees Tc = 3000 + 50 − 100·greens. Packets 0..58 are
    // green (Tc reaches 0 after #58). From #59 on, odd-offset packets find Tc = 50
    // (yellow while Te lasts: 5000/100 = 50 of them, then red) and even ones Tc = 100
    // (green). 60 s = 1200 packets.
    const p = new Policer(sr(1000, 3000, 5000));
    const seq: Color[] = [];
    for (let n = 0; n < 1200; n++) seq.push(p.mark(100, n * 50 * MS).color);
    expect(seq.slice(0, 59).every((c) => c === 'green')).to.equal(true);
    const tail = seq.slice(59);
    for (let i = 0; i < tail.length; i++) {
      if (i % 2 === 1) expect(tail[i], `packet ${59 + i}`).to.equal('green');
      else expect(tail[i], `packet ${59 + i}`).to.equal(i / 2 < 50 ? 'yellow' : 'red');
    }
    const c = p.counters();
    // greens: 59 + 570 (odd offsets of 1141), yellows: 50, reds: 571 − 50.
    expect(c.green).to.deep.equal({ packets: 59 + 570, bytes: 62900 });
    expect(c.yellow).to.deep.equal({ packets: 50, bytes: 5000 });
    expect(c.red).to.deep.equal({ packets: 521, bytes: 52100 });
    // Long-run check against the rate: green bytes = CBS + CIR·T − what is still in C.
    expect(c.green.bytes).to.be.at.most(3000 + 1000 * (1199 * 0.05));
  });

  it('burst tolerance is exactly CBS (then EBS), with no time passing', () => {
    const p = new Policer(sr(1000, 15000, 3000));
    const colors = Array.from({ length: 14 }, () => p.mark(1500, 0).color);
    expect(colors).to.deep.equal([...Array(10).fill('green'), 'yellow', 'yellow', 'red', 'red']);
    const q = new Policer(sr(1000, 4999, 0));
    let greens = 0;
    for (let i = 0; i < 6000; i++) if (q.mark(1, 7).color === 'green') greens++;
    expect(greens).to.equal(4999);
  });

  it('overflow from C goes to E; both cap exactly after a huge gap', () => {
    const p = new Policer(sr(1000, 3000, 5000));
    for (let i = 0; i < 80; i++) p.mark(100, 0); // drain C (30 green) and E (50 yellow)
    expect(p.buckets()).to.deep.equal({ c: 0, e: 0 });
    p.mark(0, 4 * 1000 * MS); // 4000 tokens: 3000 fill C, 1000 overflow to E
    expect(p.buckets()).to.deep.equal({ c: 3000, e: 1000 });
    p.mark(0, 1e6 * 1000 * MS); // a million seconds later: both full, not more
    expect(p.buckets()).to.deep.equal({ c: 3000, e: 5000 });
  });

  it('carries fractional tokens exactly (CIR 3 B/s: one token every 333.33… ms)', () => {
    const p = new Policer(sr(3, 1, 0));
    expect(p.mark(1, 0).color).to.equal('green');
    // Token k arrives at k·1e9/3 ns: 333_333_333.33 ns → first integer ns is 333_333_334.
    expect(p.mark(1, 333_333_333).color).to.equal('red');
    expect(p.mark(1, 333_333_334).color).to.equal('green');
    // 3 tokens per second for 1000 s: every token is found at its first integer ns.
    let greens = 0;
    for (let s = 1; s <= 3000; s++) if (p.mark(1, Math.ceil((s * 1e9) / 3)).color === 'green') greens++;
    expect(greens).to.equal(2999); // token 1 was already used above; tokens 2..3000
  });

  it('very large rates and times lose nothing (exact integers, BigInt where doubles would round)', () => {
    // 10 Tb/s = 1.25e12 B/s; at t ≈ 2^52 ns, CIR·t ≈ 5.6e27, far beyond 2^53.
    const cir = 1_250_000_000_000;
    const t0 = 2 ** 52;
    const p = new Policer(sr(cir, 1250, 0));
    p.mark(0, t0);
    expect(p.mark(1250, t0).color).to.equal('green'); // bucket full at t0
    expect(p.mark(1, t0).color).to.equal('red');
    // Exactly 1 ns later: floor(cir·(t0+1)/1e9) − floor(cir·t0/1e9) = 1250 tokens.
    expect(p.mark(1251, t0 + 1).color).to.equal('red');
    expect(p.mark(1250, t0 + 1).color).to.equal('green');
    // A naive float computation of the same difference is visibly wrong.
    expect(Math.floor((cir * (t0 + 1)) / 1e9) - Math.floor((cir * t0) / 1e9)).to.not.equal(1250);
  });

  it('color-aware: a pre-colored packet is never promoted; color-blind ignores pre-color', () => {
    const aware = new Policer(sr(1000, 10000, 10000, { colorAware: true }));
    expect(aware.mark(100, 0, 'yellow').color).to.equal('yellow');
    expect(aware.mark(100, 0, 'red').color).to.equal('red');
    expect(aware.mark(100, 0, 'green').color).to.equal('green');
    expect(aware.buckets()).to.deep.equal({ c: 9900, e: 9900 }); // red took nothing
    const blind = new Policer(sr(1000, 10000, 10000));
    expect(blind.mark(100, 0, 'red').color).to.equal('green');
  });

  it('applies the per-color actions and counts drops', () => {
    const p = new Policer(sr(1000, 100, 100, { green: 'COLOR_FORWARD', yellow: 'COLOR_FORWARD', red: 'COLOR_DROP' }));
    expect(p.mark(100, 0)).to.deep.equal({ color: 'green', action: 'forward' });
    expect(p.mark(100, 0)).to.deep.equal({ color: 'yellow', action: 'forward' });
    expect(p.mark(100, 0)).to.deep.equal({ color: 'red', action: 'drop' });
    expect(p.counters().dropped).to.deep.equal({ packets: 1, bytes: 100 });
    const y = new Policer(sr(1000, 0, 100, { yellow: 'COLOR_DROP' }));
    expect(y.mark(60, 0)).to.deep.equal({ color: 'yellow', action: 'drop' });
  });
});

describe('sim/qos policer: trTCM (RFC 2698)', () => {
  it('above PIR is red, between CIR and PIR yellow, below CIR green (long-run proportions)', () => {
    // CIR 1000 B/s, PIR 2000 B/s, CBS = PBS = 1000; 100-byte packets every 25 ms
    // (4000 B/s) for 100 s. Over the run green bytes ≈ CIR·T, green+yellow ≈ PIR·T.
    const p = new Policer(tr(1000, 1000, 2000, 1000));
    const ref = new LiteralRfcMarker({ mode: 'TRTCM', aware: false, cir: 1000, cbs: 1000, pir: 2000, pbs: 1000, ebs: 0 });
    const T = 100;
    const want = { green: 0, yellow: 0, red: 0 };
    for (let n = 0; n < T * 40; n++) {
      p.mark(100, n * 25 * MS);
      want[ref.mark(100, n * 25 * MS, 'green')]++;
    }
    const c = p.counters();
    // Exact counts from the literal timer model, then the RFC's long-run envelope.
    expect([c.green.packets, c.yellow.packets, c.red.packets]).to.deep.equal([want.green, want.yellow, want.red]);
    const elapsed = (T * 40 - 1) * 0.025;
    expect(c.green.bytes).to.be.within(1000 * elapsed + 1000 - 100, 1000 * elapsed + 1000);
    expect(c.green.bytes + c.yellow.bytes).to.be.within(2000 * elapsed + 1000 - 100, 2000 * elapsed + 1000);
    expect(c.red.packets).to.equal(T * 40 - c.green.packets - c.yellow.packets);
  });

  it('a packet above PBS is red even with C full; a packet fitting P but not C is yellow', () => {
    const p = new Policer(tr(1000, 500, 2000, 800));
    expect(p.mark(900, 0).color).to.equal('red');
    expect(p.buckets()).to.deep.equal({ c: 500, p: 800 });
    expect(p.mark(600, 0).color).to.equal('yellow');
    expect(p.buckets()).to.deep.equal({ c: 500, p: 200 });
    expect(p.mark(200, 0).color).to.equal('green');
    expect(p.buckets()).to.deep.equal({ c: 300, p: 0 });
  });

  it('color-aware: pre-red stays red without charging, pre-yellow charges only P', () => {
    const p = new Policer(tr(1000, 1000, 2000, 2000, { colorAware: true }));
    expect(p.mark(100, 0, 'red').color).to.equal('red');
    expect(p.mark(100, 0, 'yellow').color).to.equal('yellow');
    expect(p.buckets()).to.deep.equal({ c: 1000, p: 1900 });
  });
});

describe('sim/qos policer: agrees with a literal RFC timer model', () => {
  for (const mode of ['SRTCM', 'TRTCM'] as const) {
    for (const aware of [false, true]) {
      it(`${mode} ${aware ? 'color-aware' : 'color-blind'}: 3000 random packets, identical colors and buckets`, () => {
        const r = rng(mode === 'SRTCM' ? (aware ? 1 : 2) : aware ? 3 : 4);
        const cfg = mode === 'SRTCM'
          ? { mode, aware, cir: 700, cbs: 1500, ebs: 2500, pir: 0, pbs: 0 }
          : { mode, aware, cir: 700, cbs: 1500, pir: 1300, pbs: 2200, ebs: 0 };
        const entry: PolicerEntry = { id: 'x', mode, cir: cfg.cir, cbs: cfg.cbs, colorAware: aware };
        if (mode === 'SRTCM') entry.ebs = cfg.ebs;
        else Object.assign(entry, { pir: cfg.pir, pbs: cfg.pbs });
        const p = new Policer(entry);
        const ref = new LiteralRfcMarker(cfg);
        let t = 0;
        const pres: Color[] = ['green', 'yellow', 'red'];
        for (let i = 0; i < 3000; i++) {
          // Gaps: often 0 (bursts), sometimes sub-tick, sometimes long (caps).
          const g = r();
          t += g < 0.3 ? 0 : g < 0.6 ? Math.floor(r() * 1_000_000) : g < 0.95 ? Math.floor(r() * 400 * MS) : Math.floor(r() * 20_000 * MS);
          const bytes = Math.floor(r() * 1600);
          const pre = pres[Math.floor(r() * 3)];
          const got = p.mark(bytes, t, pre).color;
          expect(got, `packet ${i} at ${t} ns, ${bytes} B, pre ${pre}`).to.equal(ref.mark(bytes, t, pre));
          expect(p.buckets(), `buckets after packet ${i}`).to.deep.equal(ref.buckets());
          if (aware) expect(RANK[got]).to.be.at.least(RANK[pre]);
        }
      });
    }
  }
});

describe('sim/qos policer: configuration and reconfigure', () => {
  it('rejects configurations the RFCs do not define, naming the field', () => {
    const bad: Array<[PolicerEntry, string]> = [
      [{ id: 'a', cir: 1, cbs: 1 }, 'mode'],
      [sr(1, 1, 1, { pir: 5 }), 'pir'],
      [tr(10, 1, 5, 1), 'pir'],
      [tr(10, 1, 20, 1, { ebs: 3 }), 'ebs'],
      [sr(-1, 1, 1), 'cir'],
      [sr(1.5, 1, 1), 'cir'],
    ];
    for (const [entry, field] of bad) {
      expect(() => new Policer(entry)).to.throw(PolicerConfigError).with.property('field', field);
    }
  });

  it('MODIFY keeps counters, refills at the old rate up to now, clips buckets to the new sizes', () => {
    const p = new Policer(sr(1000, 3000, 3000));
    for (let i = 0; i < 50; i++) p.mark(100, 0); // 30 green, 20 yellow; C = 0, E = 1000
    const before = p.counters();
    p.reconfigure(sr(100, 500, 2000), 1000 * MS); // old rate: +1000 → C = 1000 → clipped to 500
    expect(p.buckets()).to.deep.equal({ c: 500, e: 1000 });
    expect(p.counters()).to.deep.equal(before);
    // New rate from the reconfigure time: 1 s later +100 tokens, C is full so E gets them.
    p.mark(0, 2000 * MS);
    expect(p.buckets()).to.deep.equal({ c: 500, e: 1100 });
    // A rejected MODIFY changes nothing.
    expect(() => p.reconfigure(sr(100, 500, 2000, { pbs: 1 }), 3000 * MS)).to.throw(PolicerConfigError);
    expect(p.buckets()).to.deep.equal({ c: 500, e: 1100 });
    // Mode change: new full buckets.
    p.reconfigure(tr(100, 700, 200, 900), 3000 * MS);
    expect(p.buckets()).to.deep.equal({ c: 700, p: 900 });
    expect(p.mode).to.equal('TRTCM');
  });

  it('a time earlier than the last packet refills nothing', () => {
    const p = new Policer(sr(1000, 1000, 0));
    p.mark(1000, 5000 * MS);
    expect(p.mark(1, 1000 * MS).color).to.equal('red');
    expect(p.buckets().c).to.equal(0);
    expect(p.mark(1, 5001 * MS).color).to.equal('green');
  });
});
