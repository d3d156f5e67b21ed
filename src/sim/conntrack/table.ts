// The connection-tracking table (hal-spec §12): learned connections keyed per
// zone by both direction tuples, the TCP state machine, idle expiry on the virtual
// clock, capacity per zone, and the List/Get/Delete filter semantics.
import type { ConntrackEntry, CtZoneEntry, FiveTuple, IpAddress, L4Port } from '../../hal/index.js';
import { TcpStateValues } from '../../hal/index.js';
import type { Timer, VirtualClock } from '../clock.js';
import { CtEntry, type CtDirection, type CtEndReason } from './entry.js';
import { ExpiryQueue } from './expiry-queue.js';
import { DIR_ORIGINAL, DIR_REPLY, TCP_FIN, TCP_INVALID, TCP_RST, TcpSt, tcpNext, tcpOpens, tcpPicksUp, tcpReopens } from './tcp-state.js';
import { DEFAULT_RESOLVED, resolveTimeouts, type ResolvedTimeouts } from './timeouts.js';
import {
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, canonicalIp, fromHal, replyTuple, type NatBindings, type Tuple,
} from './tuple.js';
import { TupleIndex, hashTuple } from './tuple-index.js';
import { TcpWindow, type TcpSegment } from './window.js';

export type CtState = 'NEW' | 'ESTABLISHED' | 'REPLY' | 'RELATED' | 'INVALID';

/**
 * What classify found. The table reuses one verdict object: read it before the
 * next classify call.
 */
export interface CtVerdict {
  readonly state: CtState;
  /** The matching connection (for NEW: a finished TCP connection a SYN reopens). */
  readonly entry: CtEntry | undefined;
  /** The packet's direction in `entry`. */
  readonly direction: CtDirection | undefined;
}

/** Extra facts about a packet that some protocols need. */
export interface PacketMeta {
  /** TCP sequence facts; needed only for zones with window tracking. */
  readonly seg?: TcpSegment;
  /** ICMP/ICMPv6 type: an echo reply (0 / 129) or an error message (without `quoted`) cannot open a connection. */
  readonly icmpType?: number;
  /** For an ICMP/ICMPv6 error: the tuple of the packet it quotes (see icmp-errors.ts). */
  readonly quoted?: Tuple;
}

/** hal-spec §12 filter: every set field must hold (ConntrackFilter fits; address text may be any valid form). */
export interface CtFilter {
  readonly zone?: number;
  readonly protocol?: number;
  /** Either address of either tuple; '' = unset. */
  readonly address?: string;
  /** The reply tuple's source (the DNAT backend); '' = unset. */
  readonly replySrcIp?: string;
  readonly replySrcPort?: number;
}

export interface CommitInfo {
  /** The ACL policy_ref that admitted the connection ('' when none). */
  readonly policyRef?: string;
}

/** Why commit refused: the zone or device is full, a tuple is taken, or the packet cannot open a connection. */
export type CommitRefusal = 'full' | 'clash' | 'invalid';

export interface ConntrackOptions {
  readonly clock: VirtualClock;
  /** The device maximum: the limit of a zone whose maxEntries is 0, and of all zones together. */
  readonly maxEntries: number;
  /** The zone's ct_zone entry as written now (undefined: defaults). Called per packet, so a later write applies. */
  readonly zone?: (zone: number) => CtZoneEntry | undefined;
  /** Called once when a connection ends, with its due time. */
  readonly onEnd?: (entry: CtEntry, reason: CtEndReason, nowNs: number) => void;
}

interface MutableVerdict {
  state: CtState;
  entry: CtEntry | undefined;
  direction: CtDirection | undefined;
}

export class ConntrackTable {
  private readonly clock: VirtualClock;
  private readonly maxEntries: number;
  private readonly zoneOf: (zone: number) => CtZoneEntry | undefined;
  private readonly onEnd: ConntrackOptions['onEnd'];
  /** Both directions' tuples find the entry. */
  private readonly index = new TupleIndex();
  private readonly queue = new ExpiryQueue<CtEntry>();
  private readonly perZone = new Map<number, number>();
  private readonly resolved = new WeakMap<CtZoneEntry, ResolvedTimeouts>();
  private readonly verdict: MutableVerdict = { state: 'NEW', entry: undefined, direction: undefined };
  private nextId = 1;
  private clockTimer: Timer | null = null;
  private clockAt = Infinity;

  constructor(opts: ConntrackOptions) {
    if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 0) throw new RangeError(`maxEntries must be a non-negative integer, got ${opts.maxEntries}`);
    this.clock = opts.clock;
    this.maxEntries = opts.maxEntries;
    this.zoneOf = opts.zone ?? (() => undefined);
    this.onEnd = opts.onEnd;
  }

  /** Live connections in all zones. */
  get size(): number {
    return this.queue.size;
  }

  /** Live connections in one zone. */
  zoneSize(zone: number): number {
    return this.perZone.get(zone) ?? 0;
  }

  /** A SYN opens anywhere; a plain ACK picks a connection up except in zones with window tracking. */
  private tcpMayOpen(zone: number, flags: number): boolean {
    return tcpOpens(flags) || (tcpPicksUp(flags) && !this.zoneOf(zone)?.tcpWindowTracking);
  }

  /** Classifies a packet without changing anything. */
  classify(zone: number, tuple: Tuple, tcpFlags: number, nowNs: number, meta?: PacketMeta): CtVerdict {
    if (meta?.quoted) return this.related(zone, meta.quoted, nowNs);
    const code = this.index.find(zone, tuple, hashTuple(zone, tuple));
    const e = code === 0 ? undefined : this.index.entry(code);
    if (e === undefined || e.expiresNs <= nowNs) {
      if (tuple.protocol === IPPROTO_TCP && !this.tcpMayOpen(zone, tcpFlags)) return this.say('INVALID', undefined, undefined);
      if (meta?.icmpType !== undefined && !opensIcmp(tuple.protocol, meta.icmpType)) return this.say('INVALID', undefined, undefined);
      return this.say('NEW', undefined, undefined);
    }
    const dir = TupleIndex.dir(code);
    const direction: CtDirection = dir === DIR_ORIGINAL ? 'original' : 'reply';
    if (tuple.protocol === IPPROTO_TCP) {
      if (tcpReopens(e.tcpState, dir, tcpFlags)) return this.say('NEW', e, direction);
      if (tcpNext(e.tcpState, dir, tcpFlags, e.finFrom) === TCP_INVALID) return this.say('INVALID', e, direction);
      if (e.window !== null && meta?.seg && !e.window.accepts(dir, tcpFlags, meta.seg)) return this.say('INVALID', e, direction);
    }
    return this.say(dir === DIR_ORIGINAL ? 'ESTABLISHED' : 'REPLY', e, direction);
  }

  /**
   * Commits a new connection whose first packet is `original` (as it arrived,
   * before NAT). The reply tuple is formed from the NAT bindings. Counts the
   * packet in the original direction. A finished TCP connection on the same
   * tuple that this SYN reopens ends first.
   */
  commit(
    zone: number, original: Tuple, nat: NatBindings | undefined, info: CommitInfo, tcpFlags: number, bytes: number, nowNs: number,
    meta?: PacketMeta,
  ): CtEntry | CommitRefusal {
    const tcp = original.protocol === IPPROTO_TCP;
    if (tcp && !this.tcpMayOpen(zone, tcpFlags)) return 'invalid';
    if (meta?.icmpType !== undefined && !opensIcmp(original.protocol, meta.icmpType)) return 'invalid';
    const orig: Tuple = { srcIp: original.srcIp, dstIp: original.dstIp, protocol: original.protocol, srcPort: original.srcPort, dstPort: original.dstPort };
    const origHash = hashTuple(zone, orig);
    const reply = replyTuple(orig, nat);
    const replyHash = hashTuple(zone, reply);
    // A tuple still held by another connection: an expired one not yet reaped ends
    // now; a finished TCP connection this SYN reopens ends; anything else clashes.
    for (let d = 0; d < 2; d++) {
      const code = d === 0 ? this.index.find(zone, orig, origHash) : this.index.find(zone, reply, replyHash);
      if (code === 0) continue;
      const old = this.index.entry(code);
      if (old.expiresNs <= nowNs) this.end(old, endReason(old), old.expiresNs);
      else if (d === 0 && TupleIndex.dir(code) === DIR_ORIGINAL && tcp && tcpReopens(old.tcpState, DIR_ORIGINAL, tcpFlags)) this.end(old, endReason(old), nowNs);
      else return 'clash';
    }
    const cfg = this.zoneOf(zone);
    const zoneMax = cfg?.maxEntries ? Math.min(cfg.maxEntries, this.maxEntries) : this.maxEntries;
    const inZone = this.perZone.get(zone) ?? 0;
    if (inZone >= zoneMax || this.queue.size >= this.maxEntries) return 'full';

    const e = new CtEntry(this.nextId++, zone, orig, reply, origHash, replyHash, nat?.dnat !== undefined, nat?.snat !== undefined, nowNs, info.policyRef ?? '');
    if (tcp) {
      // A picked-up connection (no SYN seen) starts established.
      e.tcpState = tcpOpens(tcpFlags) ? TcpSt.SYN_SENT : TcpSt.ESTABLISHED;
      if (cfg?.tcpWindowTracking) {
        e.window = new TcpWindow();
        if (meta?.seg) e.window.record(DIR_ORIGINAL, tcpFlags, meta.seg);
      }
    }
    e.origPackets = 1;
    e.origBytes = bytes;
    this.index.add(e);
    this.perZone.set(zone, inZone + 1);
    e.expiresNs = nowNs + this.timeout(e, cfg);
    e.timerAt = e.expiresNs;
    this.queue.push(e);
    this.armClock();
    return e;
  }

  /**
   * Accounts a packet of an existing connection: TCP state, counters, last-seen
   * time, expiry. Returns false (and changes nothing) when the connection has ended
   * or the TCP segment is not acceptable in its state. Not for RELATED packets.
   */
  update(entry: CtEntry, direction: CtDirection, tcpFlags: number, bytes: number, nowNs: number, seg?: TcpSegment): boolean {
    if (entry.heapIndex < 0) return false;
    const dir = direction === 'original' ? DIR_ORIGINAL : DIR_REPLY;
    if (entry.original.protocol === IPPROTO_TCP) {
      const next = tcpNext(entry.tcpState, dir, tcpFlags, entry.finFrom);
      if (next === TCP_INVALID) return false;
      if (entry.window !== null && seg) {
        if (!entry.window.accepts(dir, tcpFlags, seg)) return false;
        entry.window.record(dir, tcpFlags, seg);
      }
      if (tcpFlags & TCP_FIN && entry.finFrom < 0) entry.finFrom = dir;
      if (tcpFlags & TCP_RST) entry.rst = true;
      entry.tcpState = next;
    }
    if (dir === DIR_ORIGINAL) {
      entry.origPackets++;
      entry.origBytes += bytes;
    } else {
      entry.replyPackets++;
      entry.replyBytes += bytes;
      entry.replied = true;
    }
    entry.lastSeenNs = nowNs;
    const expires = nowNs + this.timeout(entry, this.zoneOf(entry.zone));
    entry.expiresNs = expires;
    // Lazy re-arm: only a shorter life moves the queue entry now.
    if (expires < entry.timerAt) {
      this.queue.rekey(entry, expires);
      this.armClock();
    }
    return true;
  }

  /** The live connection either of whose tuples equals `tuple` in `zone`. */
  get(zone: number, tuple: Tuple | FiveTuple): CtEntry | undefined {
    const t = fromHal(tuple);
    const code = this.index.find(zone, t, hashTuple(zone, t));
    return code === 0 ? undefined : this.index.entry(code);
  }

  /** True when a live connection uses `tuple` (either direction) in `zone`; used by NAT port allocation. */
  inUse(zone: number, tuple: Tuple, nowNs: number): boolean {
    const code = this.index.find(zone, tuple, hashTuple(zone, tuple));
    return code !== 0 && this.index.entry(code).expiresNs > nowNs;
  }

  /** Matching connections (hal-spec §12 filter), oldest first; `limit` 0 = all. */
  list(filter: CtFilter = {}, limit = 0): CtEntry[] {
    const match = matcher(filter);
    const out = this.queue.items().filter(match);
    out.sort((a, b) => a.id - b.id);
    return limit > 0 && out.length > limit ? out.slice(0, limit) : out;
  }

  /** Removes the matching connections (end reason FLUSHED) and returns how many. */
  delete(filter: CtFilter = {}): number {
    const doomed = this.list(filter, 0);
    const now = this.clock.now;
    for (const e of doomed) this.end(e, 'FLUSHED', now);
    return doomed.length;
  }

  /** The HAL message for a connection. */
  toHal(e: CtEntry): ConntrackEntry {
    // Tuple addresses are canonical text already (formatted from packet bytes or canonicalised).
    const t = (x: Tuple): FiveTuple => ({
      srcIp: x.srcIp as IpAddress, dstIp: x.dstIp as IpAddress, protocol: x.protocol, srcPort: x.srcPort as L4Port, dstPort: x.dstPort as L4Port,
    });
    return {
      zone: e.zone,
      original: t(e.original),
      reply: t(e.reply),
      tcpState: TcpStateValues[e.tcpState],
      replied: e.replied,
      dnat: e.dnat,
      snat: e.snat,
      createdNs: e.createdNs,
      lastSeenNs: e.lastSeenNs,
      expiresNs: e.expiresNs,
      originalCounters: { packets: e.origPackets, bytes: e.origBytes },
      replyCounters: { packets: e.replyPackets, bytes: e.replyBytes },
      policyRef: e.policyRef,
    };
  }

  /** The idle timeout (ns) that applies to a connection now. */
  private timeout(e: CtEntry, cfg: CtZoneEntry | undefined): number {
    let t = DEFAULT_RESOLVED;
    if (cfg?.timeouts) {
      const cached = this.resolved.get(cfg);
      if (cached) t = cached;
      else {
        t = resolveTimeouts(cfg.timeouts);
        this.resolved.set(cfg, t);
      }
    }
    switch (e.original.protocol) {
      case IPPROTO_TCP: return t.tcp[e.tcpState];
      case IPPROTO_UDP: return e.replied ? t.udpReplied : t.udpUnreplied;
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6: return t.icmp;
      default: return t.other;
    }
  }

  /**
   * An ICMP error quoting `quoted` is RELATED to the connection that packet
   * belongs to. The quoted packet went the opposite way to the error, after NAT,
   * so the error's own direction is found by looking up the quoted tuple inverted
   * (as Linux does): an error from a DNAT backend quoting `snat → backend` inverts to
   * the reply tuple `backend → snat`.
   */
  private related(zone: number, quoted: Tuple, nowNs: number): CtVerdict {
    const icmp = quoted.protocol === IPPROTO_ICMP || quoted.protocol === IPPROTO_ICMPV6;
    const inv: Tuple = {
      srcIp: quoted.dstIp, dstIp: quoted.srcIp, protocol: quoted.protocol,
      srcPort: icmp ? quoted.srcPort : quoted.dstPort, dstPort: icmp ? 0 : quoted.srcPort,
    };
    const code = this.index.find(zone, inv, hashTuple(zone, inv));
    const e = code === 0 ? undefined : this.index.entry(code);
    if (e === undefined || e.expiresNs <= nowNs) return this.say('INVALID', undefined, undefined);
    return this.say('RELATED', e, TupleIndex.dir(code) === DIR_ORIGINAL ? 'original' : 'reply');
  }

  private say(state: CtState, entry: CtEntry | undefined, direction: CtDirection | undefined): CtVerdict {
    const v = this.verdict;
    v.state = state;
    v.entry = entry;
    v.direction = direction;
    return v;
  }

  private end(e: CtEntry, reason: CtEndReason, nowNs: number): void {
    this.index.remove(e);
    this.queue.remove(e);
    const n = (this.perZone.get(e.zone) ?? 1) - 1;
    if (n === 0) this.perZone.delete(e.zone);
    else this.perZone.set(e.zone, n);
    this.onEnd?.(e, reason, nowNs);
  }

  /** Keeps one clock timer at (or before) the earliest queued time. */
  private armClock(): void {
    const top = this.queue.peek();
    if (top === undefined || top.timerAt >= this.clockAt) return;
    if (this.clockTimer !== null) this.clock.cancel(this.clockTimer);
    this.clockAt = top.timerAt;
    this.clockTimer = this.clock.at(top.timerAt, this.onClock);
  }

  private readonly onClock = (now: number): void => {
    this.clockTimer = null;
    this.clockAt = Infinity;
    for (;;) {
      const e = this.queue.peek();
      if (e === undefined || e.timerAt > now) break;
      if (e.expiresNs > now) this.queue.rekey(e, e.expiresNs);
      else this.end(e, endReason(e), e.expiresNs);
    }
    this.armClock();
  };
}

/**
 * An echo reply answers a request, and an error message refers to another
 * packet (it reaches here only when its quote was unreadable): neither opens a
 * connection.
 */
function opensIcmp(protocol: number, type: number): boolean {
  if (protocol === IPPROTO_ICMP) return type !== 0 && type !== 3 && type !== 4 && type !== 5 && type !== 11 && type !== 12;
  if (protocol === IPPROTO_ICMPV6) return type !== 129 && type >= 128;
  return true;
}

/** How an expiring connection ended: reset, closed by FINs, or just idle. */
function endReason(e: CtEntry): CtEndReason {
  if (e.original.protocol !== IPPROTO_TCP) return 'IDLE_TIMEOUT';
  if (e.rst) return 'TCP_RST';
  return e.tcpState === TcpSt.TIME_WAIT || e.tcpState === TcpSt.CLOSE ? 'TCP_FIN' : 'IDLE_TIMEOUT';
}

function matcher(f: CtFilter): (e: CtEntry) => boolean {
  const zone = f.zone;
  const protocol = f.protocol;
  const address = f.address ? canonicalIp(f.address) : '';
  const replySrcIp = f.replySrcIp ? canonicalIp(f.replySrcIp) : '';
  const replySrcPort = f.replySrcPort;
  return (e) =>
    (zone === undefined || e.zone === zone) &&
    (protocol === undefined || e.original.protocol === protocol) &&
    (address === '' ||
      e.original.srcIp === address || e.original.dstIp === address || e.reply.srcIp === address || e.reply.dstIp === address) &&
    (replySrcIp === '' || e.reply.srcIp === replySrcIp) &&
    (replySrcPort === undefined || e.reply.srcPort === replySrcPort);
}
