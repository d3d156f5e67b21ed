// The device's logical-table state with the HAL's programming semantics:
// existence, device-owned rows, referential integrity (no cascade), capacity,
// group limits, and an undo log so a batch can be rolled back exactly.
import protobuf from 'protobufjs';
import {
  HalError,
  describeKey,
  fieldsOf,
  joinPath,
  DigestAccumulator,
  tableCatalog,
  type Counters,
  type TableSchema,
  type UpdateStatus,
  type ValidUpdate,
} from '../../hal/index.js';

export interface StoredEntry {
  readonly table: TableSchema;
  readonly key: string;
  body: Record<string, unknown>;
  readonly deviceOwned: boolean;
  counters: { packets: number; bytes: number };
}

export interface TableLimits {
  readonly maxEntries: number;
  readonly maxGroupMembers?: number;
}

interface RefUse {
  readonly table: string;
  readonly key: string;
  readonly path: string;
}

const refPathCache = new Map<protobuf.Type, ((body: Record<string, unknown>) => RefUse[]) | null>();
const NO_REFS: RefUse[] = [];

/** The references a body makes: each (ref) field, nested and repeated ones included. */
function refsOf(type: protobuf.Type, body: Record<string, unknown>): RefUse[] {
  const fn = refFinder(type);
  return fn ? fn(body) : NO_REFS;
}

/**
 * Compiled once per type: visits only (ref) fields and sub-messages that can
 * hold one (a route's `drop {}` cannot), or null when the type holds none.
 */
function refFinder(type: protobuf.Type): ((body: Record<string, unknown>) => RefUse[]) | null {
  if (refPathCache.has(type)) return refPathCache.get(type)!;
  refPathCache.set(type, null); // recursion guard: a type under construction holds no refs yet
  const visits: ((b: Record<string, unknown>, out: RefUse[]) => void)[] = [];
  for (const fs of fieldsOf(type)) {
    const name = fs.name;
    const rt = fs.field.resolvedType;
    if (fs.ref) {
      const table = fs.ref;
      visits.push((b, out) => {
        const v = b[name];
        if (v === undefined) return;
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            // A default value (0, "") names no object: zone 0 and "no id" are implicit.
            if (v[i] !== 0 && v[i] !== '') out.push({ table, key: JSON.stringify([v[i]]), path: `${name}[${i}]` });
          }
        } else if (v !== 0 && v !== '') out.push({ table, key: JSON.stringify([v]), path: name });
      });
    } else if (rt instanceof protobuf.Type) {
      const inner = refFinder(rt);
      if (!inner) continue;
      visits.push((b, out) => {
        const v = b[name];
        if (v === undefined) return;
        const items = Array.isArray(v) ? v : [v];
        items.forEach((x, i) => {
          for (const r of inner(x as Record<string, unknown>)) {
            out.push({ ...r, path: joinPath(Array.isArray(v) ? `${name}[${i}]` : name, r.path) });
          }
        });
      });
    }
  }
  const fn = visits.length
    ? (b: Record<string, unknown>) => {
        const out: RefUse[] = [];
        for (let i = 0; i < visits.length; i++) visits[i](b, out);
        return out;
      }
    : null;
  refPathCache.set(type, fn);
  return fn;
}

const GROUP_MEMBERS: Record<string, string> = { ecmp_group: 'members', backend_group: 'members' };

type Undo = () => void;

export class TableStore {
  /** Entries by table name, then key. */
  private readonly tables = new Map<string, Map<string, StoredEntry>>();
  /** References held on each object ("table|key" → count). */
  private readonly refCounts = new Map<string, number>();
  /** Bumped on every change of a table: lookup structures rebuild when it moves. */
  private readonly versions = new Map<string, number>();
  private undoLog: Undo[] | null = null;
  private readonly acc = new DigestAccumulator();

  constructor(private readonly limits: Readonly<Record<string, TableLimits>>) {
    for (const t of tableCatalog().values()) {
      this.tables.set(t.name, new Map());
      this.versions.set(t.name, 0);
    }
  }

  supports(table: string): boolean {
    return this.limits[table] !== undefined;
  }

  /** Installs a device-owned row (ports, zone 0) at start-up. */
  seed(table: TableSchema, key: string, body: Record<string, unknown>): void {
    this.tables.get(table.name)!.set(key, { table, key, body, deviceOwned: true, counters: { packets: 0, bytes: 0 } });
    this.acc.add(table, body);
  }

  version(table: string): number {
    return this.versions.get(table)!;
  }

  entries(table: string): IterableIterator<StoredEntry> {
    return this.tables.get(table)!.values();
  }

  get(table: string, key: string): StoredEntry | undefined {
    return this.tables.get(table)!.get(key);
  }

  /** An object by id (object tables are keyed by JSON [id]). */
  object(table: string, id: string | number): StoredEntry | undefined {
    return this.get(table, JSON.stringify([id]));
  }

  count(table: string): number {
    return this.tables.get(table)!.size;
  }

  *all(): IterableIterator<StoredEntry> {
    for (const t of this.tables.values()) yield* t.values();
  }

  /** Kept per update, so reading it is O(1) (src/hal/digest.ts). */
  digest(): string {
    return this.acc.value();
  }

  /** Runs `fn` so that `rollback()` can undo every change it made. */
  transaction<T>(fn: (rollback: () => void) => T): T {
    const log: Undo[] = [];
    this.undoLog = log;
    try {
      return fn(() => {
        for (const undo of log.reverse()) undo();
        log.length = 0;
      });
    } finally {
      this.undoLog = null;
    }
  }

  /** Applies one validated update; returns its status. A failure changes nothing. */
  apply(u: ValidUpdate, basePath: string): UpdateStatus {
    try {
      this.applyOrThrow(u, basePath);
      return { code: 'OK' };
    } catch (e) {
      if (e instanceof HalError) return e.toStatus();
      throw e;
    }
  }

  private applyOrThrow(u: ValidUpdate, path: string): void {
    const name = u.table.name;
    const limits = this.limits[name];
    if (!limits) throw HalError.of('TABLE_UNSUPPORTED', `table ${name} is not supported by this device`, path);
    const rows = this.tables.get(name)!;
    const existing = rows.get(u.key);
    switch (u.type) {
      case 'INSERT': {
        // hal-spec §5.4: existence (step 5) is checked before device-owned rows (step 6).
        if (existing) throw HalError.of('ENTRY_EXISTS', `${describeKey(u.table, u.body)} already exists`, path);
        if (u.table.deviceOwnedRows && name === 'port') throw HalError.of('DEVICE_OWNED', 'ports are created by the device, not inserted', path);
        this.checkRefs(u.table, u.body, path);
        this.checkUnderlay(name, u.body, path, undefined);
        this.checkGroup(name, u.body, limits, path);
        if (rows.size >= limits.maxEntries) throw HalError.of('TABLE_FULL', `${name} is full (${limits.maxEntries} entries)`, path);
        this.put(name, { table: u.table, key: u.key, body: u.body, deviceOwned: false, counters: { packets: 0, bytes: 0 } });
        return;
      }
      case 'MODIFY': {
        if (!existing) throw HalError.of('ENTRY_NOT_FOUND', `${describeKey(u.table, u.body)} does not exist`, path);
        this.checkRefs(u.table, u.body, path);
        this.checkUnderlay(name, u.body, path, existing);
        this.checkGroup(name, u.body, limits, path);
        this.put(name, { ...existing, body: u.body });
        return;
      }
      case 'DELETE': {
        if (!existing) throw HalError.of('ENTRY_NOT_FOUND', `${describeKey(u.table, u.body)} does not exist`, path);
        if (existing.deviceOwned) throw HalError.of('DEVICE_OWNED', `${describeKey(u.table, u.body)} belongs to the device and cannot be deleted`, path);
        const users = this.refCounts.get(`${name}|${u.key}`) ?? 0;
        if (users > 0) throw HalError.of('OBJECT_IN_USE', `${describeKey(u.table, u.body)} is referenced by ${users} entr${users === 1 ? 'y' : 'ies'}`, path);
        this.remove(name, u.key);
        return;
      }
    }
  }

  private checkRefs(table: TableSchema, body: Record<string, unknown>, path: string): void {
    for (const r of refsOf(table.type, body)) {
      if (!this.tables.get(r.table)!.has(r.key)) {
        throw HalError.of('REFERENCE_MISSING', `${r.table} ${JSON.parse(r.key)[0]} does not exist`, joinPath(path, r.path));
      }
    }
  }

  /**
   * hal-spec §6.2: a tunnel's underlay next hop must be a port next hop, and a
   * next hop some tunnel uses as underlay cannot be turned into a tunnel next hop.
   */
  private checkUnderlay(name: string, body: Record<string, unknown>, path: string, existing: StoredEntry | undefined): void {
    if (name === 'tunnel' && body.underlayNexthopId) {
      const nh = this.object('nexthop', body.underlayNexthopId as string);
      if (nh && !nh.body.port) throw HalError.of('FIELD_INVALID', `underlay next hop ${body.underlayNexthopId} is not a port next hop`, joinPath(path, 'underlayNexthopId'));
    }
    if (name === 'nexthop' && existing && !body.port) {
      for (const t of this.entries('tunnel')) {
        if (t.body.underlayNexthopId === body.id) {
          throw HalError.of('OBJECT_IN_USE', `next hop ${body.id} is the underlay of tunnel ${t.body.id as string} and must stay a port next hop`, path);
        }
      }
    }
  }

  private checkGroup(name: string, body: Record<string, unknown>, limits: TableLimits, path: string): void {
    const field = GROUP_MEMBERS[name];
    const members = field ? ((body[field] as unknown[]) ?? []) : [];
    if (limits.maxGroupMembers !== undefined && members.length > limits.maxGroupMembers) {
      throw HalError.of('GROUP_TOO_LARGE', `${members.length} members exceed the limit of ${limits.maxGroupMembers}`, joinPath(path, field));
    }
  }

  /** Adds (1) or withdraws (-1) an entry's references and its digest share. */
  private account(e: StoredEntry, delta: 1 | -1): void {
    if (delta === 1) this.acc.add(e.table, e.body);
    else this.acc.remove(e.table, e.body);
    for (const r of refsOf(e.table.type, e.body)) {
      const k = `${r.table}|${r.key}`;
      const n = (this.refCounts.get(k) ?? 0) + delta;
      if (n === 0) this.refCounts.delete(k);
      else this.refCounts.set(k, n);
    }
  }

  private bump(name: string): void {
    this.versions.set(name, this.versions.get(name)! + 1);
  }

  private put(name: string, e: StoredEntry): void {
    const rows = this.tables.get(name)!;
    const before = rows.get(e.key);
    if (before) this.account(before, -1);
    rows.set(e.key, e);
    this.account(e, 1);
    this.bump(name);
    this.undoLog?.push(() => {
      this.account(e, -1);
      if (before) {
        rows.set(e.key, before);
        this.account(before, 1);
      } else rows.delete(e.key);
      this.bump(name);
    });
  }

  private remove(name: string, key: string): void {
    const rows = this.tables.get(name)!;
    const before = rows.get(key)!;
    rows.delete(key);
    this.account(before, -1);
    this.bump(name);
    this.undoLog?.push(() => {
      rows.set(key, before);
      this.account(before, 1);
      this.bump(name);
    });
  }

  countersOf(e: StoredEntry): Counters {
    return { packets: e.counters.packets, bytes: e.counters.bytes };
  }
}
