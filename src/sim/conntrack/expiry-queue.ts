// An indexed binary min-heap of connections by their armed expiry time
// (`timerAt`, ties by `id`). Each live connection is in it exactly once and knows
// its slot (`heapIndex`), so removal and re-keying are O(log n) without search.
//
// Arming is lazy: a packet that extends a connection's life only moves
// `expiresNs`; the heap entry stays where it is, and when it comes due the owner
// re-keys it to the new expiry. Only a shortened timeout (a state change to a
// shorter one) re-keys immediately. So the established hit path does no heap work.

export interface Queued {
  readonly id: number;
  timerAt: number;
  heapIndex: number;
}

function before(a: Queued, b: Queued): boolean {
  return a.timerAt < b.timerAt || (a.timerAt === b.timerAt && a.id < b.id);
}

export class ExpiryQueue<T extends Queued> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest item, or undefined. */
  peek(): T | undefined {
    return this.heap[0];
  }

  /** Every queued item, in heap order (for scans; do not mutate). */
  items(): readonly T[] {
    return this.heap;
  }

  push(item: T): void {
    item.heapIndex = this.heap.length;
    this.heap.push(item);
    this.up(item.heapIndex);
  }

  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    const last = this.heap.pop()!;
    item.heapIndex = -1;
    if (i === this.heap.length) return;
    this.heap[i] = last;
    last.heapIndex = i;
    this.up(i);
    this.down(last.heapIndex);
  }

  /** Moves `item` to a new time, up or down. */
  rekey(item: T, timerAt: number): void {
    const old = item.timerAt;
    item.timerAt = timerAt;
    if (timerAt < old) this.up(item.heapIndex);
    else this.down(item.heapIndex);
  }

  private up(i: number): void {
    const heap = this.heap;
    const x = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const y = heap[p];
      if (!before(x, y)) break;
      heap[i] = y;
      y.heapIndex = i;
      i = p;
    }
    heap[i] = x;
    x.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const x = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r], heap[l]) ? r : l;
      const y = heap[c];
      if (!before(y, x)) break;
      heap[i] = y;
      y.heapIndex = i;
      i = c;
    }
    heap[i] = x;
    x.heapIndex = i;
  }
}
