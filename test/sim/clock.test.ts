import { expect } from 'chai';
import { VirtualClock } from '../../src/sim/clock.js';

describe('sim/clock', () => {
  it('fires timers in time order, ties in insertion order, with their due time', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.at(30, (t) => log.push(`c@${t}`));
    c.at(10, (t) => log.push(`a@${t}`));
    c.at(20, (t) => log.push(`b1@${t}`));
    c.at(20, (t) => log.push(`b2@${t}`));
    c.at(20, (t) => log.push(`b3@${t}`));
    c.advanceTo(25);
    expect(log).to.deep.equal(['a@10', 'b1@20', 'b2@20', 'b3@20']);
    expect(c.now).to.equal(25);
    c.advance(5);
    expect(log.at(-1)).to.equal('c@30');
    expect(c.pending).to.equal(0);
  });

  it('fires a timer due exactly at the target, not one due after it', () => {
    const c = new VirtualClock();
    const log: number[] = [];
    c.at(100, (t) => log.push(t));
    c.at(101, (t) => log.push(t));
    c.advanceTo(100);
    expect(log).to.deep.equal([100]);
  });

  it('never moves backwards and clamps past timers to now', () => {
    const c = new VirtualClock();
    c.advanceTo(50);
    expect(() => c.advanceTo(49)).to.throw(RangeError, /backwards/);
    expect(c.now).to.equal(50);
    const t = c.at(10, () => {});
    expect(t.at).to.equal(50);
    const log: number[] = [];
    c.at(5, (now) => log.push(now));
    c.advance(0);
    expect(log).to.deep.equal([50]);
  });

  it('cancels timers, including after many cancellations (compaction keeps order)', () => {
    const c = new VirtualClock();
    const fired: number[] = [];
    const timers = Array.from({ length: 1000 }, (_, i) => c.at(1000 - i, () => fired.push(1000 - i)));
    // Cancel every timer whose due time is not a multiple of 7.
    timers.forEach((t) => {
      if (t.at % 7 !== 0) c.cancel(t);
    });
    c.cancel(timers[0]); // twice: no effect on counts
    expect(c.pending).to.equal(Math.floor(1000 / 7));
    c.advanceTo(2000);
    const expected = Array.from({ length: 1000 }, (_, i) => i + 1).filter((x) => x % 7 === 0);
    expect(fired).to.deep.equal(expected);
    expect(c.pending).to.equal(0);
  });

  it('cancelling a fired timer does nothing', () => {
    const c = new VirtualClock();
    let n = 0;
    const t = c.at(1, () => n++);
    c.advanceTo(2);
    c.cancel(t);
    expect(c.pending).to.equal(0);
    c.at(3, () => n++);
    c.advanceTo(3);
    expect(n).to.equal(2);
  });

  it('timers scheduled while firing run in the same advance when due, in order', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.at(10, (t) => {
      log.push(`a@${t}`);
      c.at(t, (u) => log.push(`a-same@${u}`)); // same instant: after everything already queued for it
      c.at(t + 5, (u) => log.push(`a+5@${u}`));
      c.at(t + 100, (u) => log.push(`late@${u}`));
    });
    c.at(10, (t) => log.push(`b@${t}`));
    c.at(12, (t) => log.push(`c@${t}`));
    c.advanceTo(20);
    expect(log).to.deep.equal(['a@10', 'b@10', 'a-same@10', 'c@12', 'a+5@15']);
    expect(c.now).to.equal(20);
    expect(c.pending).to.equal(1);
  });

  it('a timer may cancel another that is due at the same time', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    const victim = c.at(5, () => log.push('victim'));
    c.at(5, () => log.push('first'));
    c.at(4, () => c.cancel(victim));
    c.advanceTo(10);
    expect(log).to.deep.equal(['first']);
  });

  it('matches a sorted reference on a random schedule', () => {
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const c = new VirtualClock();
    const ref: { at: number; seq: number; cancelled: boolean }[] = [];
    const fired: number[] = [];
    const handles = [];
    for (let i = 0; i < 5000; i++) {
      const at = Math.floor(rnd() * 1000);
      const seq = i;
      handles.push(c.at(at, () => fired.push(seq)));
      ref.push({ at, seq, cancelled: false });
      if (rnd() < 0.3) {
        const j = Math.floor(rnd() * handles.length);
        c.cancel(handles[j]);
        ref[j].cancelled = true;
      }
    }
    c.advanceTo(1000);
    const want = ref.filter((r) => !r.cancelled).sort((a, b) => a.at - b.at || a.seq - b.seq).map((r) => r.seq);
    expect(fired).to.deep.equal(want);
  });
});
