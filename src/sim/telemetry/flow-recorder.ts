// Flow records (hal-spec §13.3): allowed flows are reported when their connection
// ends (and every activeTimeoutS while alive); a denied flow once, at its first
// denied packet. The `flow_log` singleton selects verdicts and sampling; without
// it nothing is recorded.
import type { FiveTuple, FlowEndReason, FlowLogEntry, FlowRecord } from '../../hal/index.js';
import type { VirtualClock } from '../clock.js';
import type { CtEndReason, CtEntry, Tuple } from '../conntrack/index.js';
import { fnv1a } from '../pipeline/flow-hash.js';
import type { PacketFacts } from '../pipeline/facts.js';
import type { EventLog } from './event-log.js';

/** A denied flow is reported again only after this long without denied packets. */
export const DENIED_QUIET_NS = 60e9;

const hal = (t: Tuple): FiveTuple => ({ srcIp: t.srcIp, dstIp: t.dstIp, protocol: t.protocol, srcPort: t.srcPort, dstPort: t.dstPort }) as FiveTuple;

/** The packet as it leaves in the original direction: from the reply tuple's destination to its source. */
const translated = (e: CtEntry): FiveTuple => {
  const r = e.reply;
  const icmp = e.original.protocol === 1 || e.original.protocol === 58;
  return { srcIp: r.dstIp, dstIp: r.srcIp, protocol: r.protocol, srcPort: icmp ? r.srcPort : r.dstPort, dstPort: icmp ? 0 : r.srcPort } as FiveTuple;
};

interface Tracked {
  readonly ingressPort: string;
  timer?: ReturnType<VirtualClock['at']>;
}

export class FlowRecorder {
  private readonly tracked = new Map<number, Tracked>();
  private readonly deniedSeen = new Map<string, number>();
  private deniedFor: unknown;
  private sweepAt = 65536;

  constructor(
    private readonly config: () => FlowLogEntry | undefined,
    private readonly events: EventLog,
    private readonly clock: VirtualClock,
  ) {}

  private sampled(cfg: FlowLogEntry, key: string): boolean {
    const n = cfg.sampleOneIn ?? 0;
    return n <= 1 || fnv1a(key) % n === 0;
  }

  /** A connection was committed: decide whether it will be recorded. */
  started(e: CtEntry, ingressPort: string): void {
    const cfg = this.config();
    if (!cfg?.recordAllowed || !this.sampled(cfg, `${e.zone}|${e.origHash}`)) return;
    const t: Tracked = { ingressPort };
    this.tracked.set(e.id, t);
    const active = (cfg.activeTimeoutS ?? 0) * 1e9;
    if (active > 0) {
      const tick = (now: number) => {
        if (!e.live || !this.tracked.has(e.id)) return;
        this.emit(e, t, 'ACTIVE_TIMEOUT', now);
        t.timer = this.clock.at(now + active, tick);
      };
      t.timer = this.clock.at(e.createdNs + active, tick);
    }
  }

  /** A connection ended (expiry, close, reset or flush). */
  ended(e: CtEntry, reason: CtEndReason, nowNs: number): void {
    const t = this.tracked.get(e.id);
    if (!t) return;
    this.tracked.delete(e.id);
    if (t.timer) this.clock.cancel(t.timer);
    if (!this.config()) return;
    this.emit(e, t, reason, nowNs);
  }

  denied(f: PacketFacts, zone: number, ingressPort: string, verdict: 'DENIED' | 'REJECTED', policyRef: string, bytes: number, nowNs: number): void {
    const cfg = this.config();
    if (!cfg?.recordDenied) return;
    // A new flow_log configuration starts a new reporting period.
    if (this.deniedFor !== cfg) {
      this.deniedSeen.clear();
      this.deniedFor = cfg;
    }
    const sport = f.srcPort ?? f.echoId ?? 0;
    const key = `${zone}|${f.protocol}|${f.src}|${sport}|${f.dst}|${f.dstPort ?? 0}`;
    const last = this.deniedSeen.get(key);
    this.deniedSeen.set(key, nowNs);
    if (last !== undefined && nowNs - last < DENIED_QUIET_NS) return;
    // Forget quiet flows now and then (amortized: the next sweep waits until the map doubles).
    if (this.deniedSeen.size > this.sweepAt) {
      for (const [k, at] of this.deniedSeen) if (nowNs - at >= DENIED_QUIET_NS) this.deniedSeen.delete(k);
      this.sweepAt = Math.max(65536, 2 * this.deniedSeen.size);
    }
    if (!this.sampled(cfg, key)) return;
    const tuple = { srcIp: f.src, dstIp: f.dst, protocol: f.protocol, srcPort: sport, dstPort: f.dstPort ?? 0 };
    const record: FlowRecord = {
      original: tuple as FiveTuple, translated: tuple as FiveTuple, zone, ingressPort, verdict, policyRef,
      forward: { packets: 1, bytes }, reverse: { packets: 0, bytes: 0 }, startNs: nowNs, endNs: nowNs, endReason: 'POLICY_DENIED',
    };
    this.events.append(nowNs, { flowRecord: record });
  }

  private emit(e: CtEntry, t: Tracked, reason: FlowEndReason, nowNs: number): void {
    const record: FlowRecord = {
      original: hal(e.original), translated: translated(e), zone: e.zone, ingressPort: t.ingressPort, verdict: 'ALLOWED',
      policyRef: e.policyRef, forward: { packets: e.origPackets, bytes: e.origBytes }, reverse: { packets: e.replyPackets, bytes: e.replyBytes },
      startNs: e.createdNs, endNs: nowNs, endReason: reason,
    };
    this.events.append(nowNs, { flowRecord: record });
  }
}
