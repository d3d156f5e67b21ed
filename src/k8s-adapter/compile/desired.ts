// The desired HAL state as a keyed map that the incremental compiler updates in
// place, with a journal of what each version changed. The journal serves two
// readers: the reconciler (which keys changed since the version it last
// converged on: it diffs only those) and snapshots (a DesiredState of an older
// version rebuilds its tables from the live map plus the journal's old values).
import { checkUpdate, recordHash, type TableEntry } from '../../hal/index.js';
import type { Problem } from './context.js';

/** One canonical entry with what the reconciler needs: its key, its digest hash, its reference rank. */
export interface CompiledEntry {
  /** member + key fields: the entry's identity (as `entryKey`). */
  readonly key: string;
  readonly member: string;
  /** snake_case table name (as Describe and MANAGED_TABLES spell it). */
  readonly table: string;
  readonly entry: TableEntry;
  /** hal-spec §9.2 record hash: equal hashes mean equal entries; the digest is their sum. */
  readonly hash: bigint;
  /** Reference depth: a table refers only to tables of a lower rank (writes go up, deletes down). */
  readonly rank: number;
}

/** Reference depth of an entry (hal-spec §5.3, §6.4). */
export function rankOf(member: string, body: Record<string, unknown>): number {
  switch (member) {
    case 'backendGroup':
    case 'flowLog':
      return 0;
    case 'nexthop':
      // Port next hops are tunnels' underlay; tunnel next hops refer to tunnels.
      return body.tunnelId ? 3 : 1;
    case 'tunnel':
    case 'tunnelTerm':
      return 2;
    case 'ecmpGroup':
      return 4;
    default:
      return 5; // endpoint, route, service, service_source, acl, snat
  }
}

/**
 * Validates and canonicalizes one object's raw entries through the HAL's own
 * checkUpdate; an invalid entry is reported and dropped; duplicate keys keep
 * the first. Runs once per compiled object, not per pass.
 */
export function canonicalEntries(raw: readonly TableEntry[], problems: Problem[]): CompiledEntry[] {
  const out: CompiledEntry[] = [];
  const seen = new Set<string>();
  for (const e of raw) {
    const checked = checkUpdate({ type: 'INSERT', entry: e }, 0);
    if (!checked.ok) {
      const member = Object.keys(e)[0] ?? '?';
      problems.push({ object: `${member} entry`, message: `${checked.status.reason}: ${checked.status.message} (${JSON.stringify(e)})` });
      continue;
    }
    const { member, table, body } = checked.update;
    const key = `${member}${checked.update.key}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, member, table: table.name, entry: { [member]: body } as TableEntry, hash: recordHash(table, body), rank: rankOf(member, body) });
  }
  return out;
}

const MOD = 1n << 256n;
const MASK = MOD - 1n;

/** One version's changes: key -> the entry it had before (undefined: absent). */
type JournalRecord = Map<string, CompiledEntry | undefined>;

/** How many versions back the journal reaches (older snapshots and reconciler views fall back to a full diff). */
const JOURNAL_DEPTH = 32;

/**
 * The live desired map. Several objects may contribute the same key (the
 * compiler resolves the conflicts it knows of; this keeps any other
 * deterministic): the first contributor registered is the one in effect.
 */
export class DesiredStore {
  private readonly live = new Map<string, CompiledEntry[]>();
  private readonly sums = new Map<string, bigint>();
  private readonly journal = new Map<number, JournalRecord>();
  private current: JournalRecord = new Map();
  version = 0;

  get size(): number {
    return this.live.size;
  }

  get(key: string): CompiledEntry | undefined {
    return this.live.get(key)?.[0];
  }

  entries(): IterableIterator<CompiledEntry> {
    const it = this.live.values();
    return (function* () {
      for (const list of it) yield list[0];
    })();
  }

  /** Sum of record hashes of the entries in effect in one table (mod 2^256). */
  tableSum(table: string): bigint {
    return this.sums.get(table) ?? 0n;
  }

  /** Replaces one object's contribution: `before` (what it gave last time) by `after`. */
  replace(before: readonly CompiledEntry[] | undefined, after: readonly CompiledEntry[]): void {
    if (before === after) return;
    const next = new Map<string, CompiledEntry>();
    for (const e of after) next.set(e.key, e);
    for (const e of before ?? []) {
      const n = next.get(e.key);
      if (n && n.hash === e.hash) {
        next.delete(e.key); // unchanged: keep the registered contribution
        continue;
      }
      this.remove(e);
    }
    for (const e of next.values()) this.add(e);
  }

  private add(e: CompiledEntry): void {
    const list = this.live.get(e.key);
    if (!list) {
      this.record(e.key, undefined);
      this.live.set(e.key, [e]);
      this.adjust(e.table, e.hash);
      return;
    }
    list.push(e);
  }

  private remove(e: CompiledEntry): void {
    const list = this.live.get(e.key);
    if (!list) return;
    const i = list.findIndex((x) => x === e || (x.hash === e.hash && x.key === e.key));
    if (i < 0) return;
    if (i > 0) {
      list.splice(i, 1);
      return;
    }
    this.record(e.key, e);
    this.adjust(e.table, -e.hash);
    list.shift();
    if (!list.length) this.live.delete(e.key);
    else this.adjust(list[0].table, list[0].hash);
  }

  private adjust(table: string, delta: bigint): void {
    this.sums.set(table, (((this.sums.get(table) ?? 0n) + delta) % MOD + MOD) & MASK);
  }

  private record(key: string, before: CompiledEntry | undefined): void {
    if (!this.current.has(key)) this.current.set(key, before);
  }

  /** Closes the version being built: its changes go to the journal. */
  commit(): number {
    this.version++;
    this.journal.set(this.version, this.current);
    this.current = new Map();
    this.journal.delete(this.version - JOURNAL_DEPTH);
    return this.version;
  }

  /** Keys whose entry may differ between version `from` and the current one; undefined when the journal no longer reaches back. */
  changedSince(from: number): Set<string> | undefined {
    if (from > this.version) return undefined;
    const out = new Set<string>();
    for (let v = from + 1; v <= this.version; v++) {
      const rec = this.journal.get(v);
      if (!rec) return undefined;
      for (const k of rec.keys()) out.add(k);
    }
    return out;
  }

  /** The entries in effect at an earlier version (the live map with later changes undone). */
  entriesAt(version: number): CompiledEntry[] | undefined {
    if (version === this.version) return [...this.entries()];
    const undo = new Map<string, CompiledEntry | undefined>();
    for (let v = this.version; v > version; v--) {
      const rec = this.journal.get(v);
      if (!rec) return undefined;
      for (const [k, before] of rec) undo.set(k, before);
    }
    const out: CompiledEntry[] = [];
    for (const e of this.entries()) if (!undo.has(e.key)) out.push(e);
    for (const before of undo.values()) if (before) out.push(before);
    return out;
  }
}

/** Canonical entries per managed table, sorted by key. */
export function tablesOf<T extends string>(names: readonly T[], entries: readonly CompiledEntry[]): Record<T, TableEntry[]> {
  const byTable = new Map<string, CompiledEntry[]>();
  for (const e of entries) {
    const list = byTable.get(e.table);
    if (list) list.push(e);
    else byTable.set(e.table, [e]);
  }
  const out = {} as Record<T, TableEntry[]>;
  for (const t of names) {
    const list = byTable.get(t) ?? [];
    list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    out[t] = list.map((e) => e.entry);
  }
  return out;
}
