// The reconciler: makes the device hold exactly the desired entries of the tables
// the adapter owns, and proves it with the HAL digest.
//
// One pass: GetState; if generation and digest are what our last write left, the
// device still holds our last desired state and we diff against that; otherwise
// (first pass, another writer, a device restart — generation went backwards — or
// a different device identity) it reads every managed table: a full resync.
// Then the minimal updates are written in reference order, in chunks of the
// device's batch limit, DATAPLANE_ATOMIC when the device offers it (a replaced
// policy set is never seen half-applied), each chunk conditional on the
// generation we read. Finally GetState's digest must equal the digest of the
// desired entries plus the rows we do not own; anything else is a failed pass.
// Failed passes retry with exponential backoff; a retry always re-reads.
import {
  entryParts,
  keyString,
  recordHash,
  type HalError,
  isHalError,
  stateDigest,
  type Atomicity,
  type DescribeResponse,
  type Hal,
  type IpAddress,
  type TableEntry,
  type Update,
} from '../../hal/index.js';
import { MANAGED_TABLES, type DesiredState } from '../compile/compiler.js';
import { rankOf, type CompiledEntry, type DesiredStore } from '../compile/desired.js';
import type { AdapterMetrics } from '../metrics.js';
import { diffKeyed, keyed, orderedUpdates, type KeyedDiff } from './diff.js';
import { digestFromSum } from './digest-sum.js';
import { removedUdpBackends } from './udp-backends.js';

export interface ReconcilerOptions {
  readonly hal: Hal;
  /** Waits between retries; tests pass a recorder so no real time passes. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly maxAttempts?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly log?: (line: string) => void;
  readonly metrics?: AdapterMetrics;
}

export interface ReconcileResult {
  readonly converged: boolean;
  readonly attempts: number;
  readonly inserts: number;
  readonly modifies: number;
  readonly deletes: number;
  readonly batches: number;
  /** Whether this pass read the whole device (first pass, restart, foreign writes). */
  readonly fullResync: boolean;
  readonly generation: number;
  readonly digest: string;
  readonly expectedDigest: string;
  readonly conntrackFlushed: number;
  /** Where the last attempt's time went, in milliseconds (wall clock; for benchmarks and logs). */
  readonly timings?: { readonly readMs: number; readonly diffMs: number; readonly writeMs: number; readonly checkMs: number };
  readonly error?: string;
}

/** Codes worth another try: the device or link was busy, or our view was stale. */
const RETRYABLE = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ABORTED', 'FAILED_PRECONDITION', 'INTERNAL', 'CANCELLED']);
/** In a failed batch: our view of the device was stale (another writer), so re-read and retry. */
const STALE_VIEW = new Set(['ALREADY_EXISTS', 'NOT_FOUND', 'FAILED_PRECONDITION']);

function retryable(err: HalError): boolean {
  if (err.code !== 'UNKNOWN' || !err.updates) return RETRYABLE.has(err.code);
  const failed = err.updates.find((s) => s.code && s.code !== 'OK' && s.reason !== 'BATCH_ROLLED_BACK');
  return !!failed && STALE_VIEW.has(String(failed.code));
}

/** The device as of our last converged pass, kept by following our own writes. */
interface Known {
  readonly generation: number;
  readonly digest: string;
  readonly serial: string;
  /** Our entries on the device, by key. */
  readonly managed: Map<string, CompiledEntry>;
  /** Sum of record hashes of the rows we do not own (device-owned rows, other tables). */
  readonly unmanagedSum: bigint;
  /** Backend groups UDP services of `managed` use. */
  readonly udpGroups: UdpGroups;
  /** The desired version `managed` equals (restricted to the tables the device has). */
  readonly store?: DesiredStore;
  readonly version?: number;
}

const FAILED = { converged: false, inserts: 0, modifies: 0, deletes: 0, batches: 0, fullResync: true, generation: -1, digest: '', expectedDigest: '', conntrackFlushed: 0 } as const;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Reconciler {
  private known: Known | undefined;
  private description: DescribeResponse | undefined;
  private conntrackSupported = true;

  constructor(private readonly opts: ReconcilerOptions) {}

  /** Forget what the device holds: the next pass reads everything (reconnects call this). */
  invalidate(reason = 'requested'): void {
    if (this.known) this.opts.log?.(`reconciler: full resync scheduled (${reason})`);
    this.known = undefined;
    this.description = undefined;
  }

  async reconcile(desired: DesiredState): Promise<ReconcileResult> {
    const max = this.opts.maxAttempts ?? 6;
    let lastError = '';
    for (let attempt = 1; attempt <= max; attempt++) {
      try {
        const r = await this.pass(desired);
        this.opts.metrics?.syncs.inc({ result: r.converged ? 'converged' : 'diverged' });
        if (r.converged) return { ...r, attempts: attempt };
        lastError = `digest ${r.digest} differs from the desired ${r.expectedDigest}`;
        this.invalidate('digest mismatch after write');
      } catch (err) {
        lastError = isHalError(err) ? err.toString() + firstFailedUpdate(err) : err instanceof Error ? err.message : String(err);
        this.opts.metrics?.syncs.inc({ result: 'error' });
        this.known = undefined;
        if (isHalError(err) && !retryable(err)) {
          this.opts.log?.(`reconciler: giving up: ${lastError}`);
          return { ...FAILED, attempts: attempt, error: lastError };
        }
        this.description = undefined;
      }
      if (attempt < max) {
        const base = this.opts.baseBackoffMs ?? 100;
        const delay = Math.min(this.opts.maxBackoffMs ?? 10_000, base * 2 ** (attempt - 1));
        this.opts.log?.(`reconciler: attempt ${attempt} failed (${lastError}); retrying in ${delay} ms`);
        await (this.opts.sleep ?? defaultSleep)(delay);
      }
    }
    return { ...FAILED, attempts: max, error: lastError };
  }

  private async describe(): Promise<DescribeResponse> {
    this.description ??= await this.opts.hal.describe();
    return this.description;
  }

  private async pass(desired: DesiredState): Promise<Omit<ReconcileResult, 'attempts'>> {
    const hal = this.opts.hal;
    const t0 = performance.now();
    const d = await this.describe();
    const serial = `${d.identity?.vendor}/${d.identity?.model}/${d.identity?.serial}`;
    const supported = new Set((d.capabilities?.tables ?? []).map((t) => String(t.name)));
    const state = await hal.getState();

    let managed: Map<string, CompiledEntry>;
    let unmanagedSum: bigint;
    let udpGroups: UdpGroups;
    let changed: Set<string> | undefined;
    let fullResync = false;
    const k = this.known;
    if (k && k.serial === serial && k.generation === state.generation && k.digest === state.digest) {
      managed = k.managed;
      unmanagedSum = k.unmanagedSum;
      udpGroups = k.udpGroups;
      // Our view equals an earlier version of this desired map: only the keys changed since can differ.
      if (k.store === desired.store && k.version !== undefined && desired.current) changed = desired.store.changedSince(k.version);
    } else {
      const reason = !k ? 'first sync' : k.serial !== serial ? 'device identity changed' : (state.generation ?? 0) < k.generation ? 'device restarted (generation went back)' : 'device changed by another writer';
      if (k) this.opts.log?.(`reconciler: full resync: ${reason}`);
      this.opts.metrics?.resyncs.inc({ reason });
      fullResync = true;
      ({ managed, unmanagedSum } = await this.readDevice());
      udpGroups = new UdpGroups();
      for (const e of managed.values()) udpGroups.add(e);
    }
    this.known = undefined;
    const t1 = performance.now();

    for (const t of MANAGED_TABLES) {
      if (!supported.has(t) && desired.tables[t].length) this.opts.log?.(`reconciler: the device has no "${t}" table; ${desired.tables[t].length} entries not programmed`);
    }
    const want = wantOf(desired, supported);
    const diff = diffKeyed(want.get, want.all, managed, changed);
    const expectedDigest = digestFromSum(desired.hashSum(supported) + unmanagedSum);
    const updates = orderedUpdates(diff);
    const udpBefore = updates.length && this.touchesUdp(diff, managed, udpGroups) ? [...managed.values()].map((e) => e.entry) : undefined;

    const t2 = performance.now();
    let generation = state.generation ?? 0;
    let batches = 0;
    if (updates.length) {
      const atomicity = pickAtomicity(d.capabilities?.atomicityModes ?? []);
      const size = Math.max(1, d.capabilities?.maxBatchSize || updates.length);
      for (let i = 0; i < updates.length; i += size) {
        const chunk: Update[] = updates.slice(i, i + size);
        // Conditional on the state we diffed against: a concurrent writer makes this fail, and we re-read.
        const res = await hal.write({ atomicity, updates: chunk, ...(generation ? { expectedGeneration: generation } : {}) });
        generation = res.generation ?? generation;
        batches++;
      }
      // Follow our own writes: the view now holds what we wrote.
      for (const e of [...diff.modifies, ...diff.deletes]) udpGroups.remove(managed.get(e.key));
      for (const e of [...diff.inserts, ...diff.modifies]) udpGroups.add(e);
      for (const e of diff.inserts) managed.set(e.key, e);
      for (const e of diff.modifies) managed.set(e.key, e);
      for (const e of diff.deletes) managed.delete(e.key);
      this.opts.metrics?.updates.inc({ type: 'insert' }, diff.inserts.length);
      this.opts.metrics?.updates.inc({ type: 'modify' }, diff.modifies.length);
      this.opts.metrics?.updates.inc({ type: 'delete' }, diff.deletes.length);
    }
    const t3 = performance.now();
    const conntrackFlushed = udpBefore ? await this.flushUdp(udpBefore, [...managed.values()].map((e) => e.entry)) : 0;
    // Nothing written: the state we read is the state now.
    const after = updates.length ? await hal.getState() : state;
    const converged = after.digest === expectedDigest;
    if (converged) this.known = { generation: after.generation ?? 0, digest: after.digest ?? '', serial, managed, unmanagedSum, udpGroups, store: desired.store, version: desired.version };
    return {
      converged,
      inserts: diff.inserts.length,
      modifies: diff.modifies.length,
      deletes: diff.deletes.length,
      batches,
      fullResync,
      generation: after.generation ?? 0,
      digest: after.digest ?? '',
      expectedDigest,
      conntrackFlushed,
      timings: { readMs: t1 - t0, diffMs: t2 - t1, writeMs: t3 - t2, checkMs: performance.now() - t3 },
    };
  }

  /** Every row of the device: ours by key (with their record hashes), the rest as a hash sum. */
  private async readDevice(): Promise<{ managed: Map<string, CompiledEntry>; unmanagedSum: bigint }> {
    const records = await this.opts.hal.read({});
    const managed = new Map<string, CompiledEntry>();
    let unmanagedSum = 0n;
    const owned = new Set<string>(MANAGED_TABLES);
    for (const r of records) {
      if (!r.entry) continue;
      const { member, table, body } = entryParts(r.entry);
      const hash = recordHash(table, body);
      if (owned.has(table.name) && !r.deviceOwned) {
        const key = `${member}${keyString(table, body)}`;
        managed.set(key, { key, member, table: table.name, entry: r.entry, hash, rank: rankOf(member, body) });
      } else unmanagedSum += hash;
    }
    return { managed, unmanagedSum };
  }

  /** Whether a diff may remove a backend from a UDP service (then conntrack needs flushing). */
  private touchesUdp(diff: KeyedDiff, managed: ReadonlyMap<string, CompiledEntry>, udpGroups: UdpGroups): boolean {
    for (const e of [...diff.modifies, ...diff.deletes]) {
      if (udpGroupOf(e) !== undefined || udpGroupOf(managed.get(e.key)) !== undefined) return true;
      if (e.member === 'backendGroup' && udpGroups.has(String((e.entry.backendGroup as { id?: string }).id))) return true;
    }
    return false;
  }

  /** kube-proxy's stale-UDP fix: flows to a backend that left a UDP service are flushed. */
  private async flushUdp(before: readonly TableEntry[], after: readonly TableEntry[]): Promise<number> {
    if (!this.conntrackSupported) return 0;
    let total = 0;
    for (const ip of removedUdpBackends(before, after)) {
      try {
        const r = await this.opts.hal.deleteConntrack({ filter: { protocol: 17, replySrcIp: ip as IpAddress } });
        total += r.deleted ?? 0;
      } catch (err) {
        if (isHalError(err) && (err.code === 'UNIMPLEMENTED' || err.reason === 'FEATURE_UNSUPPORTED')) {
          this.conntrackSupported = false;
          this.opts.log?.('reconciler: the device has no conntrack; nothing to flush');
          return total;
        }
        throw err;
      }
    }
    if (total) this.opts.metrics?.conntrackFlushed.inc(total);
    return total;
  }
}

function pickAtomicity(modes: readonly Atomicity[]): Atomicity {
  if (modes.includes('DATAPLANE_ATOMIC')) return 'DATAPLANE_ATOMIC';
  if (modes.includes('ROLLBACK_ON_ERROR')) return 'ROLLBACK_ON_ERROR';
  return 'CONTINUE_ON_ERROR';
}

function firstFailedUpdate(err: { updates?: { code?: string; reason?: string; message?: string; fieldPath?: string }[] }): string {
  const i = (err.updates ?? []).findIndex((s) => s.code && s.code !== 'OK' && s.reason !== 'BATCH_ROLLED_BACK');
  if (i < 0) return '';
  const s = err.updates![i];
  return `; update [${i}]: ${s.code} (${s.reason ?? ''}) at ${s.fieldPath ?? ''}: ${s.message ?? ''}`;
}

/** The HAL digest of a set of canonical entries (hal-spec §9.2). */
export function digestOf(entries: readonly TableEntry[]): string {
  return stateDigest(
    entries.map((e) => {
      const { table, body } = entryParts(e);
      return { table, body };
    }),
  );
}

/** The backend group a UDP service entry balances to. */
function udpGroupOf(e: CompiledEntry | undefined): string | undefined {
  if (e?.member !== 'service') return undefined;
  const body = e.entry.service as { protocol?: number; balance?: { backendGroupId?: string } };
  return body.protocol === 17 && body.balance?.backendGroupId ? body.balance.backendGroupId : undefined;
}

/** How many UDP services use each backend group, kept with the view. */
class UdpGroups {
  private readonly refs = new Map<string, number>();

  has(id: string): boolean {
    return this.refs.has(id);
  }

  add(e: CompiledEntry | undefined): void {
    const id = udpGroupOf(e);
    if (id !== undefined) this.refs.set(id, (this.refs.get(id) ?? 0) + 1);
  }

  remove(e: CompiledEntry | undefined): void {
    const id = udpGroupOf(e);
    if (id === undefined) return;
    const n = (this.refs.get(id) ?? 0) - 1;
    if (n > 0) this.refs.set(id, n);
    else this.refs.delete(id);
  }
}

/** The desired entries of the tables the device has. */
function wantOf(desired: DesiredState, supported: ReadonlySet<string>): { get: (key: string) => CompiledEntry | undefined; all: () => Iterable<CompiledEntry> } {
  if (desired.current) {
    const store = desired.store;
    return {
      get: (key) => {
        const e = store.get(key);
        return e && supported.has(e.table) ? e : undefined;
      },
      all: () => [...store.entries()].filter((e) => supported.has(e.table)),
    };
  }
  const map = new Map<string, CompiledEntry>();
  for (const e of desired.compiled()) if (supported.has(e.table)) map.set(e.key, e);
  return { get: (key) => map.get(key), all: () => map.values() };
}

export { keyed };
