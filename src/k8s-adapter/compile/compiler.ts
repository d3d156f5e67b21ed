// The compiler: a pure, deterministic function from cluster state and one node's
// configuration to the HAL state that node's device should hold. Every entry is
// passed through the HAL's own validation (checkUpdate) and returned in canonical
// form, so the reconciler can compare it with what Read returns.
//
// `compile(state, config)` is the pure function; `Compiler` gives the same
// result for each state it is handed but keeps its work between calls, so a
// change costs what the changed objects cost (incremental.ts).
import { entryParts, keyString, type TableEntry } from '../../hal/index.js';
import type { ClusterState } from '../cluster-state.js';
import type { NodeConfig } from '../node-config.js';
import type { Problem } from './context.js';
import { tablesOf, type CompiledEntry, type DesiredStore } from './desired.js';
import { IncrementalCompiler, type CompilePass } from './incremental.js';

/** The tables the adapter owns; it never touches any other (ports, zones, QoS, crypto). */
export const MANAGED_TABLES = ['endpoint', 'nexthop', 'tunnel', 'tunnel_term', 'route', 'backend_group', 'service', 'service_source', 'acl', 'snat', 'flow_log'] as const;
export type ManagedTable = (typeof MANAGED_TABLES)[number];

const MASK = (1n << 256n) - 1n;

/**
 * One version of the desired state. It reads the compiler's live map: the
 * current version directly, an older one through the map's journal (the last
 * 32 versions); `tables` is built on first use.
 */
export class DesiredState {
  private cachedTables: Record<ManagedTable, TableEntry[]> | undefined;
  private cachedEntries: CompiledEntry[] | undefined;

  constructor(
    readonly store: DesiredStore,
    readonly version: number,
    /** Objects that were reported and skipped (or partly skipped). */
    readonly problems: readonly Problem[],
    /** Things done on purpose that an operator may want to know (skipped services, ...). */
    readonly notes: readonly string[],
  ) {}

  /** Whether this is the compiler's latest version (the reconciler then reads the live map). */
  get current(): boolean {
    return this.version === this.store.version;
  }

  /** Every desired entry of this version. */
  compiled(): readonly CompiledEntry[] {
    if (this.current) return [...this.store.entries()];
    this.cachedEntries ??= this.store.entriesAt(this.version);
    if (!this.cachedEntries) throw new Error(`desired state version ${this.version} is too old to read (the compiler is at ${this.store.version})`);
    return this.cachedEntries;
  }

  get size(): number {
    return this.current ? this.store.size : this.compiled().length;
  }

  /** Sum of the record hashes of the entries in these tables (hal-spec §9.2's S, before the final hash). */
  hashSum(tables: ReadonlySet<string>): bigint {
    let sum = 0n;
    if (this.current) for (const t of tables) sum += this.store.tableSum(t);
    else for (const e of this.compiled()) if (tables.has(e.table)) sum += e.hash;
    return sum & MASK;
  }

  /** Canonical entries per managed table, sorted by key. */
  get tables(): Readonly<Record<ManagedTable, readonly TableEntry[]>> {
    this.cachedTables ??= tablesOf(MANAGED_TABLES, this.compiled());
    return this.cachedTables;
  }

  toJSON(): unknown {
    return { tables: this.tables, problems: this.problems, notes: this.notes };
  }
}

/** The compiler for one node, keeping per-object results between calls. */
export class Compiler {
  private readonly inner: IncrementalCompiler;
  private last: CompilePass | undefined;

  constructor(readonly config: NodeConfig) {
    this.inner = new IncrementalCompiler(config);
  }

  compile(state: ClusterState): DesiredState {
    this.last = this.inner.compile(state);
    return new DesiredState(this.inner.store, this.last.version, this.last.problems, this.last.notes);
  }

  /** What the last compile saw change among EndpointSlices. */
  get lastPass(): CompilePass | undefined {
    return this.last;
  }
}

export function compile(state: ClusterState, config: NodeConfig): DesiredState {
  return new Compiler(config).compile(state);
}

/** The key of a canonical entry ("table" + key fields), for diffing. */
export function entryKey(entry: TableEntry): string {
  const { member, table, body } = entryParts(entry);
  return `${member}${keyString(table, body)}`;
}

export function desiredEntries(d: DesiredState): TableEntry[] {
  return MANAGED_TABLES.flatMap((t) => d.tables[t]);
}
