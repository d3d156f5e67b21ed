// What a test works with: the device, its declared capabilities, its ports by
// role, and helpers for writes, snapshots and packets. Helpers assert as they go.
import {
  hasFeature,
  tableCapability,
  type Atomicity,
  type Capabilities,
  type EntryRecord,
  type Feature,
  type GetCountersResponse,
  type Hal,
  type InjectResponse,
  type PortStatus,
  type StateResponse,
  type TableEntry,
  type Update,
  type UpdateStatus,
  type WriteRequest,
  type WriteResponse,
} from '../../src/hal/index.js';
import { flowFrame, hex, type Flow } from '../packet/frame.js';
import { eq, check, fail, rejects, shape, show, type StatusShape } from './expect.js';
import { Unsupported, type Env } from './types.js';

/** A TableEntry written with plain strings and numbers (the HAL types are branded). */
export type Entry = Record<string, Record<string, unknown>>;

export const ins = (entry: Entry): Update => ({ type: 'INSERT', entry: entry as TableEntry });
export const mod = (entry: Entry): Update => ({ type: 'MODIFY', entry: entry as TableEntry });
export const del = (entry: Entry): Update => ({ type: 'DELETE', entry: entry as TableEntry });

export interface Snapshot {
  readonly state: StateResponse;
  readonly records: EntryRecord[];
}

/** Source MAC of frames the suite sends from outside the device. */
export const CLIENT_MAC = '02:ee:00:00:00:01';

export class Ctx {
  readonly caps: Capabilities;
  readonly ports: readonly PortStatus[];

  constructor(
    readonly hal: Hal,
    readonly env: Env,
  ) {
    this.caps = env.caps;
    this.ports = env.ports;
  }

  // ---------------------------------------------------------------- ports

  private role(role: 'UPLINK' | 'HOST', i: number): string {
    const p = this.ports.filter((x) => x.role === role)[i];
    if (!p) throw new Unsupported(`${i + 1} ${role} ports`);
    return p.id!;
  }
  get U0(): string { return this.role('UPLINK', 0); }
  get U1(): string { return this.role('UPLINK', 1); }
  get H0(): string { return this.role('HOST', 0); }
  get H1(): string { return this.role('HOST', 1); }
  get H2(): string { return this.role('HOST', 2); }

  mac(port: string): string {
    const p = this.ports.find((x) => x.id === port);
    if (!p?.mac) throw new Unsupported(`a MAC for port ${port}`);
    return p.mac;
  }

  has(f: Feature): boolean {
    return hasFeature(this.caps, f);
  }

  maxEntries(table: string): number {
    return Number(tableCapability(this.caps, table)?.maxEntries ?? 0);
  }

  // ---------------------------------------------------------------- writes

  write(updates: Update[], atomicity?: Atomicity, extra: Partial<WriteRequest> = {}): Promise<WriteResponse> {
    return this.hal.write({ ...(atomicity && { atomicity }), updates, ...extra });
  }

  /** Inserts entries (one batch); a failure here is the device's. */
  async insert(...entries: Entry[]): Promise<WriteResponse> {
    return this.write(entries.map(ins));
  }

  /** A write that must fail as a batch: code UNKNOWN, one status per update in order. */
  async writeFails(updates: Update[], want: StatusShape[], atomicity?: Atomicity, what = 'write'): Promise<UpdateStatus[]> {
    const err = await rejects(this.write(updates, atomicity), what);
    eq(shape(err), { code: 'UNKNOWN' }, `${what}: top-level code (§5.7)`);
    const statuses = err.updates;
    check(Array.isArray(statuses), `${what}: the failure carries no per-update statuses (§5.7)`);
    eq(statuses.length, updates.length, `${what}: number of statuses (§5.7)`);
    eq(statuses.map(shape), want, `${what}: statuses`);
    for (const [i, s] of statuses.entries()) {
      if (s.code === 'OK') check(!s.message && !s.reason && !s.fieldPath, `${what}: status ${i} is OK but carries ${show(s)} (§5.7)`);
      else check(typeof s.message === 'string' && s.message.length > 0, `${what}: status ${i} has no message (§5.7)`);
    }
    const st = await this.hal.getState();
    eq(err.generation, st.generation, `${what}: WriteFailure.generation equals GetState (§5.7)`);
    eq(err.digest, st.digest, `${what}: WriteFailure.digest equals GetState (§5.7)`);
    return statuses;
  }

  /** One update that must fail with exactly `want`, changing nothing. */
  async rejected(update: Update, want: StatusShape, atomicity?: Atomicity): Promise<UpdateStatus> {
    const before = await this.snapshot();
    const [s] = await this.writeFails([update], [want], atomicity);
    await this.unchanged(before);
    return s;
  }

  async snapshot(): Promise<Snapshot> {
    return { state: await this.hal.getState(), records: sortRecords(await this.hal.read({})) };
  }

  /** Rejected ⇒ unchanged: generation, digest, usage and every readable entry. */
  async unchanged(before: Snapshot, what = 'state'): Promise<void> {
    const now = await this.snapshot();
    eq(now.state.generation, before.state.generation, `${what}: generation unchanged`);
    eq(now.state.digest, before.state.digest, `${what}: digest unchanged`);
    eq(now.state.usage, before.state.usage, `${what}: usage unchanged`);
    eq(now.records, before.records, `${what}: Read of every table unchanged`);
  }

  /** Client-written entries of a table, sorted. */
  async rows(table: string): Promise<Entry[]> {
    return sortRecords(await this.hal.read({ tables: [table] }))
      .filter((r) => !r.deviceOwned)
      .map((r) => r.entry as unknown as Entry);
  }

  // ---------------------------------------------------------------- packets

  /** Expected TTL after one routed hop: one less when TTL_DECREMENT is declared. */
  hop(ttl: number): number {
    return this.has('TTL_DECREMENT') ? ttl - 1 : ttl;
  }

  frameIn(port: string, f: Flow, srcMac = CLIENT_MAC): Uint8Array {
    return flowFrame(f, srcMac, this.mac(port));
  }

  /** What leaves `port` toward `dmac` after one routed hop. */
  frameOut(port: string, dmac: string, f: Flow): Uint8Array {
    return flowFrame(f, this.mac(port), dmac, this.hop(f.ttl ?? 64));
  }

  inject(port: string, frame: Uint8Array, timeNs?: number): Promise<InjectResponse> {
    return this.hal.inject({ portId: port, frame, ...(timeNs !== undefined && { timeNs }) });
  }

  send(port: string, f: Flow, srcMac?: string, timeNs?: number): Promise<InjectResponse> {
    return this.inject(port, this.frameIn(port, f, srcMac), timeNs);
  }

  /** Injects `frame`; exactly `expected` leaves `outPort`, and Capture hands over the same bytes. */
  async forwardsFrame(inPort: string, frame: Uint8Array, outPort: string, expected: Uint8Array, what = 'packet'): Promise<InjectResponse> {
    await this.hal.capture({});
    const r = await this.inject(inPort, frame);
    eq(r.disposition, 'FORWARDED', `${what}: disposition (dropReason ${r.dropReason ?? 'none'})`);
    check(!r.dropReason, `${what}: a forwarded packet has no dropReason (§14.1), got ${r.dropReason}`);
    const out = r.emitted ?? [];
    eq(out.length, 1, `${what}: packets emitted`);
    eq(out[0].portId, outPort, `${what}: egress port`);
    eq(hex(out[0].frame), hex(expected), `${what}: egress frame bytes`);
    const cap = (await this.hal.capture({ portIds: [outPort] })).packets ?? [];
    eq(cap.map((p) => hex(p.frame)), [hex(expected)], `${what}: Capture of ${outPort} (§14.2)`);
    return r;
  }

  /** A routed flow: leaves `outPort` to `dmac` with MACs rewritten and one hop less. */
  expectForwarded(inPort: string, f: Flow, outPort: string, dmac: string, what?: string): Promise<InjectResponse> {
    return this.forwardsFrame(inPort, this.frameIn(inPort, f), outPort, this.frameOut(outPort, dmac, f), what);
  }

  /** Dropped: disposition DROPPED, a drop reason that is counted, nothing emitted or captured. */
  async expectDropped(inPort: string, f: Flow | Uint8Array, what = 'packet', prefix = ''): Promise<InjectResponse> {
    await this.hal.capture({});
    const before = await this.hal.getCounters();
    const r = await this.inject(inPort, f instanceof Uint8Array ? f : this.frameIn(inPort, f));
    eq(r.disposition, 'DROPPED', `${what}: disposition`);
    check(typeof r.dropReason === 'string' && r.dropReason.length > 0, `${what}: a dropped packet names its drop reason (§14.1)`);
    if (prefix) check(r.dropReason!.startsWith(prefix), `${what}: drop reason "${r.dropReason}" should start with "${prefix}" (§14.1, §13.1)`);
    eq((r.emitted ?? []).length, 0, `${what}: packets emitted`);
    const after = await this.hal.getCounters();
    eq(dropCount(after, r.dropReason!) - dropCount(before, r.dropReason!), 1, `${what}: drop counter "${r.dropReason}" (§13.1)`);
    eq((await this.hal.capture({})).packets ?? [], [], `${what}: nothing captured`);
    return r;
  }

  /** The single packet a flow emits, wherever it goes (fails unless exactly one). */
  async emitsOne(inPort: string, f: Flow | Uint8Array, what = 'packet', drain = true): Promise<{ port: string; frame: Uint8Array; res: InjectResponse }> {
    const r = await this.inject(inPort, f instanceof Uint8Array ? f : this.frameIn(inPort, f));
    const out = r.emitted ?? [];
    if (out.length !== 1) fail(`${what}: expected one emitted packet, got ${out.length} (disposition ${r.disposition}, dropReason ${r.dropReason ?? 'none'})`);
    if (drain) await this.hal.capture({});
    return { port: out[0].portId!, frame: out[0].frame!, res: r };
  }

  /** Egress port of a flow, or undefined when dropped. */
  async egressOf(inPort: string, f: Flow): Promise<string | undefined> {
    const r = await this.send(inPort, f);
    await this.hal.capture({});
    return r.emitted?.[0]?.portId;
  }
}

export function dropCount(c: GetCountersResponse, reason: string): number {
  return Number(c.drops?.[reason] ?? 0);
}

export function sortRecords(records: EntryRecord[]): EntryRecord[] {
  return records.map((r) => [show(r.entry), r] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, r]) => r);
}
