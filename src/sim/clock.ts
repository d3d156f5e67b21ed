// Virtual time in nanoseconds. Nothing in the simulator reads the wall clock for
// semantics; timers fire in (time, insertion) order when the clock is advanced
// past them.
//
// Timers live in a binary min-heap, so scheduling and firing cost O(log n).
// Cancellation is lazy: a cancelled timer stays in the heap, marked, and is
// discarded when it reaches the top; when dead timers outnumber live ones the heap
// is rebuilt without them (O(n), amortised O(1) per cancel), so memory stays bounded.
export interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: (now: number) => void;
}

interface HeapTimer extends Timer {
  cancelled: boolean;
  /** True once popped (fired or discarded); cancelling it then is a no-op. */
  done: boolean;
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class VirtualClock {
  private current = 0;
  private seq = 0;
  private heap: HeapTimer[] = [];
  private dead = 0;

  get now(): number {
    return this.current;
  }

  /** Timers scheduled and neither fired nor cancelled. */
  get pending(): number {
    return this.heap.length - this.dead;
  }

  /** Schedules `fire` at absolute time `at` (never earlier than now). */
  at(at: number, fire: (now: number) => void): Timer {
    const t: HeapTimer = { at: Math.max(at, this.current), seq: this.seq++, fire, cancelled: false, done: false };
    this.heap.push(t);
    this.siftUp(this.heap.length - 1);
    return t;
  }

  /** Cancels a timer; cancelling one that already fired or was cancelled does nothing. */
  cancel(t: Timer): void {
    const h = t as HeapTimer;
    if (h.cancelled || h.done) return;
    h.cancelled = true;
    this.dead++;
    if (this.dead > 64 && this.dead * 2 > this.heap.length) this.compact();
  }

  /** Moves to `target`, firing due timers in order; time never goes backwards. */
  advanceTo(target: number): void {
    if (target < this.current) throw new RangeError(`time cannot go backwards (${target} < ${this.current})`);
    const heap = this.heap;
    while (heap.length > 0 && heap[0].at <= target) {
      const t = this.pop();
      if (t.cancelled) {
        this.dead--;
        continue;
      }
      this.current = t.at;
      t.fire(t.at);
    }
    this.current = target;
  }

  advance(ns: number): void {
    this.advanceTo(this.current + ns);
  }

  private pop(): HeapTimer {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    top.done = true;
    return top;
  }

  private compact(): void {
    const live = this.heap.filter((t) => {
      if (t.cancelled) t.done = true;
      return !t.cancelled;
    });
    this.heap = live;
    this.dead = 0;
    // Floyd's bottom-up heap construction.
    for (let i = (live.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const t = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(t, heap[p])) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = t;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const t = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r], heap[l]) ? r : l;
      if (!before(heap[c], t)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = t;
  }
}
