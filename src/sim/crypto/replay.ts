// Anti-replay sliding window, RFC 4303 §3.4.3 (32-bit sequence numbers, no ESN).
//
// The window's right edge T is the highest sequence number authenticated so far;
// the window covers T−W+1 … T. The receiver first `check()`s a number (before the
// ICV, so obvious replays cost no crypto) and `accept()`s it only after the ICV
// verified, so a forged packet can never move the window.
//
// Bits live in a ring indexed by seq mod W: advancing the edge clears only the
// slots that enter the window, at most W per packet.

export type ReplayVerdict = 'ok' | 'replay';

export class ReplayWindow {
  private top = 0;
  private readonly bits: Uint8Array;

  /** `size` 0 disables the check (every number passes). */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError('replay window size must be a non-negative integer');
    this.bits = new Uint8Array(size);
  }

  /** The right edge: the highest sequence number accepted so far (0 before any). */
  get highest(): number {
    return this.top;
  }

  check(seq: number): ReplayVerdict {
    if (this.size === 0) return 'ok';
    // The sender counts from 1; 0 is never sent (RFC 4303 §3.3.3), so it can only be forged or replayed.
    if (seq === 0) return 'replay';
    if (seq > this.top) return 'ok';
    if (seq <= this.top - this.size) return 'replay'; // left of the window
    return this.bits[seq % this.size] ? 'replay' : 'ok';
  }

  /** Records an authenticated sequence number. Call only after check() said 'ok' and the ICV verified. */
  accept(seq: number): void {
    if (this.size === 0) return;
    if (seq > this.top) {
      const advance = seq - this.top;
      if (advance >= this.size) this.bits.fill(0);
      else for (let s = this.top + 1; s <= seq; s++) this.bits[s % this.size] = 0;
      this.top = seq;
    }
    this.bits[seq % this.size] = 1;
  }
}
