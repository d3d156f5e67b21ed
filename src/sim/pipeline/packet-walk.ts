// The reference packet walk (hal-spec §2): port ingress → parse → tunnel
// termination → conntrack → service load balancing → policy (after DNAT) →
// conntrack commit → NAT → routing / neighbor → tunnel encapsulation → QoS →
// port egress. Every decision lands in the trace; every drop has one reason.
import { parseIp, type EcmpGroupEntry, type EmittedPacket, type NexthopEntry, type TraceStep, type TunnelEntry } from '../../hal/index.js';
import type { CostSink } from '../cost/ops.js';
import { decrementTtl, parsePacket, rewriteDst, rewriteSrc, setMacs, type ParsedPacket } from '../packet/index.js';
import type { TableStore } from '../state/table-store.js';
import type { AffinityTable } from './affinity.js';
import { quotedTuple } from '../packet/icmp-errors.js';
import { rewriteQuoted } from '../packet/icmp-quote-nat.js';
import type { ConnectionTuple, PacketMeta, Tracker, TrackedConnection } from './tracker.js';
import { describeFlow, factsOf, withDestination, type PacketFacts } from './facts.js';
import { rendezvous } from './flow-hash.js';
import type { ForwardingState } from './forwarding-state.js';
import { evaluatePolicy } from './policy.js';
import type { QosStage } from './qos-stage.js';
import { balance } from './service-lb.js';
import { matchSnat } from './snat.js';
import { encapsulate } from './tunnel.js';

export interface PortView {
  readonly id: string;
  readonly mac: string;
  readonly adminUp: boolean;
  readonly vrf: number;
  readonly ctZone: number;
}

export interface WalkResult {
  disposition: 'FORWARDED' | 'DROPPED' | 'REJECTED';
  dropReason?: string;
  trace: TraceStep[];
  emitted: EmittedPacket[];
}

/** What the telemetry stage learns from a packet (flow records). */
export interface FlowObserver {
  denied(f: PacketFacts, zone: number, ingressPort: string, verdict: 'DENIED' | 'REJECTED', policyRef: string, bytes: number, nowNs: number): void;
}

/** Builds the answer to a rejected packet (TCP RST or ICMP unreachable), or null when none is due. */
export type RejectBuilder = (frame: Uint8Array, pkt: ParsedPacket, why: 'port-unreachable' | 'admin-prohibited' | 'net-unreachable') => Uint8Array | null;

export interface WalkContext {
  readonly store: TableStore;
  readonly fwd: ForwardingState;
  readonly port: (id: string) => PortView | undefined;
  readonly countLookup: (table: string, hit: boolean) => void;
  /** Receives the operations each stage performs (src/sim/cost prices them). */
  readonly cost: CostSink;
  readonly ct: Tracker;
  readonly affinity: AffinityTable;
  readonly flows: FlowObserver;
  readonly qos: QosStage;
  readonly reject: RejectBuilder;
}

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

function count(stored: { counters: { packets: number; bytes: number } }, bytes: number): void {
  stored.counters.packets++;
  stored.counters.bytes += bytes;
}

function tupleOf(f: PacketFacts): ConnectionTuple {
  return { srcIp: f.src, dstIp: f.dst, protocol: f.protocol, srcPort: f.srcPort ?? f.echoId ?? 0, dstPort: f.dstPort ?? 0 };
}

const ipBytes = (frame: Uint8Array, pkt: ParsedPacket, which: 'src' | 'dst'): Uint8Array => {
  const l3 = pkt.l3!;
  const at = l3.kind === 'ipv4' ? l3.offset + (which === 'src' ? 12 : 16) : l3.offset + (which === 'src' ? 8 : 24);
  return frame.slice(at, at + (l3.kind === 'ipv4' ? 4 : 16));
};

/** Rewrites the packet so its addresses become `want` (src and dst, with ports); returns how many rewrites happened. */
function translate(frame: Uint8Array, pkt: ParsedPacket, f: PacketFacts, want: ConnectionTuple): number {
  let n = 0;
  const portful = f.srcPort !== undefined;
  const curSrcPort = f.srcPort ?? f.echoId;
  if (want.srcIp !== f.src || (curSrcPort !== undefined && want.srcPort !== curSrcPort)) {
    rewriteSrc(frame, pkt, want.srcIp, curSrcPort !== undefined ? want.srcPort : undefined);
    n++;
  }
  if (want.dstIp !== f.dst || (portful && want.dstPort !== f.dstPort)) {
    rewriteDst(frame, pkt, want.dstIp, portful ? want.dstPort : undefined);
    n++;
  }
  return n;
}

export function walkPacket(ctx: WalkContext, ingressPortId: string, input: Uint8Array, timeNs: number): WalkResult {
  const trace: TraceStep[] = [];
  const cost = ctx.cost;
  const step = (stage: string, detail: string, table = '', ref = '') => trace.push({ stage, detail, ...(table && { table }), ...(ref && { ref }) });
  const drop = (reason: string, detail: string, stage: string, table = '', ref = ''): WalkResult => {
    step(stage, detail, table, ref);
    return { disposition: 'DROPPED', dropReason: reason, trace, emitted: [] };
  };

  const port = ctx.port(ingressPortId)!;
  if (!port.adminUp) return drop('port-down', `ingress port ${port.id} is administratively down`, 'port-ingress', 'port', port.id);
  step('port-ingress', `received on ${port.id} (vrf ${port.vrf}, zone ${port.ctZone})`, 'port', port.id);
  let vrf = port.vrf;
  const zone = port.ctZone;

  let frame: Uint8Array = input.slice();
  let parsed = parsePacket(frame);
  cost.charge('parse', 'parse', parsed.ok ? parsed.pkt.payloadOffset : frame.length);
  if (!parsed.ok) return drop(`malformed:${parsed.reason}`, `malformed packet: ${parsed.detail}`, 'parse');
  let pkt = parsed.pkt;
  if (pkt.eth.dst !== port.mac && pkt.eth.dst !== BROADCAST) {
    return drop('l2-not-for-device', `destination MAC ${pkt.eth.dst} is not this port's ${port.mac}`, 'parse');
  }
  let f = factsOf(frame, pkt);
  if (!f) return drop('unsupported-ethertype', `ethertype 0x${pkt.eth.etherType.toString(16).padStart(4, '0')} is not routed`, 'parse');
  if (pkt.eth.dst === BROADCAST) return drop('l2-broadcast', 'IP broadcast frames are not routed', 'parse');
  step('parse', describeFlow(f));

  // Stage 2: tunnel termination. A tunnel to a local VTEP with a matching entry
  // is removed; anything else is an ordinary UDP packet and is routed as such.
  if (pkt.tunnel) {
    const t = pkt.tunnel;
    const type = t.kind === 'vxlan' ? 'VXLAN' : 'GENEVE';
    const term = ctx.fwd.tunnelTerm(f.dst, t.vni, type);
    ctx.countLookup('tunnel_term', !!term);
    cost.charge('tunnel-term', 'lookup', ctx.store.count('tunnel_term'), 'tunnel_term', 'exact');
    if (term) {
      count(term.stored, input.length);
      if (!t.inner) return drop('tunnel-inner-unsupported', `${type} VNI ${t.vni} carries protocol 0x${(t.protocolType ?? 0).toString(16)}, not Ethernet`, 'tunnel-term', 'tunnel_term', f.dst);
      const inner = frame.slice(t.innerOffset, pkt.payloadEnd);
      cost.charge('tunnel-term', 'decap', t.innerOffset);
      frame = inner;
      parsed = parsePacket(frame);
      if (!parsed.ok) return drop(`malformed:${parsed.reason}`, `malformed inner packet: ${parsed.detail}`, 'tunnel-term');
      pkt = parsed.pkt;
      vrf = term.entry.vrf ?? 0;
      const inside = factsOf(frame, pkt);
      if (!inside) return drop('unsupported-ethertype', 'the inner frame is not IP', 'tunnel-term');
      f = inside;
      step('tunnel-term', `${type} VNI ${t.vni} to local VTEP ${term.entry.localIp} terminated; inner ${describeFlow(f)} continues in vrf ${vrf}`, 'tunnel_term', term.entry.localIp);
    }
  }

  const bytes = frame.length;
  const endpoints = ctx.store.count('endpoint');
  const srcEp = ctx.fwd.endpoint(vrf, f.src);
  ctx.countLookup('endpoint', !!srcEp);
  cost.charge('policy', 'lookup', endpoints, 'endpoint', 'exact');

  // Stage 3: conntrack. Established and reply traffic skips LB and policy and is
  // translated from the connection's bindings.
  const original = tupleOf(f);
  const meta = metaOf(frame, pkt);
  cost.charge('conntrack', 'ct-lookup', ctx.ct.size);
  const cls = ctx.ct.classify(zone, original, f.tcpFlags, timeNs, meta);
  const state = cls.state;
  const direction = cls.direction;
  let conn: TrackedConnection | undefined;
  let wantTuple: ConnectionTuple | undefined;
  let dstForRouting = f;
  if (state === 'INVALID') {
    const why = meta?.quoted ? 'an ICMP error quoting no known connection' : cls.entry ? 'a segment not acceptable in the connection\'s state' : 'a packet that cannot open a connection';
    return drop('ct-invalid', `conntrack: ${why} is invalid`, 'conntrack', 'ct_zone', String(zone));
  }
  if (state === 'ESTABLISHED' || state === 'REPLY') {
    conn = cls.entry!;
    ctx.ct.update(conn, direction!, f.tcpFlags, bytes, timeNs, meta?.seg);
    cost.charge('conntrack', 'ct-update');
    // Original direction goes where the reply tuple comes from; replies go back to
    // where the original came from, as the VIP.
    const o = conn.original;
    const r = conn.reply;
    wantTuple = direction === 'original'
      ? { srcIp: r.dstIp, dstIp: r.srcIp, protocol: o.protocol, srcPort: r.dstPort, dstPort: r.srcPort }
      : { srcIp: o.dstIp, dstIp: o.srcIp, protocol: o.protocol, srcPort: o.dstPort, dstPort: o.srcPort };
    if (f.echoId !== undefined) {
      // ICMP echo keeps its identifier in srcPort both ways (hal-spec §12).
      wantTuple = direction === 'original' ? { ...wantTuple, srcPort: r.srcPort, dstPort: 0 } : { ...wantTuple, srcPort: o.srcPort, dstPort: 0 };
    }
    step('conntrack', `${state === 'REPLY' ? 'reply to' : 'established'} connection ${describeTuple(o)} (zone ${zone}): policy already decided`, 'ct_zone', String(zone));
  } else if (state === 'RELATED') {
    // The error's own addresses are translated like a packet of its direction, so an
    // error about a masqueraded flow reaches the client; the packet it quotes went the
    // other way, after translation, and is put back as it was before (hal-spec §2,
    // "Conntrack states").
    const o = cls.entry!.original;
    const r = cls.entry!.reply;
    wantTuple = direction === 'reply'
      ? { ...original, srcIp: f.src === r.srcIp ? o.dstIp : f.src, dstIp: f.dst === r.dstIp ? o.srcIp : f.dst }
      : { ...original, srcIp: f.src === o.srcIp ? r.dstIp : f.src, dstIp: f.dst === o.dstIp ? r.srcIp : f.dst };
    const quoted = quotedTuple(frame, pkt);
    if (quoted) {
      const was = direction === 'reply' ? o : r;
      const n = rewriteQuoted(frame, pkt, quoted, { srcIp: was.srcIp, dstIp: was.dstIp, srcPort: was.srcPort, dstPort: was.dstPort });
      for (let i = 0; i < n; i++) cost.charge('nat', 'nat');
      if (n) step('nat', `quoted packet translated back to ${describeTuple(was)}`);
    }
    step('conntrack', `ICMP error related to connection ${describeTuple(o)}: admitted without policy`, 'ct_zone', String(zone));
  } else {
    step('conntrack', `new connection (zone ${zone})`, 'ct_zone', String(zone));
    // Stage 4: service load balancing.
    cost.charge('service-lb', 'lookup', ctx.store.count('service'), 'service', 'exact');
    const lb = balance(ctx.fwd, ctx.store, ctx.affinity, vrf, f, timeNs);
    ctx.countLookup('service', lb.kind !== 'none');
    let dnat: { ip: string; port: number } | undefined;
    let snat: { ip: string; port?: number } | undefined;
    let masqueradeRange: { lo: number; hi: number } | undefined;
    switch (lb.kind) {
      case 'none':
        break;
      case 'source-denied':
        return drop('service-source-denied', lb.detail, 'service-lb', 'service_source', lb.ref);
      case 'drop':
        return drop('service-drop', lb.detail, 'service-lb', 'service', lb.ref);
      case 'empty-drop':
        return drop('service-no-endpoints', lb.detail, 'service-lb', 'backend_group', lb.ref);
      case 'reject':
        ctx.flows.denied(f, zone, port.id, 'REJECTED', lb.ref, bytes, timeNs);
        return rejectWith(ctx, trace, frame, pkt, port, lb.reason, 'port-unreachable', lb.detail, 'service-lb', 'service', lb.ref, timeNs);
      case 'dnat': {
        count(lb.service.stored, bytes);
        count(lb.group, bytes);
        dnat = { ip: lb.member.ip!, port: lb.member.port! };
        step('service-lb', lb.detail, 'service', lb.ref);
        const b = lb.service.entry.balance!;
        const mode = b.snatMode ?? 'SNAT_NONE';
        if (mode === 'SNAT_MASQUERADE' || (mode === 'SNAT_HAIRPIN' && f.src === dnat.ip)) {
          // hal-spec §3.2: without snatIp the device picks a local address. The
          // reference uses the VIP: the one address on this path it certainly owns,
          // so the backend's replies come back here to be reverse-translated.
          const ip = b.snatIp || lb.service.entry.vip!;
          snat = { ip };
          masqueradeRange = { lo: 1024, hi: 65535 };
          step('nat', `${mode === 'SNAT_HAIRPIN' ? 'hairpin' : 'masquerade'}: source becomes ${ip}${b.snatIp ? '' : ' (the VIP: no snatIp given)'}`, 'service', lb.ref);
        }
        break;
      }
    }
    const seen = dnat ? withDestination(f, dnat.ip, ipOf(dnat.ip), f.dstPort !== undefined ? dnat.port : undefined) : f;

    // Stage 5: policy, after DNAT.
    const dstEp = ctx.fwd.endpoint(vrf, seen.dst);
    ctx.countLookup('endpoint', !!dstEp);
    cost.charge('policy', 'lookup', endpoints, 'endpoint', 'exact');
    const verdict = evaluatePolicy(ctx.fwd, cost, ctx.countLookup, seen, srcEp, dstEp, bytes);
    for (const s of verdict.steps) step('policy', s.detail, s.table, s.ref);
    if (!verdict.allowed) {
      ctx.flows.denied(f, zone, port.id, verdict.reject ? 'REJECTED' : 'DENIED', verdict.policyRef, bytes, timeNs);
      if (verdict.reject) return rejectWith(ctx, trace, frame, pkt, port, verdict.reason, 'admin-prohibited', verdict.detail, 'policy', verdict.table, verdict.ref, timeNs);
      return drop(verdict.reason, verdict.detail, 'policy', verdict.table, verdict.ref);
    }

    // Stage 7 (decided before the commit, which needs the reply tuple): SNAT rules.
    if (!snat) {
      const d = matchSnat(ctx.fwd, vrf, seen);
      if (d.rule) {
        count(d.rule.stored, bytes);
        cost.charge('nat', 'lookup', ctx.store.count('snat'), 'snat', 'ternary');
      }
      if (d.kind === 'masquerade') {
        snat = { ip: d.ip };
        masqueradeRange = d.ports;
        step('nat', `masquerade to ${d.ip} by SNAT rule priority ${d.rule.priority}`, 'snat', String(d.rule.priority));
      } else if (d.kind === 'address') {
        snat = { ip: d.ip, port: seen.srcPort ?? seen.echoId };
        step('nat', `source address becomes ${d.ip} by SNAT rule priority ${d.rule.priority}`, 'snat', String(d.rule.priority));
      } else if (d.rule) step('nat', `exempt from SNAT by rule priority ${d.rule.priority}`, 'snat', String(d.rule.priority));
    }
    if (snat && masqueradeRange && (seen.srcPort !== undefined || seen.echoId !== undefined)) {
      const port = ctx.ct.allocatePort(zone, original, snat.ip, masqueradeRange, dnat, timeNs);
      if (port === null) return drop('nat-ports-exhausted', `no free source port on ${snat.ip} in ${masqueradeRange.lo}-${masqueradeRange.hi}`, 'nat', 'snat', snat.ip);
      snat = { ip: snat.ip, port };
    }

    // Stage 6: commit.
    let committed = ctx.ct.commit(zone, original, { dnat, snat }, { policyRef: verdict.policyRef, ingressPort: port.id }, f.tcpFlags, bytes, timeNs, meta);
    if (committed === 'clash' && (seen.srcPort !== undefined || seen.echoId !== undefined)) {
      // The translated reply tuple is another connection's (typically a client that
      // reached a backend directly and then through its VIP from the same port). As
      // Linux NAT does, remap the source port so both connections can live.
      const ip = snat?.ip ?? f.src;
      const remapped = ctx.ct.allocatePort(zone, original, ip, { lo: 1024, hi: 65535 }, dnat, timeNs);
      if (remapped !== null) {
        snat = { ip, port: remapped };
        step('nat', `reply tuple in use: source port remapped to ${remapped} to keep connections apart`);
        committed = ctx.ct.commit(zone, original, { dnat, snat }, { policyRef: verdict.policyRef, ingressPort: port.id }, f.tcpFlags, bytes, timeNs, meta);
      }
    }
    cost.charge('conntrack', 'ct-insert');
    if (committed === 'full') return drop('ct-full', `conntrack zone ${zone} is full`, 'conntrack', 'ct_zone', String(zone));
    if (committed === 'clash') return drop('ct-clash', `the reply tuple of this connection belongs to another one in zone ${zone}`, 'conntrack', 'ct_zone', String(zone));
    if (committed === 'invalid') return drop('ct-invalid', 'conntrack: a packet that cannot open a connection is invalid', 'conntrack', 'ct_zone', String(zone));
    conn = committed;
    const r = conn.reply;
    wantTuple = { srcIp: r.dstIp, dstIp: r.srcIp, protocol: original.protocol, srcPort: r.dstPort, dstPort: r.srcPort };
    if (f.echoId !== undefined) wantTuple = { ...wantTuple, srcPort: r.srcPort, dstPort: 0 };
    step('conntrack', `committed ${describeTuple(original)}${dnat || snat ? ` with reply ${describeTuple(r)}` : ''}`, 'ct_zone', String(zone));
  }

  if (wantTuple) {
    const n = translate(frame, pkt, f, wantTuple);
    for (let i = 0; i < n; i++) cost.charge('nat', 'nat');
    if (n) {
      // rewriteSrc/rewriteDst keep `pkt` current in place; offsets do not move.
      dstForRouting = { ...f, dst: wantTuple.dstIp, dstBytes: ipBytes(frame, pkt, 'dst'), src: wantTuple.srcIp, srcBytes: ipBytes(frame, pkt, 'src') };
      step('nat', `translated to ${describeTuple(wantTuple)}`);
    }
  }

  // Stage 8: routing. A local endpoint is an implicit host route; otherwise LPM.
  const rf = dstForRouting;
  const dstEp = ctx.fwd.endpoint(vrf, rf.dst);
  let egress: { portId: string; dmac: string; via: string; tunnel?: TunnelEntry; tunnelId?: string };
  if (dstEp) {
    count(dstEp.stored, bytes);
    egress = { portId: dstEp.entry.portId!, dmac: dstEp.entry.mac!, via: `local endpoint ${dstEp.entry.endpointId}` };
    step('routing', `${rf.dst} is local endpoint ${dstEp.entry.endpointId} on ${egress.portId}`, 'endpoint', dstEp.entry.endpointId);
  } else {
    const hit = ctx.fwd.route(vrf, rf.dstBytes);
    ctx.countLookup('route', !!hit);
    cost.charge('routing', 'lookup', ctx.store.count('route'), 'route', 'lpm');
    if (!hit) return drop('no-route', `no route to ${rf.dst} in vrf ${vrf}`, 'routing', 'route');
    count(hit.stored, bytes);
    const r = hit.entry;
    if (r.drop) return drop('route-drop', `route ${r.prefix} drops`, 'routing', 'route', r.prefix);
    if (r.reject) return rejectWith(ctx, trace, frame, pkt, port, "route-reject", "net-unreachable", `route ${r.prefix} rejects`, "routing", "route", r.prefix!, timeNs);
    let nexthopId = r.nexthopId;
    if (r.ecmpGroupId) {
      const group = ctx.store.object('ecmp_group', r.ecmpGroupId)!;
      count(group, bytes);
      const members = ((group.body as EcmpGroupEntry).members ?? []).map((m) => ({ id: m.nexthopId!, weight: m.weight }));
      const i = rendezvous(`${rf.src}|${rf.dst}|${rf.protocol}|${rf.srcPort ?? 0}|${rf.dstPort ?? 0}`, members);
      if (i < 0) return drop('ecmp-empty', `ECMP group ${r.ecmpGroupId} has no members`, 'routing', 'ecmp_group', r.ecmpGroupId);
      nexthopId = members[i].id;
      step('routing', `route ${r.prefix} → ECMP group ${r.ecmpGroupId} → next hop ${nexthopId} by flow hash`, 'ecmp_group', r.ecmpGroupId);
    } else step('routing', `route ${r.prefix} → next hop ${nexthopId}`, 'route', r.prefix);
    const nhStored = ctx.store.object('nexthop', nexthopId!)!;
    count(nhStored, bytes);
    let nh = nhStored.body as NexthopEntry;
    let tunnel: TunnelEntry | undefined;
    let neighborTarget = rf.dst;
    if (nh.tunnelId) {
      const tStored = ctx.store.object('tunnel', nh.tunnelId)!;
      count(tStored, bytes);
      tunnel = tStored.body as TunnelEntry;
      const under = ctx.store.object('nexthop', tunnel.underlayNexthopId!)!;
      count(under, bytes);
      nh = under.body as NexthopEntry;
      neighborTarget = tunnel.remoteIp!;
      step('routing', `next hop ${nexthopId} is tunnel ${tunnel.id} to ${tunnel.remoteIp} (${tunnel.type} VNI ${tunnel.vni ?? 0}) via underlay next hop ${tunnel.underlayNexthopId}`, 'tunnel', tunnel.id);
    }
    let dmac = nh.port!.dmac;
    if (!dmac) {
      const target = nh.port!.ip ?? neighborTarget;
      const n = ctx.fwd.neighbor(tunnel ? 0 : vrf, target);
      ctx.countLookup('neighbor', !!n);
      cost.charge('neighbor', 'lookup', ctx.store.count('neighbor'), 'neighbor', 'exact');
      if (!n) return drop('neighbor-miss', `no neighbor entry for ${target}`, 'neighbor', 'neighbor', target);
      count(n.stored, bytes);
      dmac = n.entry.mac!;
      step('neighbor', `${target} is at ${dmac}`, 'neighbor', target);
    }
    egress = { portId: nh.port!.portId!, dmac, via: `next hop ${nexthopId}`, tunnel, tunnelId: tunnel?.id };
  }

  const out = ctx.port(egress.portId)!;
  if (!out.adminUp) return drop('egress-port-down', `egress port ${out.id} is administratively down`, 'port-egress', 'port', out.id);
  if (!decrementTtl(frame, pkt)) return drop('ttl-exceeded', 'TTL / hop limit expired', 'routing');
  cost.charge('port-egress', 'rewrite');
  if (egress.tunnel) {
    // Inner Ethernet: from the egress port to the underlay neighbor; the remote
    // VTEP terminates by outer address and VNI, so the inner MACs only need to be stable.
    setMacs(frame, pkt, out.mac, egress.dmac);
    const before = frame.length;
    frame = encapsulate(egress.tunnel, frame, out.mac, egress.dmac);
    cost.charge('tunnel-encap', 'encap', frame.length - before);
    step('tunnel-encap', `encapsulated in ${egress.tunnel.type} VNI ${egress.tunnel.vni ?? 0} from ${egress.tunnel.localIp} to ${egress.tunnel.remoteIp}`, 'tunnel', egress.tunnelId);
  } else {
    setMacs(frame, pkt, out.mac, egress.dmac);
  }

  // Stage 10: QoS — policers bound to the ports and endpoints, then the port's shaper.
  const q = ctx.qos.apply({ ingressPort: port.id, egressPort: out.id, srcEndpoint: srcEp?.entry.endpointId, dstEndpoint: dstEp?.entry.endpointId, bytes: frame.length, nowNs: timeNs });
  if (q.charged) cost.charge('qos', 'qos');
  for (const s of q.steps) step('qos', s.detail, s.table, s.ref);
  if (q.drop) return drop(q.drop.reason, q.drop.detail, 'qos', q.drop.table, q.drop.ref);

  cost.charge('port-egress', 'emit', frame.length);
  step('port-egress', `sent out ${out.id} to ${egress.dmac} (${egress.via})${q.departNs > timeNs ? ` after ${q.departNs - timeNs} ns in the shaper queue` : ''}`, 'port', out.id);
  return { disposition: 'FORWARDED', trace, emitted: [{ portId: out.id, frame, timeNs: q.departNs }] };
}

function rejectWith(
  ctx: WalkContext, trace: TraceStep[], frame: Uint8Array, pkt: ParsedPacket, port: PortView, reason: string,
  why: 'port-unreachable' | 'admin-prohibited' | 'net-unreachable', detail: string, stage: string, table: string, ref: string, timeNs: number,
): WalkResult {
  trace.push({ stage, detail, ...(table && { table }), ...(ref && { ref }) });
  const answer = ctx.reject(frame, pkt, why);
  if (!answer) {
    trace.push({ stage, detail: 'no answer is due for this packet (an ICMP error or a RST is never answered)' });
    return { disposition: 'DROPPED', dropReason: reason, trace, emitted: [] };
  }
  // The answer goes back out of the ingress port to the sender's MAC.
  const p = parsePacket(answer, { verifyChecksums: false });
  if (p.ok) setMacs(answer, p.pkt, port.mac, pkt.eth.src);
  ctx.cost.charge(stage, 'emit', answer.length);
  trace.push({ stage, detail: `answered with ${describeAnswer(answer)} out of ${port.id}`, table: 'port', ref: port.id });
  return { disposition: 'REJECTED', dropReason: reason, trace, emitted: [{ portId: port.id, frame: answer, timeNs }] };
}

function metaOf(frame: Uint8Array, pkt: ParsedPacket): PacketMeta | undefined {
  const l4 = pkt.l4;
  if (!l4) return undefined;
  if (l4.kind === 'tcp') {
    return { seg: { seq: l4.seq, ack: l4.ack, window: l4.window, payloadLength: pkt.payloadEnd - l4.offset - l4.dataOffset } };
  }
  if (l4.kind === 'icmp' || l4.kind === 'icmpv6') {
    const quoted = quotedTuple(frame, pkt);
    return quoted ? { icmpType: l4.type, quoted } : { icmpType: l4.type };
  }
  return undefined;
}

function describeAnswer(frame: Uint8Array): string {
  const p = parsePacket(frame, { verifyChecksums: false });
  if (!p.ok) return 'a reply';
  const l4 = p.pkt.l4;
  if (l4?.kind === 'tcp') return 'a TCP RST';
  if (l4?.kind === 'icmp' || l4?.kind === 'icmpv6') return `${l4.kind.toUpperCase()} type ${l4.type} code ${l4.code}`;
  return 'a reply';
}

function describeTuple(t: ConnectionTuple): string {
  const v6 = t.srcIp.includes(':');
  const ep = (a: string, p: number) => (v6 ? `[${a}]:${p}` : `${a}:${p}`);
  return `${ep(t.srcIp, t.srcPort)} → ${ep(t.dstIp, t.dstPort)} proto ${t.protocol}`;
}


function ipOf(text: string) {
  return parseIp(text)!;
}
