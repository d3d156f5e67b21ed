import { expect } from 'chai';
import type { ShaperEntry } from '../../../src/hal/generated/types.js';
import { Shaper, ShaperConfigError } from '../../../src/sim/qos/index.js';
import { prng } from '../../../src/sim/random.js';

const MS = 1_000_000;
const shaper = (rateBps: number, burstBytes: number, queueLimitBytes: number): ShaperEntry => ({
  portId: 'p0', queue: 0, rateBps, burstBytes, queueLimitBytes,
});

const rng = prng;

type Outcome = number | 'drop';

// Independent reference: step time one nanosecond at a time. Tokens are counted in
// units of 1/den byte and `num` units arrive per ns (rate = 8e9·num/den bits/s).
// At each ns: refill, release eligible queue heads, then take that ns's arrivals.
function bruteForce(num: number, den: number, burst: number, limit: number, pkts: Array<[number, number]>): Outcome[] {
  const out: Outcome[] = new Array(pkts.length);
  const cap = burst * den;
  let level = cap;
  const q: number[] = []; // indexes of queued packets
  let queued = 0;
  let i = 0;
  const need = (L: number): number => Math.min(L, burst) * den;
  for (let t = pkts[0][0]; i < pkts.length || q.length; t++) {
    if (t > pkts[0][0]) level = Math.min(cap, level + num);
    while (q.length && level >= need(pkts[q[0]][1])) {
      const k = q.shift()!;
      level -= pkts[k][1] * den;
      queued -= pkts[k][1];
      out[k] = t;
    }
    while (i < pkts.length && pkts[i][0] === t) {
      const L = pkts[i][1];
      if (q.length === 0 && level >= need(L)) {
        level -= L * den;
        out[i] = t;
      } else if (queued + L > limit) out[i] = 'drop';
      else {
        q.push(i);
        queued += L;
      }
      i++;
    }
  }
  return out;
}

describe('sim/qos shaper', () => {
  it('tail-drops exactly when the queued bytes plus the packet exceed the limit', () => {
    // 8 Mb/s = 1000 bytes per ms; burst 1000; limit 5000; ten 1000-byte packets at t = 0.
    const s = new Shaper(shaper(8_000_000, 1000, 5000));
    const r = Array.from({ length: 10 }, () => s.enqueue(1000, 0));
    expect(r.slice(0, 6)).to.deep.equal([0, 1, 2, 3, 4, 5].map((k) => ({ departNs: k * MS, delayNs: k * MS })));
    expect(r.slice(6)).to.deep.equal(Array(4).fill({ dropped: 'shaper-queue-full' }));
    expect(s.backlogBytes(0)).to.equal(5000); // #0 left at once and never queued
    expect(s.depthPackets(0)).to.equal(5);
    // At 1 ms packet #1 leaves (exactly then), so one more fits, behind #5.
    expect(s.enqueue(1000, 1 * MS)).to.deep.equal({ departNs: 6 * MS, delayNs: 5 * MS });
    expect(s.enqueue(1000, 1 * MS)).to.deep.equal({ dropped: 'shaper-queue-full' });
    expect(s.backlogBytes(3.5 * MS)).to.equal(3000);
    expect(s.depthPackets(6 * MS)).to.equal(0);
    expect(s.counters()).to.deep.equal({
      packets: 7, bytes: 7000, droppedPackets: 5, droppedBytes: 5000, maxBacklogBytes: 5000,
      totalDelayNs: (1 + 2 + 3 + 4 + 5 + 5) * MS,
    });
  });

  for (const [num, den] of [[1, 1], [1, 4], [3, 8], [2, 5]] as const) {
    it(`agrees with a nanosecond-stepping reference (rate ${num}/${den} B/ns), incl. oversized packets`, () => {
      const r = rng(num * 10 + den);
      const burst = 60;
      const limit = 200;
      const pkts: Array<[number, number]> = [];
      let t = 1000;
      for (let k = 0; k < 1500; k++) {
        const g = r();
        t += g < 0.4 ? 0 : Math.floor(r() * (g < 0.9 ? 40 : 400));
        pkts.push([t, 1 + Math.floor(r() * 80)]);
      }
      const s = new Shaper(shaper((8e9 * num) / den, burst, limit), 1000);
      const got = pkts.map(([a, L]) => {
        const x = s.enqueue(L, a);
        return 'dropped' in x ? 'drop' : x.departNs;
      });
      const want = bruteForce(num, den, burst, limit, pkts);
      expect(want.filter((x) => x === 'drop').length, 'the pattern must exercise drops').to.be.greaterThan(50);
      for (let k = 0; k < pkts.length; k++) expect(got[k], `packet ${k} (${pkts[k][1]} B at ${pkts[k][0]})`).to.equal(want[k]);
    });
  }

  it('a long overload: output converges to the rate, departures are monotonic, the backlog stays within the limit', () => {
    // 10 Mb/s, burst 3000, limit 20000; random 64..1500-byte packets offered at about 1.5× the rate.
    const rate = 10_000_000;
    const burst = 3000;
    const limit = 20000;
    const s = new Shaper(shaper(rate, burst, limit));
    const r = rng(7);
    let t = 0;
    let prev = -1;
    const departs: Array<[number, number]> = [];
    let maxBacklog = 0;
    for (let k = 0; k < 4000; k++) {
      const L = 64 + Math.floor(r() * 1437);
      t += Math.floor(r() * 2 * ((L * 8e9) / rate / 1.5));
      const x = s.enqueue(L, t);
      if (!('dropped' in x)) {
        expect(x.departNs).to.be.at.least(Math.max(prev, t));
        prev = x.departNs;
        departs.push([x.departNs, L]);
      }
      maxBacklog = Math.max(maxBacklog, s.backlogBytes(t));
    }
    expect(maxBacklog).to.be.at.most(limit);
    expect(s.counters().maxBacklogBytes).to.be.at.most(limit);
    expect(s.counters().droppedPackets).to.be.greaterThan(0);
    // The (σ, ρ) envelope of a token bucket holds over every window of departures.
    const prefix = [0];
    for (const [, L] of departs) prefix.push(prefix[prefix.length - 1] + L);
    let worst = -Infinity; // max over windows of (bytes·8e9 − rate·duration), must be ≤ burst·8e9
    for (let i = 0; i < departs.length; i++) {
      for (let j = i; j < departs.length; j++) {
        const excess = (prefix[j + 1] - prefix[i]) * 8e9 - rate * (departs[j][0] - departs[i][0]);
        if (excess > worst) worst = excess;
      }
    }
    expect(worst).to.be.at.most(burst * 8e9);
    expect(worst, 'the burst was actually used').to.be.at.least((burst - 1500) * 8e9);
    // Under sustained overload the long-run output rate is the configured rate.
    const span = departs[departs.length - 1][0] - departs[0][0];
    const sent = prefix[prefix.length - 1] - departs[departs.length - 1][1];
    expect(Math.abs((sent * 8e9) / span - rate) / rate).to.be.below(0.002);
  });

  it('very large rates at large times are exact (BigInt)', () => {
    // 400 Gb/s: a 1500-byte packet costs exactly 30 ns of tokens.
    const t0 = 2 ** 52;
    const s = new Shaper(shaper(400_000_000_000, 1500, 1_000_000));
    const d = Array.from({ length: 5 }, () => s.enqueue(1500, t0));
    expect(d.map((x) => ('departNs' in x ? x.departNs - t0 : -1))).to.deep.equal([0, 30, 60, 90, 120]);
    // After a huge gap the bucket holds exactly the burst, not more.
    const later = t0 + 10 ** 15;
    expect(s.enqueue(1500, later)).to.deep.equal({ departNs: later, delayNs: 0 });
    expect(s.enqueue(1, later)).to.deep.equal({ departNs: later + 1, delayNs: 1 }); // 8 bits at 400 b/ns → 0.02 ns, rounded up
  });

  it('reconfigure: queued packets keep their times, later ones use the new rate; counters stay', () => {
    const s = new Shaper(shaper(8_000_000, 1000, 10_000));
    for (let k = 0; k < 3; k++) s.enqueue(1000, 0); // depart 0, 1, 2 ms
    s.reconfigure(shaper(16_000_000, 500, 10_000));
    expect(s.backlogBytes(0)).to.equal(2000);
    // The level at 2 ms is 0. Now 2000 B/ms, burst 500: a 1000-byte packet waits for a
    // full bucket (0.25 ms) and leaves owing 500, so the next one waits 0.5 ms.
    expect(s.enqueue(1000, 0)).to.deep.equal({ departNs: 2.25 * MS, delayNs: 2.25 * MS });
    expect(s.enqueue(1000, 0)).to.deep.equal({ departNs: 2.75 * MS, delayNs: 2.75 * MS });
    expect(s.counters().packets).to.equal(5);
    expect(() => s.reconfigure(shaper(-1, 1, 1))).to.throw(ShaperConfigError).with.property('field', 'rateBps');
  });

  it('zero rate: only the burst ever leaves; out-of-order arrivals are refused', () => {
    const s = new Shaper(shaper(0, 3000, 100_000));
    expect(s.enqueue(1500, 5)).to.deep.equal({ departNs: 5, delayNs: 0 });
    expect(s.enqueue(1500, 5)).to.deep.equal({ departNs: 5, delayNs: 0 });
    expect(s.enqueue(1, 10 ** 12)).to.deep.equal({ dropped: 'shaper-queue-full' });
    expect(() => s.enqueue(1, 4)).to.throw(RangeError, /before the previous arrival/);
    expect(() => s.enqueue(-1, 10 ** 12)).to.throw(RangeError);
  });
});
