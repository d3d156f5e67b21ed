// The reference driver: the HAL on the simulator engine (src/sim). Writes follow
// hal-spec's programming semantics exactly; packets go through the reference walk.
import {
  HAL_VERSION,
  HalError,
  checkWrite,

  makeEntry,
  memberOf,
  halCodec,
  problemsOf,
  redact,
  tableByName,
  tableCapabilities,
  valueSupport,
  type Capabilities,
  type ValueSupport,
  type CallOptions,
  type CaptureRequest,
  type CaptureResponse,
  type ClockResponse,
  type ConntrackEntry,
  type ConntrackFilter,
  type DeleteConntrackRequest,
  type DeleteConntrackResponse,
  type GetConntrackRequest,
  type ListConntrackRequest,
  type SubscribeRequest,
  type DescribeResponse,
  type EntryRecord,
  type Event,
  type GetCountersResponse,
  type Hal,
  type InjectRequest,
  type InjectResponse,
  type ListPortsResponse,
  type ReadRequest,
  type StateResponse,
  type Subscription,
  type UpdateStatus,
  type ValidUpdate,
  statusOf,
  type WriteRequest,
  type WriteResponse,
  type FieldSchema,
  type FormatProblem,
  checkId,
  checkIp,
  checkMac,
  checkPrefix,
} from '../../hal/index.js';
import { SimDevice } from '../../sim/device.js';
import type { TableLimits } from '../../sim/state/table-store.js';
import { REFERENCE_ATOMICITY, REFERENCE_CONNTRACK_ENTRIES, REFERENCE_FEATURES, REFERENCE_MAX_BATCH, referencePorts, referenceTables } from './capabilities.js';

export interface ReferenceOptions {
  /** Host-facing ports host0..hostN-1 (default 16). */
  readonly hostPorts?: number;
  /** Multiplies every table size (default 1); tests use small tables to reach capacity. */
  readonly scale?: number;
  /** Overrides of max entries per table, for capacity tests. */
  readonly tableSizes?: Readonly<Record<string, number>>;
  /** The conntrack maximum over all zones (default 1,048,576). */
  readonly conntrackEntries?: number;
  /** Events kept for Subscribe resumption (default 65536). */
  readonly eventRetention?: number;
}

export class ReferenceDriver implements Hal {
  private readonly device: SimDevice;
  /** The simulated device underneath, for the simulator's own tools (`sim run`). */
  get sim(): SimDevice {
    return this.device;
  }
  private readonly tables;
  private valueCheck?: ValueSupport;
  private generation = 0;

  constructor(options: ReferenceOptions = {}) {
    const ports = referencePorts(options.hostPorts ?? 16);
    this.tables = referenceTables({ scale: options.scale ?? 1, ports: ports.length });
    for (const [name, size] of Object.entries(options.tableSizes ?? {})) {
      if (!this.tables[name]) throw HalError.of('FIELD_INVALID', `unknown table "${name}"`, `tableSizes.${name}`);
      this.tables[name] = { ...this.tables[name], maxEntries: size };
    }
    const limits: Record<string, TableLimits> = {};
    for (const [name, s] of Object.entries(this.tables)) limits[name] = { maxEntries: s.maxEntries, maxGroupMembers: s.maxGroupMembers };
    this.device = new SimDevice({ ports, limits, captureDepth: 4096, conntrackEntries: options.conntrackEntries ?? REFERENCE_CONNTRACK_ENTRIES, eventRetention: options.eventRetention });
  }

  async describe(_opts?: CallOptions): Promise<DescribeResponse> {
    return {
      identity: { vendor: 'xpuhal', model: 'reference-sim', driver: 'reference', serial: 'sim-0', halVersion: HAL_VERSION, pipelineVersion: 'reference-1' },
      capabilities: { ...this.capabilities(), tables: tableCapabilities(this.tables, (t) => this.device.store.count(t)) },
    };
  }

  /** Everything declared but the tables (whose usage changes). */
  private capabilities(): Capabilities {
    return {
        atomicityModes: [...REFERENCE_ATOMICITY],
        features: [...REFERENCE_FEATURES],
        conntrack: {
          supported: true, maxEntries: this.device.conntrackEntries, maxZones: this.tables.ct_zone.maxEntries,
          configurableTimeouts: true, tcpWindowTracking: true, nat: true, agingEvents: true,
        },
        crypto: {},
        qos: { policerModes: ['SRTCM', 'TRTCM'], colorAware: false, maxPolicers: this.tables.policer.maxEntries, shapers: true, queuesPerPort: 1 },
        telemetry: { perEntryCounters: true, flowRecords: true, sampling: true, eventStream: true },
        packetIo: { inject: true, capture: true, trace: true, virtualTime: true },
        maxBatchSize: REFERENCE_MAX_BATCH,
        notes: [
          'Tables marked "applied to packets: no" (IPsec, TLS) are stored, read back and digested, but the reference walk does not act on them yet.',
          'Shapers serve queue 0 of each port only: there is no traffic classifier yet. Policers are color-blind.',
          'Frames must be addressed to the ingress port\'s MAC (the device is the endpoints\' L3 gateway); ARP is not answered.',
        ],
    };
  }

  async listPorts(): Promise<ListPortsResponse> {
    return { ports: this.device.portStatus() };
  }

  private digest(): string {
    return this.device.store.digest();
  }

  async getState(): Promise<StateResponse> {
    return { generation: this.generation, digest: this.digest(), usage: this.device.usage() };
  }

  async write(req: WriteRequest, opts?: CallOptions): Promise<WriteResponse> {
    if (opts?.signal?.aborted) throw HalError.of('CALL_CANCELLED', 'the call was cancelled before it started');
    const checked = checkWrite(req, { maxBatchSize: REFERENCE_MAX_BATCH, atomicityModes: REFERENCE_ATOMICITY });
    if (checked.expectedGeneration && checked.expectedGeneration !== this.generation) {
      throw HalError.of('GENERATION_MISMATCH', `expected generation ${checked.expectedGeneration}, the device is at ${this.generation}`, 'expectedGeneration');
    }
    const store = this.device.store;
    const allOrNothing = checked.atomicity !== 'CONTINUE_ON_ERROR';
    // The whole batch runs synchronously: no packet is processed in between,
    // which is what makes DATAPLANE_ATOMIC hold on this device.
    const { statuses, applied } = store.transaction((rollback) => {
      const statuses: UpdateStatus[] = [];
      let applied = 0;
      for (const c of checked.updates) {
        const s = c.ok ? this.supportStatus(c.update) ?? store.apply(c.update, `updates[${c.update.index}].entry.${c.update.member}`) : c.status;
        statuses.push(s);
        if (s.code === 'OK') applied++;
        else if (allOrNothing) {
          rollback();
          const failed = statuses.length - 1;
          return {
            statuses: checked.updates.map((_, i) =>
              i === failed ? s : { code: 'ABORTED' as const, reason: 'BATCH_ROLLED_BACK' as const, message: `not applied: update ${failed} failed and the batch was rolled back` },
            ),
            applied: 0,
          };
        }
      }
      return { statuses, applied };
    });
    if (applied > 0) this.generation++;
    const failed = statuses.filter((s) => s.code !== 'OK').length;
    if (failed === 0) return { generation: this.generation, digest: this.digest() };
    throw new HalError('UNKNOWN', 'REASON_UNSPECIFIED', `${failed} of ${statuses.length} updates failed`, {
      updates: statuses,
      generation: this.generation,
      digest: this.digest(),
    });
  }

  /** hal-spec §5.4 step 4: values the datapath cannot carry out are refused, never approximated. */
  private supportStatus(u: ValidUpdate): UpdateStatus | undefined {
    this.valueCheck ??= valueSupport({ ...this.capabilities(), tables: tableCapabilities(this.tables, () => 0) });
    return this.valueCheck(u);
  }

  async read(req: ReadRequest): Promise<EntryRecord[]> {
    const r = halCodec<ReadRequest>('ReadRequest').decode(req);
    if (r._tag === 'Left') {
      const p = problemsOf(r.left)[0];
      throw HalError.of(p.reason, p.message, p.fieldPath);
    }
    const names = req.tables?.length ? req.tables : Object.keys(this.tables);
    const schemas = names.map((n, i) => {
      const t = tableByName(n);
      if (!t) throw HalError.of('FIELD_INVALID', `no table named "${n}"`, `tables[${i}]`);
      if (!this.tables[n]) throw HalError.of('TABLE_UNSUPPORTED', `table ${n} is not supported by this device`, `tables[${i}]`);
      return t;
    });
    const filters = req.filters ?? [];
    if (filters.length && schemas.length !== 1) throw HalError.of('FIELD_INVALID', 'filters need exactly one table', 'filters');
    // hal-spec §8: scalar key fields only (not RANGE), KEY_MISMATCH otherwise;
    // `equals` valid and canonical for the field; absent values compare as their default.
    const keys = filters.map((f, i) => {
      const k = schemas[0].keyFields.find((x) => x.name === f.field);
      if (!k || k.match === 'RANGE') {
        const names = schemas[0].keyFields.filter((x) => x.match !== 'RANGE').map((x) => x.name);
        throw HalError.of('KEY_MISMATCH', `"${f.field}" is not a filterable key field of ${schemas[0].name} (${names.join(', ')})`, `filters[${i}].field`);
      }
      const p = filterProblem(k, f.equals ?? '');
      if (p) throw HalError.of(p.reason, p.message, `filters[${i}].equals`);
      return k;
    });
    const out: EntryRecord[] = [];
    for (const t of schemas) {
      const rows = [...this.device.store.entries(t.name)].filter((e) => filters.every((f, i) => filterText(keys[i], e.body[f.field!]) === (f.equals ?? '')));
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const e of rows) {
        const rec: EntryRecord = { entry: makeEntry(memberOf(t.name), redact(t, e.body)) };
        if (req.includeCounters && this.tables[t.name].perEntryCounters) rec.counters = this.device.store.countersOf(e);
        if (e.deviceOwned) rec.deviceOwned = true;
        out.push(rec);
      }
    }
    return out;
  }

  async listConntrack(req: ListConntrackRequest = {}): Promise<ConntrackEntry[]> {
    const filter = checkConntrackFilter(req.filter, 'filter');
    const ct = this.device.conntrack;
    return ct.list(filter, req.limit ?? 0).map((e) => ct.toHal(e));
  }

  async getConntrack(req: GetConntrackRequest): Promise<ConntrackEntry> {
    const t = req.tuple;
    if (!t) throw HalError.of('FIELD_MISSING', 'tuple is required', 'tuple');
    for (const f of ['srcIp', 'dstIp'] as const) {
      if (!t[f]) throw HalError.of('FIELD_MISSING', `tuple.${f} is required`, `tuple.${f}`);
      const p = checkIp(t[f]!);
      if (p) throw HalError.of(p.reason, p.message, `tuple.${f}`);
    }
    const ct = this.device.conntrack;
    const e = ct.get(req.zone ?? 0, t);
    if (!e) throw HalError.of('ENTRY_NOT_FOUND', `no connection ${t.srcIp}:${t.srcPort ?? 0} → ${t.dstIp}:${t.dstPort ?? 0} proto ${t.protocol ?? 0} in zone ${req.zone ?? 0}`);
    return ct.toHal(e);
  }

  async deleteConntrack(req: DeleteConntrackRequest = {}): Promise<DeleteConntrackResponse> {
    const filter = checkConntrackFilter(req.filter, 'filter');
    return { deleted: this.device.conntrack.delete(filter) };
  }

  async getCounters(): Promise<GetCountersResponse> {
    return {
      drops: Object.fromEntries([...this.device.drops].sort()),
      tables: [...this.device.tableCounters].sort().map(([table, c]) => ({ table, lookups: c.lookups, hits: c.hits })),
      injected: { ...this.device.injected },
      emitted: { ...this.device.emitted },
    };
  }

  subscribe(req: SubscribeRequest, onEvent: (e: Event) => void, onError?: (err: Error) => void): Subscription {
    let stop: (() => void) | undefined;
    let closed = false;
    // Delivery starts after the call returns, as a stream's would.
    queueMicrotask(() => {
      if (closed) return;
      try {
        stop = this.device.events.subscribe(req ?? {}, onEvent);
      } catch (e) {
        onError?.(e as Error);
      }
    });
    return {
      close: () => {
        closed = true;
        stop?.();
      },
    };
  }

  async inject(req: InjectRequest): Promise<InjectResponse> {
    if (!req.portId) throw HalError.of('FIELD_MISSING', 'portId is required', 'portId');
    if (!this.device.hasPort(req.portId)) throw HalError.of('ENTRY_NOT_FOUND', `no port "${req.portId}"`, 'portId');
    // hal-spec §14.1: empty bytes are no frame (proto3 cannot tell them apart on the wire).
    if (!(req.frame instanceof Uint8Array) || req.frame.length === 0) throw HalError.of('FIELD_MISSING', 'frame (bytes) is required and must not be empty', 'frame');
    const time = req.timeNs ?? 0;
    if (!Number.isSafeInteger(time) || time < 0) throw HalError.of('FIELD_INVALID', 'timeNs must be a non-negative integer', 'timeNs');
    if (time !== 0 && time < this.device.clock.now) {
      throw HalError.of('FIELD_INVALID', `timeNs ${time} is before the device clock (${this.device.clock.now})`, 'timeNs');
    }
    const r = this.device.inject(req.portId, req.frame, time || this.device.clock.now);
    const res: InjectResponse = { disposition: r.disposition, trace: r.trace, emitted: r.emitted };
    if (r.dropReason) res.dropReason = r.dropReason;
    return res;
  }

  async capture(req: CaptureRequest): Promise<CaptureResponse> {
    (req.portIds ?? []).forEach((p, i) => {
      if (!this.device.hasPort(p)) throw HalError.of('ENTRY_NOT_FOUND', `no port "${p}"`, `portIds[${i}]`);
    });
    return { packets: this.device.capture(req.portIds ?? [], req.maxPackets ?? 0, req.peek === true) };
  }

  async now(): Promise<ClockResponse> {
    return { nowNs: this.device.clock.now };
  }

  async advance(ns: number): Promise<ClockResponse> {
    if (!Number.isSafeInteger(ns) || ns < 0) throw HalError.of('FIELD_INVALID', 'advanceNs must be a non-negative integer', 'advanceNs');
    this.device.clock.advance(ns);
    return { nowNs: this.device.clock.now };
  }

  async close(): Promise<void> {}
}

/** hal-spec §12: addresses in a filter must be valid addresses; absent fields match everything. */
function checkConntrackFilter(f: ConntrackFilter | undefined, path: string): ConntrackFilter {
  const filter = f ?? {};
  for (const k of ['address', 'replySrcIp'] as const) {
    const v = filter[k];
    if (!v) continue;
    const p = checkIp(v);
    if (p) throw HalError.of(p.reason, p.message, `${path}.${k}`);
  }
  return filter;
}

/** The enum value names of a field, when it is an enum. */
function enumValues(k: FieldSchema): Record<string, number> | undefined {
  return (k.field.resolvedType as { values?: Record<string, number> } | null)?.values;
}

/** A key value as Read filters compare it (hal-spec §8). */
function filterText(k: FieldSchema, v: unknown): string {
  if (v !== undefined) return String(v);
  if (k.explicitPresence || k.match === 'OPTIONAL' || k.match === 'PREFIX' || k.field.type === 'string') return '';
  const values = enumValues(k);
  if (values) return Object.keys(values).find((n) => values[n] === 0) ?? '';
  return '0';
}

function filterProblem(k: FieldSchema, text: string): FormatProblem | null {
  if (text === '' && (k.explicitPresence || k.match === 'OPTIONAL' || k.match === 'PREFIX')) return null;
  const values = enumValues(k);
  if (values) return text in values ? null : { reason: 'FIELD_INVALID', message: `"${text}" is not one of ${Object.keys(values).join(', ')}` };
  if (k.field.type === 'string') {
    const check = { IP: checkIp, IP_PREFIX: checkPrefix, MAC: checkMac, ID: checkId }[k.format as string];
    return check ? check(text) : null;
  }
  return /^(0|[1-9][0-9]*)$/.test(text) ? null : { reason: 'FIELD_INVALID', message: `"${text}" is not a decimal number` };
}
