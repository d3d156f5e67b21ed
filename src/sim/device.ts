// A simulated device: ports, logical-table state, the packet walk, virtual time,
// capture buffers and counters. The reference driver exposes it as a Hal.
import { formatMac, tableByName, type CtZoneEntry, type EmittedPacket, type FlowLogEntry, type PortEntry, type PortRole, type PortStatus } from '../hal/index.js';
import { VirtualClock } from './clock.js';
import { ConntrackTable, allocateSnatPort, type CtEntry } from './conntrack/index.js';
import { NO_COST, type CostSink } from './cost/ops.js';
import { buildRejection } from './pipeline/reject.js';
import { AffinityTable } from './pipeline/affinity.js';
import { ForwardingState } from './pipeline/forwarding-state.js';
import { walkPacket, type WalkContext, type WalkResult } from './pipeline/packet-walk.js';
import { TableQos } from './pipeline/qos.js';
import type { Tracker } from './pipeline/tracker.js';
import { TableStore, type TableLimits } from './state/table-store.js';
import { EventLog } from './telemetry/event-log.js';
import { FlowRecorder } from './telemetry/flow-recorder.js';

export interface PortSpec {
  readonly id: string;
  readonly role: PortRole;
  readonly speedBps: number;
}

export interface DeviceSpec {
  readonly ports: readonly PortSpec[];
  readonly limits: Readonly<Record<string, TableLimits>>;
  /** Packets kept per port for Capture before the oldest are discarded. */
  readonly captureDepth: number;
  /** The device's conntrack maximum (all zones together; a zone's maxEntries 0 means this). */
  readonly conntrackEntries: number;
  /** Events retained for Subscribe resumption (hal-spec §13.2: at least 65536). */
  readonly eventRetention?: number;
}

interface PortCounters {
  rx: { packets: number; bytes: number };
  tx: { packets: number; bytes: number };
  rxDropped: { packets: number; bytes: number };
}

const zero = () => ({ packets: 0, bytes: 0 });

export class SimDevice {
  readonly store: TableStore;
  readonly clock = new VirtualClock();
  private readonly fwd: ForwardingState;
  private readonly portSpecs = new Map<string, PortSpec & { mac: string }>();
  private readonly portCounters = new Map<string, PortCounters>();
  private captured: EmittedPacket[] = [];
  readonly drops = new Map<string, number>();
  readonly tableCounters = new Map<string, { lookups: number; hits: number }>();
  readonly injected = zero();
  readonly emitted = zero();
  /** Where the walk reports the operations it performs (a cost meter in `sim run`). */
  cost: CostSink = NO_COST;
  readonly conntrack: ConntrackTable;
  readonly conntrackEntries: number;
  readonly events: EventLog;
  private readonly flows: FlowRecorder;
  private readonly affinity = new AffinityTable();
  private readonly qos: TableQos;
  private readonly tracker: Tracker;

  constructor(private readonly spec: DeviceSpec) {
    this.store = new TableStore(spec.limits);
    this.fwd = new ForwardingState(this.store);
    const portTable = tableByName('port')!;
    spec.ports.forEach((p, i) => {
      // Locally administered, unique per port: 02:00:00:00:<hi>:<lo>.
      const mac = formatMac(Uint8Array.from([0x02, 0, 0, 0, (i + 1) >> 8, (i + 1) & 0xff]));
      this.portSpecs.set(p.id, { ...p, mac });
      this.portCounters.set(p.id, { rx: zero(), tx: zero(), rxDropped: zero() });
      this.store.seed(portTable, JSON.stringify([p.id]), { id: p.id, adminUp: true });
    });
    const zoneTable = tableByName('ct_zone')!;
    this.store.seed(zoneTable, JSON.stringify([null]), {});
    this.conntrackEntries = spec.conntrackEntries;
    this.events = new EventLog(spec.eventRetention);
    this.flows = new FlowRecorder(() => this.singleton<FlowLogEntry>('flow_log'), this.events, this.clock);
    this.conntrack = new ConntrackTable({
      clock: this.clock,
      maxEntries: spec.conntrackEntries,
      zone: (z) => this.store.object('ct_zone', z === 0 ? (null as unknown as number) : z)?.body as CtZoneEntry | undefined,
      onEnd: (e, reason, now) => this.connectionEnded(e, reason, now),
    });
    this.qos = new TableQos(this.store);
    const ct = this.conntrack;
    this.tracker = {
      get size() {
        return ct.size;
      },
      classify: (zone, tuple, flags, now, meta) => ct.classify(zone, tuple, flags, now, meta),
      update: (conn, dir, flags, bytes, now, seg) => {
        ct.update(conn as CtEntry, dir, flags, bytes, now, seg);
      },
      commit: (zone, original, nat, info, flags, bytes, now, meta) => {
        const r = ct.commit(zone, original, nat, { policyRef: info.policyRef }, flags, bytes, now, meta);
        if (typeof r === 'string') return r;
        this.flows.started(r, info.ingressPort);
        return r;
      },
      allocatePort: (zone, tuple, ip, range, dnat, now) => {
        const p = allocateSnatPort(ct, zone, tuple, { dnat, snatIp: ip, range, nowNs: now });
        return p === 'exhausted' ? null : p;
      },
    };
    this.ctx = this.walkContext();
  }

  private singleton<T>(table: string): T | undefined {
    const it = this.store.entries(table).next();
    return it.done ? undefined : (it.value.body as T);
  }

  private connectionEnded(e: CtEntry, reason: 'IDLE_TIMEOUT' | 'TCP_FIN' | 'TCP_RST' | 'FLUSHED', now: number): void {
    this.flows.ended(e, reason, now);
    // hal-spec §12: flushes produce flow records but no aging events.
    if (reason !== 'FLUSHED') this.events.append(now, { conntrackAging: { entry: this.conntrack.toHal(e) } });
  }

  hasPort(id: string): boolean {
    return this.portSpecs.has(id);
  }

  portConfig(id: string): PortEntry {
    return this.store.object('port', id)!.body as PortEntry;
  }

  portStatus(): PortStatus[] {
    return [...this.portSpecs.values()].map((p) => {
      const c = this.portCounters.get(p.id)!;
      const cfg = this.portConfig(p.id);
      return { id: p.id, role: p.role, mac: p.mac, speedBps: p.speedBps, operUp: cfg.adminUp === true, rx: { ...c.rx }, tx: { ...c.tx }, rxDropped: { ...c.rxDropped } };
    });
  }

  /** Processes one frame arriving at `portId` at `timeNs` (already validated). */
  inject(portId: string, frame: Uint8Array, timeNs: number): WalkResult {
    this.clock.advanceTo(timeNs);
    const pc = this.portCounters.get(portId)!;
    pc.rx.packets++;
    pc.rx.bytes += frame.length;
    this.injected.packets++;
    this.injected.bytes += frame.length;
    if (this.affinity.size > 65536) this.affinity.sweep(timeNs);
    const result = walkPacket(this.ctx, portId, frame, timeNs);
    if (result.dropReason) {
      this.drops.set(result.dropReason, (this.drops.get(result.dropReason) ?? 0) + 1);
      pc.rxDropped.packets++;
      pc.rxDropped.bytes += frame.length;
    }
    for (const e of result.emitted) {
      const out = this.portCounters.get(e.portId!)!;
      out.tx.packets++;
      out.tx.bytes += e.frame!.length;
      this.emitted.packets++;
      this.emitted.bytes += e.frame!.length;
      this.captured.push(e);
    }
    const depth = this.spec.captureDepth * this.portSpecs.size;
    if (this.captured.length > depth) {
      // hal-spec §14.2: the oldest uncaptured packets are discarded and counted.
      const lost = this.captured.length - depth;
      this.captured.splice(0, lost);
      this.drops.set('capture-overflow', (this.drops.get('capture-overflow') ?? 0) + lost);
    }
    return result;
  }

  private readonly ctx: WalkContext;

  private walkContext(): WalkContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const device = this;
    return {
      store: this.store,
      fwd: this.fwd,
      get cost() {
        return device.cost;
      },
      ct: this.tracker,
      affinity: this.affinity,
      flows: this.flows,
      qos: this.qos,
      reject: buildRejection,
      port: (id) => {
        const p = this.portSpecs.get(id);
        if (!p) return undefined;
        const cfg = this.portConfig(id);
        return { id, mac: p.mac, adminUp: cfg.adminUp === true, vrf: cfg.vrf ?? 0, ctZone: cfg.ctZone ?? 0 };
      },
      countLookup: (table, hit) => {
        const c = this.tableCounters.get(table) ?? { lookups: 0, hits: 0 };
        c.lookups++;
        if (hit) c.hits++;
        this.tableCounters.set(table, c);
      },
    };
  }

  capture(portIds: readonly string[], max: number, peek: boolean): EmittedPacket[] {
    const wanted = (e: EmittedPacket) => portIds.length === 0 || portIds.includes(e.portId!);
    // hal-spec §14.2: in order of emission time, ties in emission order. A shaper
    // can make a packet leave after one injected later, so the buffer (kept in
    // emission order) is not already in time order.
    const byTime = this.captured.map((e, i) => ({ e, i })).filter(({ e }) => wanted(e));
    byTime.sort((a, b) => (a.e.timeNs ?? 0) - (b.e.timeNs ?? 0) || a.i - b.i);
    const chosen = max === 0 ? byTime : byTime.slice(0, max);
    if (!peek && chosen.length) {
      const gone = new Set(chosen.map((c) => c.i));
      this.captured = this.captured.filter((_, i) => !gone.has(i));
    }
    return chosen.map((c) => c.e);
  }

  usage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of Object.keys(this.spec.limits)) out[name] = this.store.count(name);
    return out;
  }
}

