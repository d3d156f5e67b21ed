// Simplified TCP window tracking for zones with `tcpWindowTracking` (hal-spec
// §12: out-of-window segments are INVALID). After Rooij's "Real stateful TCP
// packet filtering" as Linux applies it, reduced to three checks per segment
// from side S to its peer R (all modulo 2^32):
//  1. start not beyond the window R allowed:   seq <= R's highest (ack + window)
//  2. not older than one window of R:          seq + len >= S's highest end - R's largest window
//  3. the ACK acknowledges only what R sent, and not much older:
//                                              R's end - max(S's largest window, 66000) <= ack <= R's end
// A check is skipped while the value it needs has not been seen yet (a side's
// first segment initialises it). Window scaling (RFC 7323) applies only when both
// SYNs carried the option, and never to windows in SYN segments. Not modelled:
// SACK, timestamps (PAWS), the "unacknowledged data" timeout, retransmission counts.
import { TCP_ACK, TCP_FIN, TCP_SYN } from './tcp-state.js';

/** What window tracking needs from a TCP segment. */
export interface TcpSegment {
  readonly seq: number;
  readonly ack: number;
  /** The raw 16-bit window field. */
  readonly window: number;
  /** TCP payload bytes. */
  readonly payloadLength: number;
  /** Window-scale option shift of a SYN / SYN+ACK, absent when the option is not present. */
  readonly wscale?: number;
}

const MAX_ACK_WINDOW = 66000;

/** a <= b in sequence space. */
function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

function seqMax(a: number, b: number): number {
  return seqLe(a, b) ? b : a;
}

export class TcpWindow {
  // Per side (0 = original, 1 = reply). `end`: highest seq + len sent;
  // `maxwin`: largest (scaled) window advertised; `maxend`: highest right edge the
  // peer has opened for this side (peer's ack + window); `scale`: -1 = none.
  private readonly end = [0, 0];
  private readonly maxwin = [0, 0];
  private readonly maxend = [0, 0];
  private readonly scale = [-1, -1];
  private seen = 0; // bit d: side d has sent a segment
  private opened = 0; // bit d: maxend[d] is known

  /** True when the segment is acceptable. No side effects. */
  accepts(dir: number, flags: number, s: TcpSegment): boolean {
    const r = 1 - dir;
    const len = s.payloadLength + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    const segEnd = (s.seq + len) >>> 0;
    if (this.seen & (1 << dir)) {
      if (this.opened & (1 << dir) && !seqLe(s.seq, this.maxend[dir])) return false;
      if (this.maxwin[r] > 0 && !seqLe((this.end[dir] - this.maxwin[r]) >>> 0, segEnd)) return false;
    }
    if (flags & TCP_ACK && this.seen & (1 << r)) {
      if (!seqLe(s.ack, this.end[r])) return false;
      if (!seqLe((this.end[r] - Math.max(this.maxwin[dir], MAX_ACK_WINDOW)) >>> 0, s.ack)) return false;
    }
    return true;
  }

  /** Records an accepted segment. */
  record(dir: number, flags: number, s: TcpSegment): void {
    const r = 1 - dir;
    const syn = (flags & TCP_SYN) !== 0;
    const len = s.payloadLength + (syn ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    const segEnd = (s.seq + len) >>> 0;
    if (syn) this.scale[dir] = s.wscale !== undefined ? Math.min(s.wscale, 14) : -1;
    if (!(this.seen & (1 << dir))) {
      this.seen |= 1 << dir;
      this.end[dir] = segEnd;
    } else {
      this.end[dir] = seqMax(this.end[dir], segEnd);
    }
    const scaled = !syn && this.scale[0] >= 0 && this.scale[1] >= 0;
    const win = scaled ? s.window * 2 ** this.scale[dir] : s.window;
    if (win > this.maxwin[dir]) this.maxwin[dir] = win;
    if (flags & TCP_ACK) {
      const edge = (s.ack + win) >>> 0;
      this.maxend[r] = this.opened & (1 << r) ? seqMax(this.maxend[r], edge) : edge;
      this.opened |= 1 << r;
    }
  }
}
