import { expect } from 'chai';
import { ReplayWindow } from '../../../src/sim/crypto/index.js';
import { prng } from '../../../src/sim/random.js';

// Reference straight from RFC 4303 §3.4.3: remember every accepted number; a number
// passes when it is new and not left of the window (right edge = highest accepted).
class SetReference {
  private readonly seen = new Set<number>();
  private top = 0;
  constructor(private readonly w: number) {}
  check(seq: number): 'ok' | 'replay' {
    if (this.w === 0) return 'ok';
    if (seq === 0) return 'replay';
    if (seq > this.top) return 'ok';
    if (seq <= this.top - this.w) return 'replay';
    return this.seen.has(seq) ? 'replay' : 'ok';
  }
  accept(seq: number): void {
    this.seen.add(seq);
    if (seq > this.top) this.top = seq;
  }
}

const rng = prng;

describe('crypto/anti-replay window (RFC 4303 §3.4.3)', () => {
  it('accepts new numbers, rejects duplicates, accepts late ones inside the window, rejects those left of it', () => {
    const w = new ReplayWindow(4);
    const step = (seq: number): string => {
      const v = w.check(seq);
      if (v === 'ok') w.accept(seq);
      return v;
    };
    expect([1, 2, 2, 5, 3, 3, 1, 6].map(step)).to.deep.equal(['ok', 'ok', 'replay', 'ok', 'ok', 'replay', 'replay', 'ok']);
    // Edge 6, window 3..6: 4 was never seen and is inside; 2 is left of the window.
    expect(w.check(4)).to.equal('ok');
    expect(w.check(2)).to.equal('replay');
    expect(w.check(3)).to.equal('replay'); // seen
    expect(w.highest).to.equal(6);
  });

  it('a jump larger than the window clears it; sequence 0 is never valid; size 0 disables', () => {
    const w = new ReplayWindow(64);
    for (let s = 1; s <= 64; s++) w.accept(s);
    w.accept(1000);
    expect(w.check(937)).to.equal('ok'); // inside 937..1000 and unseen
    expect(w.check(936)).to.equal('replay');
    expect(w.check(0)).to.equal('replay');
    const off = new ReplayWindow(0);
    off.accept(5);
    expect([off.check(5), off.check(0), off.check(1)]).to.deep.equal(['ok', 'ok', 'ok']);
  });

  it('checking alone never moves the window (a packet that fails its ICV leaves no trace)', () => {
    const w = new ReplayWindow(32);
    w.accept(10);
    expect(w.check(5000)).to.equal('ok');
    expect(w.highest).to.equal(10);
    expect(w.check(9)).to.equal('ok');
  });

  for (const size of [1, 32, 64, 100, 4096]) {
    it(`agrees with a set-based reference on random reordered and duplicated traffic (window ${size})`, () => {
      const r = rng(size);
      const w = new ReplayWindow(size);
      const ref = new SetReference(size);
      let next = 1;
      for (let i = 0; i < 20000; i++) {
        const x = r();
        // Mostly in order, some reordering within ~2 windows, some duplicates, some big jumps.
        const seq = x < 0.6 ? next++ : x < 0.9 ? Math.max(0, next - Math.floor(r() * 2 * size)) : x < 0.98 ? next - 1 : (next += Math.floor(r() * 3 * size));
        const got = w.check(seq);
        expect(got, `seq ${seq} after edge ${w.highest}`).to.equal(ref.check(seq));
        if (got === 'ok') {
          w.accept(seq);
          ref.accept(seq);
        }
      }
    });
  }
});
