// Exact token arithmetic shared by the policer and the shaper: whole tokens plus a
// remainder in units of 1e-9 token, computed in doubles while every value is an
// exact integer below 2^53, in BigInt otherwise.

export const NS = 1_000_000_000;
export const MAX = Number.MAX_SAFE_INTEGER;

/**
 * Tokens a rate-`rate` timer delivers in `dt` ns when `rem` (1e-9 token units,
 * 0 ≤ rem < 1e9) of the next token has already accrued. Writes the whole tokens
 * to GAIN.add and the new remainder to GAIN.rem (a scratch object, so the
 * common path allocates nothing). `add` saturates at 2^53, more than any bucket.
 */
export const GAIN = { add: 0, rem: 0 };
export function gain(rate: number, dt: number, rem: number): void {
  const units = rate * dt + rem;
  if (units <= MAX) {
    // Exact integers: the quotient may be off by one after float division; fix it.
    let add = Math.floor(units / NS);
    let r = units - add * NS;
    if (r < 0) {
      add--;
      r += NS;
    } else if (r >= NS) {
      add++;
      r -= NS;
    }
    GAIN.add = add;
    GAIN.rem = r;
    return;
  }
  const u = BigInt(rate) * BigInt(dt) + BigInt(rem);
  const add = u / 1_000_000_000n;
  GAIN.add = add > BigInt(MAX) ? MAX : Number(add);
  GAIN.rem = Number(u % 1_000_000_000n);
}


/**
 * The fewest ns after which a rate-`rate` timer (rate > 0) with `rem` of the next
 * token accrued has delivered `tokens` more whole tokens (tokens ≥ 1):
 * ceil((tokens·1e9 − rem) / rate).
 */
export function waitFor(rate: number, tokens: number, rem: number): number {
  const units = tokens * NS - rem;
  if (units + rate <= MAX) {
    let w = Math.ceil(units / rate);
    if (w * rate < units) w++;
    else if ((w - 1) * rate >= units) w--;
    return w;
  }
  const u = BigInt(tokens) * 1_000_000_000n - BigInt(rem);
  const r = BigInt(rate);
  return Number((u + r - 1n) / r);
}
