// The IPU-style P4 target: serves P4Runtime (p4.v1.P4Runtime) over gRPC with
// TLS, as infrap4d does on an IPU, and runs its program (program/program.ts)
// on real packets. Beside P4Runtime it serves a test-port API — the HAL's own
// PacketIo and Clock services and Device.ListPorts — standing in for the
// traffic generator and the port inventory (gNMI) a lab would use with
// hardware.
import type { ProfileGroup, ProfileMember } from './action-profiles.js';
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { halRoot, type CaptureResponse, type ClockResponse, type EmittedPacket, type GetCountersResponse, type InjectResponse, type ListPortsResponse } from '../../../hal/index.js';
import { VirtualClock } from '../../../sim/clock.js';
import { NO_COST, type CostSink } from '../../../sim/cost/ops.js';
import { canonical, toBigInt } from '../p4rt/bytestrings.js';
import type {
  Entity,
  GetForwardingPipelineConfigRequest,
  MasterArbitrationUpdate,
  ReadRequest,
  SetForwardingPipelineConfigRequest,
  StreamMessageRequest,
  StreamMessageResponse,
  TableEntry,
  WriteRequest,
} from '../p4rt/messages.js';
import { electionOf, uint128 } from '../p4rt/messages.js';
import { encodeMessage, p4Type, serviceDefinition, serviceDefinitionOf } from '../p4rt/root.js';
import { p4info } from '../program/p4info.js';
import { PACKET_IN, PACKET_OUT, PROGRAM_NAME, PROGRAM_VERSION, TABLES, tableById, type TableDef } from '../program/program.js';
import { Arbitration, type Controller } from './arbitration.js';
import { GrpcCode, P4Error, p4err } from './errors.js';
import { Pipeline } from './pipeline.js';
import { targetPorts, type TargetPort } from './ports.js';
import { TableState, entryMessage, parseKey } from './table-state.js';

export const P4RUNTIME_API_VERSION = '1.4.1';

export interface TlsFiles {
  /** PEM: the CA that signed client certificates (and, usually, the server's). */
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TargetOptions {
  readonly deviceId?: bigint;
  readonly hostPorts?: number;
  /** Table sizes to use instead of the program's (capacity tests). */
  readonly tableSizes?: Readonly<Record<string, number>>;
  readonly tls: TlsFiles;
  /** Require and verify client certificates (mTLS; default true, as infrap4d runs). */
  readonly requireClientCert?: boolean;
  readonly captureDepth?: number;
}

const READ_CHUNK = 1000;

export class IpuTarget {
  readonly deviceId: bigint;
  readonly ports: readonly TargetPort[];
  readonly state: TableState;
  readonly clock = new VirtualClock();
  /** Where the pipeline reports its operations (the cost model prices them). */
  cost: CostSink = NO_COST;
  readonly drops = new Map<string, number>();
  readonly lookups = new Map<string, { lookups: number; hits: number }>();
  readonly injected = { packets: 0, bytes: 0 };
  private readonly portCounters = new Map<string, { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number }; rxDropped: { packets: number; bytes: number } }>();
  readonly emitted = { packets: 0, bytes: 0 };
  private readonly pipeline: Pipeline;
  private readonly arbitration = new Arbitration();
  private readonly server = new grpc.Server();
  private captured: EmittedPacket[] = [];
  private configured: { cookie?: string; deviceConfig: Uint8Array } | undefined;
  private readonly packetInSinks = new Set<{ role: string; ctrl: Controller; send: (m: StreamMessageResponse) => void }>();
  /** host:port once started. */
  address = '';

  constructor(private readonly options: TargetOptions) {
    this.deviceId = options.deviceId ?? 1n;
    this.ports = targetPorts(options.hostPorts ?? 16);
    this.state = new TableState(options.tableSizes);
    this.pipeline = new Pipeline(this.state, this.ports, (table, hit) => {
      const c = this.lookups.get(table) ?? { lookups: 0, hits: 0 };
      c.lookups++;
      if (hit) c.hits++;
      this.lookups.set(table, c);
    });
    this.server.addService(serviceDefinition('p4.v1.P4Runtime'), {
      Capabilities: (_call: unknown, cb: grpc.sendUnaryData<object>) => cb(null, { p4runtimeApiVersion: P4RUNTIME_API_VERSION }),
      SetForwardingPipelineConfig: this.unary((r: SetForwardingPipelineConfigRequest) => this.setPipeline(r)),
      GetForwardingPipelineConfig: this.unary((r: GetForwardingPipelineConfigRequest) => this.getPipeline(r)),
      Write: (call: grpc.ServerUnaryCall<WriteRequest, object>, cb: grpc.sendUnaryData<object>) => this.write(call.request, cb),
      Read: (call: grpc.ServerWritableStream<ReadRequest, object>) => this.read(call),
      StreamChannel: (call: grpc.ServerDuplexStream<StreamMessageRequest, StreamMessageResponse>) => this.stream(call),
    });
    const hal = (name: string) => serviceDefinitionOf(halRoot(), `xpuhal.hal.v1alpha1.${name}`, HAL_TO_OBJECT);
    this.server.addService(hal('PacketIo'), {
      Inject: this.unary((r: { portId?: string; frame?: Uint8Array; timeNs?: number }) => this.inject(r.portId ?? '', r.frame ?? new Uint8Array(), r.timeNs ?? 0)),
      Capture: this.unary((r: { portIds?: string[]; maxPackets?: number; peek?: boolean }) => this.capture(r.portIds ?? [], r.maxPackets ?? 0, r.peek === true)),
    });
    this.server.addService(hal('Clock'), {
      Now: this.unary((): ClockResponse => ({ nowNs: this.clock.now })),
      Advance: this.unary((r: { advanceNs?: number }): ClockResponse => {
        this.clock.advance(r.advanceNs ?? 0);
        return { nowNs: this.clock.now };
      }),
    });
    this.server.addService(hal('Telemetry'), {
      GetCounters: this.unary(() => this.counters()),
      Subscribe: (call: grpc.ServerWritableStream<object, object>) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'this target emits no events' }),
    });
    this.server.addService(hal('Device'), {
      ListPorts: this.unary(() => this.listPorts()),
      Describe: (_c: unknown, cb: grpc.sendUnaryData<object>) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'describe the device through the driver' }),
      GetState: (_c: unknown, cb: grpc.sendUnaryData<object>) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'state is read through P4Runtime' }),
    });
  }

  /** Listens on host:port (0 = any free port); resolves to "host:port". */
  async start(host = '127.0.0.1', port = 0): Promise<string> {
    const { ca, cert, key } = this.options.tls;
    const creds = grpc.ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], this.options.requireClientCert ?? true);
    const bound = await new Promise<number>((resolve, reject) => this.server.bindAsync(`${host}:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p))));
    this.address = `${host}:${bound}`;
    return this.address;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }

  get pipelineConfigured(): boolean {
    return this.configured !== undefined;
  }

  // ------------------------------------------------------------------ pipeline config

  private checkDevice(id: string | undefined): void {
    if (BigInt(id ?? '0') !== this.deviceId) throw p4err('NOT_FOUND', `no device ${id ?? 0} (this target is device ${this.deviceId})`);
  }

  private setPipeline(r: SetForwardingPipelineConfigRequest): object {
    this.checkDevice(r.deviceId);
    const action = r.action ?? 'UNSPECIFIED';
    if (action === 'RECONCILE_AND_COMMIT' || action === 'VERIFY_AND_SAVE' || action === 'COMMIT') throw p4err('UNIMPLEMENTED', `${action} is not supported by this target (VERIFY and VERIFY_AND_COMMIT are)`);
    if (action !== 'VERIFY' && action !== 'VERIFY_AND_COMMIT') throw p4err('INVALID_ARGUMENT', 'action must be VERIFY or VERIFY_AND_COMMIT');
    if (action === 'VERIFY_AND_COMMIT') {
      const ok = this.arbitration.mayWrite(r.role ?? '', electionOf(r.electionId));
      if (!ok.ok) throw p4err('PERMISSION_DENIED', ok.message);
    }
    const cfg = r.config;
    if (!cfg?.p4info) throw p4err('INVALID_ARGUMENT', 'config.p4info is required');
    // The target realises exactly one program: the P4Info must be its own.
    const mine = encodeMessage(p4Type('p4.config.v1.P4Info'), p4info());
    const theirs = encodeMessage(p4Type('p4.config.v1.P4Info'), cfg.p4info);
    if (!mine.equals(theirs)) {
      const pkg = (cfg.p4info as { pkgInfo?: { name?: string; version?: string } }).pkgInfo;
      throw p4err('INVALID_ARGUMENT', `this target runs ${PROGRAM_NAME} ${PROGRAM_VERSION}; the given P4Info (${pkg?.name ?? 'unnamed'} ${pkg?.version ?? ''}) is not that program`);
    }
    if (action === 'VERIFY_AND_COMMIT') {
      this.state.clear();
      this.configured = { cookie: cfg.cookie?.cookie, deviceConfig: cfg.p4DeviceConfig ?? new Uint8Array() };
    }
    return {};
  }

  private getPipeline(r: GetForwardingPipelineConfigRequest): object {
    this.checkDevice(r.deviceId);
    if (!this.configured) return { config: {} };
    const type = r.responseType ?? 'ALL';
    const config: Record<string, unknown> = {};
    if (this.configured.cookie !== undefined) config.cookie = { cookie: this.configured.cookie };
    if (type === 'ALL' || type === 'P4INFO_AND_COOKIE') config.p4info = p4info();
    if (type === 'ALL' || type === 'DEVICE_CONFIG_AND_COOKIE') config.p4DeviceConfig = this.configured.deviceConfig;
    return { config };
  }

  private requireConfigured(): void {
    if (!this.configured) throw p4err('FAILED_PRECONDITION', 'no forwarding pipeline config: SetForwardingPipelineConfig first');
  }

  // ------------------------------------------------------------------ Write

  private write(r: WriteRequest, cb: grpc.sendUnaryData<object>): void {
    try {
      this.checkDevice(r.deviceId);
      this.requireConfigured();
      const ok = this.arbitration.mayWrite(r.role ?? '', electionOf(r.electionId));
      if (!ok.ok) throw p4err('PERMISSION_DENIED', ok.message);
      const updates = r.updates ?? [];
      if (updates.length === 0) return cb(null, {});
      const atomicity = r.atomicity ?? 'CONTINUE_ON_ERROR';
      // Batches run synchronously between packets, so all three modes hold;
      // ROLLBACK_ON_ERROR and DATAPLANE_ATOMIC undo the batch on the first error.
      const allOrNothing = atomicity !== 'CONTINUE_ON_ERROR';
      const errors = this.state.transaction((rollback) => {
        const out: (P4Error | undefined)[] = [];
        for (const u of updates) {
          try {
            const kind = u.entity?.entity;
            if (kind === 'actionProfileMember') this.state.profiles.applyMember(u.type, u.entity!.actionProfileMember as ProfileMember);
            else if (kind === 'actionProfileGroup') this.state.profiles.applyGroup(u.type, u.entity!.actionProfileGroup as ProfileGroup);
            else if (kind === 'tableEntry') this.state.apply(u.type, u.entity!.tableEntry);
            else throw p4err('UNIMPLEMENTED', kind ? `${kind} writes are not supported by this target` : 'the entity is empty or of a kind this target does not implement');
            out.push(undefined);
          } catch (e) {
            if (!(e instanceof P4Error)) throw e;
            out.push(e);
            if (allOrNothing) {
              rollback();
              const failed = out.length - 1;
              return updates.map((_, i) => (i === failed ? e : i < failed ? p4err('ABORTED', 'rolled back: a later update of the batch failed') : p4err('ABORTED', 'not attempted: an earlier update of the batch failed')));
            }
          }
        }
        return out;
      });
      if (errors.every((e) => e === undefined)) return cb(null, {});
      cb(batchStatus(errors));
    } catch (e) {
      cb(rpcError(e));
    }
  }

  // ------------------------------------------------------------------ Read

  private read(call: grpc.ServerWritableStream<ReadRequest, object>): void {
    try {
      const r = call.request;
      this.checkDevice(r.deviceId);
      this.requireConfigured();
      this.pipeline.expire(this.clock.now);
      const out: Entity[] = [];
      for (const ent of r.entities ?? []) {
        if (ent.entity === 'tableEntry') for (const te of this.readEntries(ent.tableEntry!)) out.push({ tableEntry: te });
        else if (ent.entity === 'directCounterEntry') {
          const q = ent.directCounterEntry?.tableEntry ?? {};
          for (const te of this.readEntries({ ...q, counterData: {} })) {
            if (!tableById(te.tableId!)?.counterId) continue;
            out.push({ directCounterEntry: { tableEntry: { ...te, action: undefined, counterData: undefined, metadata: undefined }, data: te.counterData } });
          }
        } else if (ent.entity === 'actionProfileMember') {
          for (const m of this.state.profiles.readMembers((ent.actionProfileMember ?? {}) as ProfileMember)) out.push({ actionProfileMember: m });
        } else if (ent.entity === 'actionProfileGroup') {
          for (const g of this.state.profiles.readGroups((ent.actionProfileGroup ?? {}) as ProfileGroup)) out.push({ actionProfileGroup: g });
        } else throw p4err('UNIMPLEMENTED', ent.entity ? `reading ${ent.entity} is not supported by this target` : 'the entity is empty or of a kind this target does not implement');
      }
      for (let i = 0; i < out.length; i += READ_CHUNK) call.write({ entities: out.slice(i, i + READ_CHUNK) });
      call.end();
    } catch (e) {
      const err = rpcError(e);
      call.emit('error', err);
    }
  }

  /** Entries selected by one TableEntry of a ReadRequest (P4Runtime §11.1 wildcards). */
  private readEntries(q: TableEntry): TableEntry[] {
    const withCounters = q.counterData !== undefined;
    const tables: TableDef[] = q.tableId ? [tableById(q.tableId) ?? (() => { throw p4err('NOT_FOUND', `no table with id ${q.tableId}`); })()] : Object.values(TABLES);
    if (!q.tableId && (q.match?.length ?? 0) > 0) throw p4err('INVALID_ARGUMENT', 'a match needs a table_id');
    if (q.isDefaultAction) return [];
    if ((q.match?.length ?? 0) > 0) {
      const k = parseKey(q);
      const e = this.state.get(k.table, k.key);
      return e ? [entryMessage(e, withCounters)] : [];
    }
    const out: TableEntry[] = [];
    for (const t of tables) {
      for (const e of this.state.entries(t)) {
        if (q.priority && e.priority !== q.priority) continue;
        out.push(entryMessage(e, withCounters));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ StreamChannel

  private stream(call: grpc.ServerDuplexStream<StreamMessageRequest, StreamMessageResponse>): void {
    let ctrl: (Controller & { deviceId: bigint }) | undefined;
    let sink: { role: string; ctrl: Controller; send: (m: StreamMessageResponse) => void } | undefined;
    const send = (m: StreamMessageResponse) => {
      if (!call.writableEnded && !call.destroyed) call.write(m);
    };
    const fail = (code: number, details: string) => {
      if (ctrl) this.arbitration.remove(ctrl);
      if (sink) this.packetInSinks.delete(sink);
      call.emit('error', { code, details });
    };
    call.on('data', (m: StreamMessageRequest) => {
      if (m.update === 'arbitration') {
        const a = m.arbitration!;
        const deviceId = BigInt(a.deviceId ?? '0');
        if (deviceId !== this.deviceId) return fail(GrpcCode.NOT_FOUND, `no device ${deviceId} (this target is device ${this.deviceId})`);
        const role = a.role?.name ?? '';
        if (a.role?.config !== undefined) return fail(GrpcCode.UNIMPLEMENTED, 'role configurations are not supported: every role has full pipeline access');
        if (ctrl && (ctrl.role !== role || ctrl.deviceId !== deviceId)) return fail(GrpcCode.FAILED_PRECONDITION, 'a stream cannot change its device or role');
        const id = electionOf(a.electionId);
        const self: Controller & { deviceId: bigint } = ctrl ?? {
          role,
          deviceId,
          electionId: undefined,
          notify: (primary, _isPrimary, status) => {
            const u: MasterArbitrationUpdate = { deviceId: String(this.deviceId), status };
            if (role) u.role = { name: role };
            if (primary !== undefined) u.electionId = uint128(primary);
            send({ arbitration: u });
          },
        };
        if (this.arbitration.taken(role, id, self)) return fail(GrpcCode.INVALID_ARGUMENT, `election_id ${id} is already used by another controller of role "${role || 'default'}"`);
        ctrl = self;
        if (!sink) {
          sink = { role, ctrl, send };
          this.packetInSinks.add(sink);
        }
        this.arbitration.update(ctrl, id);
      } else if (m.update === 'packet') {
        const pkt = m.packet!;
        if (!ctrl) return fail(GrpcCode.FAILED_PRECONDITION, 'the first message on a stream must be an arbitration update');
        if (this.arbitration.primary(ctrl.role) !== ctrl) {
          return send({ error: { canonicalCode: GrpcCode.PERMISSION_DENIED, message: 'only the primary controller may send packets', packetOut: { packetOut: pkt } } });
        }
        const problem = this.packetOut(pkt.payload ?? new Uint8Array(), pkt.metadata ?? []);
        if (problem) send({ error: { canonicalCode: GrpcCode.INVALID_ARGUMENT, message: problem, packetOut: { packetOut: pkt } } });
      } else if (!ctrl) fail(GrpcCode.FAILED_PRECONDITION, 'the first message on a stream must be an arbitration update');
      else send({ error: { canonicalCode: GrpcCode.UNIMPLEMENTED, message: 'this stream message is not supported by this target' } });
    });
    const close = () => {
      if (ctrl) this.arbitration.remove(ctrl);
      if (sink) this.packetInSinks.delete(sink);
      ctrl = undefined;
    };
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('error', close);
  }

  /** PacketOut: sent as-is out of packet_out.egress_port (no pipeline). Returns a problem or undefined. */
  private packetOut(payload: Uint8Array, md: readonly { metadataId?: number; value?: Uint8Array }[]): string | undefined {
    const egress = md.find((m) => m.metadataId === PACKET_OUT.metadata[0].id);
    if (!egress?.value?.length) return 'packet_out.egress_port metadata is required';
    const n = toBigInt(egress.value);
    const port = this.ports.find((p) => BigInt(p.number) === n);
    if (!port) return `egress_port ${n} is not a port of this target`;
    this.emit(port, Uint8Array.from(payload));
    return undefined;
  }

  private packetIn(port: TargetPort, frame: Uint8Array, reason: number): void {
    for (const s of this.packetInSinks) {
      if (this.arbitration.primary(s.role) !== s.ctrl) continue;
      s.send({
        packet: {
          payload: frame,
          metadata: [
            { metadataId: PACKET_IN.metadata[0].id, value: canonical(port.number) },
            { metadataId: PACKET_IN.metadata[1].id, value: canonical(reason) },
          ],
        },
      });
    }
  }

  // ------------------------------------------------------------------ test-port API

  private emit(port: TargetPort, frame: Uint8Array): EmittedPacket {
    const e: EmittedPacket = { portId: port.name, frame, timeNs: this.clock.now };
    this.emitted.packets++;
    this.emitted.bytes += frame.length;
    const pc = this.portCounter(port.name);
    pc.tx.packets++;
    pc.tx.bytes += frame.length;
    this.captured.push(e);
    const depth = (this.options.captureDepth ?? 4096) * this.ports.length;
    if (this.captured.length > depth) {
      const lost = this.captured.length - depth;
      this.captured.splice(0, lost);
      this.drops.set('capture-overflow', (this.drops.get('capture-overflow') ?? 0) + lost);
    }
    return e;
  }

  /** A frame arriving on a port at a virtual time (0: now). */
  inject(portName: string, frame: Uint8Array, timeNs: number): InjectResponse {
    const port = this.ports.find((p) => p.name === portName);
    if (!port) throw p4err('NOT_FOUND', `no port "${portName}"`);
    if (timeNs && timeNs < this.clock.now) throw p4err('INVALID_ARGUMENT', `timeNs ${timeNs} is before the device clock (${this.clock.now})`);
    if (timeNs) this.clock.advanceTo(timeNs);
    this.injected.packets++;
    this.injected.bytes += frame.length;
    const pc = this.portCounter(port.name);
    pc.rx.packets++;
    pc.rx.bytes += frame.length;
    if (!this.configured) {
      this.drops.set('no-pipeline', (this.drops.get('no-pipeline') ?? 0) + 1);
      pc.rxDropped.packets++;
      pc.rxDropped.bytes += frame.length;
      return { disposition: 'DROPPED', dropReason: 'no-pipeline', trace: [{ stage: 'port-ingress', detail: 'no forwarding pipeline is loaded' }], emitted: [] };
    }
    const r = this.pipeline.run(port, frame, this.cost, this.clock.now);
    if (r.punt) this.packetIn(port, r.punt.frame, r.punt.reason);
    if (r.dropReason) {
      this.drops.set(r.dropReason, (this.drops.get(r.dropReason) ?? 0) + 1);
      pc.rxDropped.packets++;
      pc.rxDropped.bytes += frame.length;
    }
    const emitted = r.out ? [this.emit(r.out.port, r.out.frame)] : [];
    const res: InjectResponse = { disposition: r.disposition, trace: r.trace, emitted };
    if (r.dropReason) res.dropReason = r.dropReason;
    return res;
  }

  capture(portNames: readonly string[], max: number, peek: boolean): CaptureResponse {
    for (const n of portNames) if (!this.ports.some((p) => p.name === n)) throw p4err('NOT_FOUND', `no port "${n}"`);
    const taken: EmittedPacket[] = [];
    const kept: EmittedPacket[] = [];
    for (const e of this.captured) {
      if ((portNames.length === 0 || portNames.includes(e.portId!)) && (max === 0 || taken.length < max)) taken.push(e);
      else kept.push(e);
    }
    if (!peek) this.captured = kept;
    return { packets: taken };
  }

  counters(): GetCountersResponse {
    return {
      drops: Object.fromEntries([...this.drops].sort()),
      tables: [...this.lookups].sort().map(([table, c]) => ({ table, lookups: c.lookups, hits: c.hits })),
      injected: { ...this.injected },
      emitted: { ...this.emitted },
    };
  }

  listPorts(): ListPortsResponse {
    return {
      ports: this.ports.map((p) => {
        const c = this.portCounter(p.name);
        const up = this.pipelinePortUp(p);
        return { id: p.name, role: p.role, mac: p.mac, speedBps: p.speedBps, operUp: up, rx: { ...c.rx }, tx: { ...c.tx }, rxDropped: { ...c.rxDropped } };
      }),
    };
  }

  private portCounter(name: string) {
    let c = this.portCounters.get(name);
    if (!c) this.portCounters.set(name, (c = { rx: { packets: 0, bytes: 0 }, tx: { packets: 0, bytes: 0 }, rxDropped: { packets: 0, bytes: 0 } }));
    return c;
  }

  /** Operational state follows port_config.admin_up (a port without an entry is up). */
  private pipelinePortUp(p: TargetPort): boolean {
    const e = this.state.get(TABLES.port_config, `${p.number.toString(16)}/0#0`);
    return !e || e.action?.params.admin_up === 1n;
  }

  // ------------------------------------------------------------------ helpers

  private unary<Req, Res>(fn: (r: Req) => Res) {
    return (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
      try {
        cb(null, fn(call.request));
      } catch (e) {
        cb(rpcError(e));
      }
    };
  }
}

const HAL_TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, bytes: Uint8Array as unknown as typeof String, defaults: false };

function rpcError(e: unknown): Partial<grpc.StatusObject> {
  if (e instanceof P4Error) return { code: e.number, details: e.message };
  return { code: grpc.status.INTERNAL, details: `target fault: ${e instanceof Error ? e.message : String(e)}` };
}

/**
 * A failed batch (P4Runtime §12.3): top-level UNKNOWN, and google.rpc.Status
 * with one p4.v1.Error per update, in order (OK ones with canonical_code 0),
 * in the grpc-status-details-bin trailer (grpc-js does not encode it for us).
 */
function batchStatus(errors: readonly (P4Error | undefined)[]): Partial<grpc.StatusObject> {
  const errType = p4Type('p4.v1.Error');
  const failed = errors.filter((e) => e).length;
  const message = `${failed} of ${errors.length} updates failed`;
  const status = {
    code: GrpcCode.UNKNOWN,
    message,
    details: errors.map((e) => ({
      // protobufjs's built-in google.protobuf.Any keeps the proto field name (type_url).
      type_url: 'type.googleapis.com/p4.v1.Error',
      value: encodeMessage(errType, e ? { canonicalCode: e.number, message: e.message, space: 'xpuhal-ipu-pna' } : { canonicalCode: 0 }),
    })),
  };
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', encodeMessage(p4Type('google.rpc.Status'), status));
  return { code: grpc.status.UNKNOWN, details: message, metadata };
}
