// The reference packet walk (hal-spec README, "Packet walk") for the stages the
// reference pipeline implements today: port ingress → parse → policy (egress of
// the source endpoint, ingress of the destination endpoint) → routing (endpoint
// host routes, LPM, ECMP, next hops) → neighbor rewrite → port egress.
import { type EcmpGroupEntry, type EmittedPacket, type NexthopEntry, type TraceStep } from '../../hal/index.js';
import { decrementTtl, parsePacket, setMacs, type ParsedPacket } from '../packet/index.js';
import type { CostSink } from '../cost/ops.js';
import type { TableStore } from '../state/table-store.js';
import { firstMatch, type FlowFacts } from './acl.js';
import { rendezvous } from './flow-hash.js';
import type { ForwardingState } from './forwarding-state.js';

export interface PortView {
  readonly id: string;
  readonly mac: string;
  readonly adminUp: boolean;
  readonly vrf: number;
}

export interface WalkResult {
  disposition: 'FORWARDED' | 'DROPPED' | 'REJECTED';
  dropReason?: string;
  trace: TraceStep[];
  emitted: EmittedPacket[];
}

export interface WalkContext {
  readonly store: TableStore;
  readonly fwd: ForwardingState;
  readonly port: (id: string) => PortView | undefined;
  readonly countLookup: (table: string, hit: boolean) => void;
  /** Receives the operations each stage performs (src/sim/cost prices them). */
  readonly cost: CostSink;
}

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

// Address bytes come straight from the frame (IPv4 src/dst at +12/+16, IPv6 at
// +8/+24): the parser already formatted the text, re-parsing it per packet is waste.
// They are views: take copies before a stage (NAT) rewrites addresses in place.
function factsOf(frame: Uint8Array, pkt: ParsedPacket): FlowFacts | null {
  const l3 = pkt.l3;
  if (!l3 || l3.kind === 'arp') return null;
  const l4 = pkt.l4;
  const protocol = l3.kind === 'ipv4' ? l3.protocol : l3.upperProtocol;
  const ports = l4 && (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'sctp') ? { srcPort: l4.srcPort, dstPort: l4.dstPort } : {};
  const icmp = l4 && (l4.kind === 'icmp' || l4.kind === 'icmpv6') ? { icmpType: l4.type, icmpCode: l4.code } : {};
  return {
    family: l3.kind === 'ipv4' ? 4 : 6,
    src: l3.src,
    dst: l3.dst,
    srcBytes: l3.kind === 'ipv4' ? frame.subarray(l3.offset + 12, l3.offset + 16) : frame.subarray(l3.offset + 8, l3.offset + 24),
    dstBytes: l3.kind === 'ipv4' ? frame.subarray(l3.offset + 16, l3.offset + 20) : frame.subarray(l3.offset + 24, l3.offset + 40),
    protocol,
    ...ports,
    ...icmp,
  };
}

export function walkPacket(ctx: WalkContext, ingressPortId: string, input: Uint8Array, timeNs: number): WalkResult {
  const trace: TraceStep[] = [];
  const step = (stage: string, detail: string, table = '', ref = '') => trace.push({ stage, detail, ...(table && { table }), ...(ref && { ref }) });
  const drop = (reason: string, detail: string, stage: string, table = '', ref = ''): WalkResult => {
    step(stage, detail, table, ref);
    return { disposition: 'DROPPED', dropReason: reason, trace, emitted: [] };
  };

  const port = ctx.port(ingressPortId)!;
  if (!port.adminUp) return drop('port-down', `ingress port ${port.id} is administratively down`, 'port-ingress', 'port', port.id);
  step('port-ingress', `received on ${port.id} (vrf ${port.vrf})`, 'port', port.id);

  const frame = input.slice();
  const cost = ctx.cost;
  const parsed = parsePacket(frame);
  cost.charge('parse', 'parse', parsed.ok ? parsed.pkt.payloadOffset : frame.length);
  if (!parsed.ok) return drop(`malformed:${parsed.reason}`, `malformed packet: ${parsed.detail}`, 'parse');
  const pkt = parsed.pkt;
  if (pkt.eth.dst !== port.mac && pkt.eth.dst !== BROADCAST) {
    return drop('l2-not-for-device', `destination MAC ${pkt.eth.dst} is not this port's ${port.mac}`, 'parse');
  }
  const f = factsOf(frame, pkt);
  if (!f) return drop('unsupported-ethertype', `ethertype 0x${pkt.eth.etherType.toString(16).padStart(4, '0')} is not routed`, 'parse');
  if (pkt.eth.dst === BROADCAST) return drop('l2-broadcast', 'IP broadcast frames are not routed', 'parse');
  step('parse', describeFlow(f));

  // Policy: egress stage of a local source endpoint, then ingress stage of a
  // local destination endpoint. Both are judged before routing resolves a port.
  const endpoints = ctx.store.count('endpoint');
  const srcEp = ctx.fwd.endpoint(port.vrf, f.src);
  ctx.countLookup('endpoint', !!srcEp);
  cost.charge('policy', 'lookup', endpoints, 'endpoint', 'exact');
  const dstEp = ctx.fwd.endpoint(port.vrf, f.dst);
  ctx.countLookup('endpoint', !!dstEp);
  cost.charge('policy', 'lookup', endpoints, 'endpoint', 'exact');
  for (const [stage, ep, dir] of [
    ['ACL_EGRESS', srcEp, 'egress'],
    ['ACL_INGRESS', dstEp, 'ingress'],
  ] as const) {
    if (!ep) continue;
    const rules = ctx.fwd.acl(stage);
    const rule = firstMatch(rules, ep.entry.endpointId!, f);
    ctx.countLookup('acl', !!rule);
    cost.charge('policy', 'lookup', rules.length, 'acl', 'ternary');
    const who = `${dir} of endpoint ${ep.entry.endpointId} (${dir === 'egress' ? f.src : f.dst})`;
    if (rule) {
      rule.stored.counters.packets++;
      rule.stored.counters.bytes += input.length;
      const name = rule.entry.policyRef || `acl priority ${rule.priority}`;
      const action = rule.entry.action ?? 'ACL_ALLOW';
      if (action !== 'ACL_ALLOW') {
        const reason = action === 'ACL_REJECT' ? 'acl-reject' : 'acl-deny';
        return drop(reason, `${action === 'ACL_REJECT' ? 'rejected' : 'denied'} by ACL ${name} (priority ${rule.priority}) at ${who}`, 'policy', 'acl', rule.entry.policyRef ?? '');
      }
      step('policy', `allowed by ACL ${name} (priority ${rule.priority}) at ${who}`, 'acl', rule.entry.policyRef ?? '');
    } else if (dir === 'ingress' ? ep.entry.isolatedIngress : ep.entry.isolatedEgress) {
      return drop(`default-deny-${dir}`, `endpoint ${ep.entry.endpointId} is isolated for ${dir} and no ACL allows this flow: default deny`, 'policy', 'endpoint', ep.entry.endpointId);
    } else {
      step('policy', `no ACL matched at ${who}; not isolated: allowed`);
    }
  }

  // Routing: a local endpoint is an implicit host route; otherwise LPM.
  let egress: { portId: string; dmac: string; via: string };
  if (dstEp) {
    dstEp.stored.counters.packets++;
    dstEp.stored.counters.bytes += input.length;
    egress = { portId: dstEp.entry.portId!, dmac: dstEp.entry.mac!, via: `local endpoint ${dstEp.entry.endpointId}` };
    step('routing', `${f.dst} is local endpoint ${dstEp.entry.endpointId} on ${egress.portId}`, 'endpoint', dstEp.entry.endpointId);
  } else {
    const hit = ctx.fwd.route(port.vrf, f.dstBytes);
    ctx.countLookup('route', !!hit);
    cost.charge('routing', 'lookup', ctx.store.count('route'), 'route', 'lpm');
    if (!hit) return drop('no-route', `no route to ${f.dst} in vrf ${port.vrf}`, 'routing', 'route');
    hit.stored.counters.packets++;
    hit.stored.counters.bytes += input.length;
    const r = hit.entry;
    if (r.drop) return drop('route-drop', `route ${r.prefix} drops`, 'routing', 'route', r.prefix);
    if (r.reject) return drop('route-reject', `route ${r.prefix} rejects`, 'routing', 'route', r.prefix);
    let nexthopId = r.nexthopId;
    if (r.ecmpGroupId) {
      const group = ctx.store.object('ecmp_group', r.ecmpGroupId)!.body as EcmpGroupEntry;
      const members = (group.members ?? []).map((m) => ({ id: m.nexthopId!, weight: m.weight }));
      const i = rendezvous(`${f.src}|${f.dst}|${f.protocol}|${f.srcPort ?? 0}|${f.dstPort ?? 0}`, members);
      if (i < 0) return drop('ecmp-empty', `ECMP group ${r.ecmpGroupId} has no members`, 'routing', 'ecmp_group', r.ecmpGroupId);
      nexthopId = members[i].id;
      step('routing', `route ${r.prefix} → ECMP group ${r.ecmpGroupId} → next hop ${nexthopId} by flow hash`, 'ecmp_group', r.ecmpGroupId);
    } else step('routing', `route ${r.prefix} → next hop ${nexthopId}`, 'route', r.prefix);
    const nh = ctx.store.object('nexthop', nexthopId!)!.body as NexthopEntry;
    if (!nh.port) return drop('unsupported-nexthop', `next hop ${nexthopId} is a tunnel, which this pipeline does not encapsulate yet`, 'routing', 'nexthop', nexthopId);
    let dmac = nh.port.dmac;
    if (!dmac) {
      const target = nh.port.ip ?? f.dst;
      const n = ctx.fwd.neighbor(port.vrf, target);
      ctx.countLookup('neighbor', !!n);
      cost.charge('neighbor', 'lookup', ctx.store.count('neighbor'), 'neighbor', 'exact');
      if (!n) return drop('neighbor-miss', `no neighbor entry for ${target}`, 'neighbor', 'neighbor', target);
      dmac = n.entry.mac!;
      step('neighbor', `${target} is at ${dmac}`, 'neighbor', target);
    }
    egress = { portId: nh.port.portId!, dmac, via: `next hop ${nexthopId}` };
  }

  const out = ctx.port(egress.portId)!;
  if (!out.adminUp) return drop('egress-port-down', `egress port ${out.id} is administratively down`, 'port-egress', 'port', out.id);
  if (!decrementTtl(frame, pkt)) return drop('ttl-exceeded', 'TTL / hop limit expired', 'routing');
  setMacs(frame, pkt, out.mac, egress.dmac);
  cost.charge('port-egress', 'rewrite');
  cost.charge('port-egress', 'emit', frame.length);
  step('port-egress', `sent out ${out.id} to ${egress.dmac} (${egress.via})`, 'port', out.id);
  return { disposition: 'FORWARDED', trace, emitted: [{ portId: out.id, frame, timeNs }] };
}

export function describeFlow(f: FlowFacts): string {
  const proto = f.protocol === 6 ? 'TCP' : f.protocol === 17 ? 'UDP' : f.protocol === 132 ? 'SCTP' : f.protocol === 1 ? 'ICMP' : f.protocol === 58 ? 'ICMPv6' : `proto ${f.protocol}`;
  const ep = (a: string, p?: number) => (p === undefined ? a : f.family === 6 ? `[${a}]:${p}` : `${a}:${p}`);
  const icmp = f.icmpType !== undefined ? ` type ${f.icmpType} code ${f.icmpCode}` : '';
  return `IPv${f.family} ${proto}${icmp} ${ep(f.src, f.srcPort)} → ${ep(f.dst, f.dstPort)}`;
}
