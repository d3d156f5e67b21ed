// The lookup index of the conntrack table: an open-addressing hash table
// (linear probing, load <= 1/2) in two Int32Arrays, holding both direction tuples
// of every connection. A lookup hashes the tuple's fields in place (no key string,
// no allocation), probes, and compares the candidate's stored tuple. Deletion
// shifts later members of the cluster back (no tombstones), so probe lengths stay
// short under churn.
import type { CtEntry } from './entry.js';
import type { Tuple } from './tuple.js';

/** 30-bit hash of a zone and tuple (fits a small integer; 0 is a valid hash). */
export function hashTuple(zone: number, t: Tuple): number {
  let h = Math.imul(zone ^ 0x9e3779b9, 0x85ebca6b) ^ t.protocol;
  const a = t.srcIp;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ t.srcPort, 0x01000193);
  const b = t.dstIp;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ t.dstPort, 0x01000193);
  // murmur3 fmix32 spreads the low bits used for the slot.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

export function sameTuple(a: Tuple, b: Tuple): boolean {
  return a.srcPort === b.srcPort && a.dstPort === b.dstPort && a.protocol === b.protocol && a.srcIp === b.srcIp && a.dstIp === b.dstIp;
}

const INITIAL_CAPACITY = 1024;

export class TupleIndex {
  /**
   * Pairs [code, hash] per slot, interleaved so a probe touches one cache line.
   * code 0 = empty, else ((entry slot << 1) | direction) + 1.
   */
  private table = new Int32Array(2 * INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private used = 0;
  private readonly entries: (CtEntry | undefined)[] = [];
  private readonly freeSlots: number[] = [];

  /** The entry of a code returned by find. */
  entry(code: number): CtEntry {
    return this.entries[(code - 1) >> 1]!;
  }

  /** 0 = original, 1 = reply. */
  static dir(code: number): number {
    return (code - 1) & 1;
  }

  /** The code of the connection that has `t` (hash `h`) as one of its tuples in `zone`, or 0. */
  find(zone: number, t: Tuple, h: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const c = table[2 * i];
      if (c === 0) return 0;
      if (table[2 * i + 1] !== h) continue;
      const e = this.entries[(c - 1) >> 1]!;
      if (e.zone === zone && sameTuple((c - 1) & 1 ? e.reply : e.original, t)) return c;
    }
  }

  /** Indexes both tuples of a new entry (one, when they are equal). */
  add(e: CtEntry): void {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.entries.length;
    this.entries[slot] = e;
    e.slot = slot;
    if ((this.used + 2) * 4 > this.table.length) this.grow();
    this.put(e.origHash, (slot << 1) + 1);
    if (!sameTuple(e.original, e.reply)) this.put(e.replyHash, (slot << 1) + 2);
  }

  remove(e: CtEntry): void {
    const slot = e.slot;
    this.del(e.origHash, (slot << 1) + 1);
    if (!sameTuple(e.original, e.reply)) this.del(e.replyHash, (slot << 1) + 2);
    this.entries[slot] = undefined;
    this.freeSlots.push(slot);
  }

  private put(h: number, code: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    while (table[2 * i] !== 0) i = (i + 1) & mask;
    table[2 * i] = code;
    table[2 * i + 1] = h;
    this.used++;
  }

  private del(h: number, code: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = h & mask;
    while (table[2 * i] !== code) {
      if (table[2 * i] === 0) return; // not present (cannot happen for an indexed entry)
      i = (i + 1) & mask;
    }
    // Backward-shift deletion (Knuth 6.4, algorithm R).
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (table[2 * j] === 0) break;
      const home = table[2 * j + 1] & mask;
      // Leave j where it is when its home lies cyclically in (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (inRange) continue;
      table[2 * i] = table[2 * j];
      table[2 * i + 1] = table[2 * j + 1];
      i = j;
    }
    table[2 * i] = 0;
    this.used--;
  }

  private grow(): void {
    const old = this.table;
    const cap = old.length; // slots double: 2 ints per slot
    this.table = new Int32Array(2 * cap);
    this.mask = cap - 1;
    this.used = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.put(old[i + 1], old[i]);
  }
}
