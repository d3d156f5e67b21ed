import { expect } from 'chai';
import { GAIN, gain, waitFor } from '../../../src/sim/qos/tokens.js';
import { prng } from '../../../src/sim/random.js';

const rng = prng;

// Reference in BigInt only.
const G = 1_000_000_000n;
const MAXB = BigInt(Number.MAX_SAFE_INTEGER);
function refGain(rate: number, dt: number, rem: number): { add: number; rem: number } {
  const u = BigInt(rate) * BigInt(dt) + BigInt(rem);
  const add = u / G;
  return { add: add > MAXB ? Number.MAX_SAFE_INTEGER : Number(add), rem: Number(u % G) };
}
function refWait(rate: number, tokens: number, rem: number): number {
  const u = BigInt(tokens) * G - BigInt(rem);
  return Number((u + BigInt(rate) - 1n) / BigInt(rate));
}

describe('sim/qos exact token arithmetic', () => {
  it('gain() equals a pure BigInt computation, on both sides of 2^53', () => {
    const r = rng(11);
    const pick = (): number => {
      const k = r();
      // Magnitudes from tiny to ~2^53 and a band right around the double/BigInt switch.
      return k < 0.3 ? Math.floor(r() * 1e6) : k < 0.6 ? Math.floor(r() * 1e12) : k < 0.9 ? Math.floor(r() * 2 ** 52) : 2 ** 53 - 1 - Math.floor(r() * 1e4);
    };
    for (let i = 0; i < 30_000; i++) {
      const rate = pick();
      const dt = i % 3 === 0 ? Math.max(0, Math.floor((2 ** 53 - 1) / Math.max(rate, 1)) - Math.floor(r() * 3)) : pick();
      const rem = Math.floor(r() * 1e9);
      gain(rate, dt, rem);
      const want = refGain(rate, dt, rem);
      if (GAIN.add !== want.add || GAIN.rem !== want.rem) {
        expect({ add: GAIN.add, rem: GAIN.rem }, `rate ${rate} dt ${dt} rem ${rem}`).to.deep.equal(want);
      }
    }
  });

  it('waitFor() is the least dt whose gain() reaches the tokens, and equals the BigInt ceiling', () => {
    const r = rng(12);
    for (let i = 0; i < 15_000; i++) {
      const rate = 1 + Math.floor(r() * (r() < 0.5 ? 1e6 : 4e11));
      const tokens = 1 + Math.floor(r() * (r() < 0.9 ? 1e6 : 1e9));
      const rem = Math.floor(r() * 1e9);
      const w = waitFor(rate, tokens, rem);
      const what = `rate ${rate} tokens ${tokens} rem ${rem}`;
      if (w !== refWait(rate, tokens, rem)) expect(w, what).to.equal(refWait(rate, tokens, rem));
      gain(rate, w, rem);
      if (GAIN.add < tokens) expect.fail(`${what}: ${w} ns deliver only ${GAIN.add}`);
      if (w > 0) {
        gain(rate, w - 1, rem);
        if (GAIN.add >= tokens) expect.fail(`${what}: ${w - 1} ns already suffice`);
      }
    }
  });
});
