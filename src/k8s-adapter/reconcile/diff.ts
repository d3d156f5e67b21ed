// Desired against current: the minimal INSERT / MODIFY / DELETE updates, ordered
// so references always resolve: objects are created before their referrers and
// referrers deleted before the objects they name (hal-spec §5.3, §6.4). Within a
// batch: inserts by rank, then modifies by rank, then deletes by reverse rank.
import { entryParts, keyString, type TableEntry, type Update } from '../../hal/index.js';
import { rankOf, type CompiledEntry } from '../compile/desired.js';

function rank(entry: TableEntry): number {
  const { member, body } = entryParts(entry);
  return rankOf(member, body);
}

export interface Keyed {
  readonly key: string;
  readonly entry: TableEntry;
  /** Canonical text of the whole entry, for equality. */
  readonly bytes: string;
}

/** JSON with object keys sorted: equal canonical entries give equal text whatever the key order. */
function stableText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableText).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableText(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function keyed(entry: TableEntry): Keyed {
  const { member, table, body } = entryParts(entry);
  // Both sides are canonical (compiler output, Read results), so their text is comparable.
  return { key: `${member}${keyString(table, body)}`, entry, bytes: `${member}:${stableText(body)}` };
}

export interface Diff {
  readonly updates: Update[];
  readonly inserts: number;
  readonly modifies: number;
  readonly deletes: number;
}

/** Key-only body for DELETE. */
function keyOnly(entry: TableEntry): TableEntry {
  const { member, table, body } = entryParts(entry);
  const out: Record<string, unknown> = {};
  for (const f of table.keyFields) if (body[f.name] !== undefined) out[f.name] = body[f.name];
  return { [member]: out } as TableEntry;
}

export function diffStates(desired: readonly TableEntry[], current: readonly TableEntry[]): Diff {
  const index = (list: readonly TableEntry[]) => {
    const m = new Map<string, Keyed>();
    for (const e of list) {
      const k = keyed(e);
      m.set(k.key, k);
    }
    return m;
  };
  const want = index(desired);
  const have = index(current);
  const inserts: TableEntry[] = [];
  const modifies: TableEntry[] = [];
  const deletes: TableEntry[] = [];
  for (const [k, w] of want) {
    const h = have.get(k);
    if (!h) inserts.push(w.entry);
    else if (h.bytes !== w.bytes) modifies.push(w.entry);
  }
  for (const [k, h] of have) if (!want.has(k)) deletes.push(h.entry);
  const byRank = (a: TableEntry, b: TableEntry) => rank(a) - rank(b);
  inserts.sort(byRank);
  modifies.sort(byRank);
  deletes.sort((a, b) => rank(b) - rank(a));
  const updates: Update[] = [
    ...inserts.map((entry): Update => ({ type: 'INSERT', entry })),
    ...modifies.map((entry): Update => ({ type: 'MODIFY', entry })),
    ...deletes.map((entry): Update => ({ type: 'DELETE', entry: keyOnly(entry) })),
  ];
  return { updates, inserts: inserts.length, modifies: modifies.length, deletes: deletes.length };
}

/** A diff between keyed maps of compiled entries (hash equality is entry equality). */
export interface KeyedDiff {
  readonly inserts: CompiledEntry[];
  readonly modifies: CompiledEntry[];
  /** The entries as the device holds them. */
  readonly deletes: CompiledEntry[];
}

/**
 * Desired against the device's entries, over `keys` only (the keys that may have
 * changed since the two were equal) or over everything when `keys` is undefined.
 */
export function diffKeyed(want: (key: string) => CompiledEntry | undefined, wantAll: () => Iterable<CompiledEntry>, have: ReadonlyMap<string, CompiledEntry>, keys?: Iterable<string>): KeyedDiff {
  const inserts: CompiledEntry[] = [];
  const modifies: CompiledEntry[] = [];
  const deletes: CompiledEntry[] = [];
  if (keys) {
    for (const k of keys) {
      const w = want(k);
      const h = have.get(k);
      if (w && !h) inserts.push(w);
      else if (w && h && w.hash !== h.hash) modifies.push(w);
      else if (!w && h) deletes.push(h);
    }
  } else {
    const seen = new Set<string>();
    for (const w of wantAll()) {
      seen.add(w.key);
      const h = have.get(w.key);
      if (!h) inserts.push(w);
      else if (w.hash !== h.hash) modifies.push(w);
    }
    for (const [k, h] of have) if (!seen.has(k)) deletes.push(h);
  }
  return { inserts, modifies, deletes };
}

/** The updates of a diff in reference order: inserts by rank, modifies by rank, deletes by reverse rank. */
export function orderedUpdates(d: KeyedDiff): Update[] {
  const up = (a: CompiledEntry, b: CompiledEntry) => a.rank - b.rank;
  return [
    ...[...d.inserts].sort(up).map((e): Update => ({ type: 'INSERT', entry: e.entry })),
    ...[...d.modifies].sort(up).map((e): Update => ({ type: 'MODIFY', entry: e.entry })),
    ...[...d.deletes].sort((a, b) => b.rank - a.rank).map((e): Update => ({ type: 'DELETE', entry: keyOnly(e.entry) })),
  ];
}
