// Virtual time in nanoseconds. Nothing in the simulator reads the wall clock for
// semantics; timers fire in time order when the clock is advanced past them.
export interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: (now: number) => void;
}

export class VirtualClock {
  private current = 0;
  private seq = 0;
  private timers: Timer[] = [];

  get now(): number {
    return this.current;
  }

  /** Schedules `fire` at absolute time `at` (never earlier than now). */
  at(at: number, fire: (now: number) => void): Timer {
    const t = { at: Math.max(at, this.current), seq: this.seq++, fire };
    this.timers.push(t);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return t;
  }

  cancel(t: Timer): void {
    this.timers = this.timers.filter((x) => x !== t);
  }

  /** Moves to `target`, firing due timers in order; time never goes backwards. */
  advanceTo(target: number): void {
    if (target < this.current) throw new RangeError(`time cannot go backwards (${target} < ${this.current})`);
    while (this.timers.length && this.timers[0].at <= target) {
      const t = this.timers.shift()!;
      this.current = t.at;
      t.fire(t.at);
    }
    this.current = target;
  }

  advance(ns: number): void {
    this.advanceTo(this.current + ns);
  }
}
