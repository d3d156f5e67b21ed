// The program's control flow on real packets: port_config → parse → endpoint
// tags (ipv4_to_port / ipv4_src_endpoint) → acl (egress stage of the source
// endpoint, ingress stage of the destination endpoint; an isolated endpoint
// with no matching rule is default-deny) → ipv4_to_port host route or
// ipv4_route LPM → ecmp_group selector → nexthop → neighbor → MAC rewrite and
// TTL decrement → out. ARP is punted to the controller (PacketIn). Every table
// lookup is reported to a cost sink. Lookups use this target's own structures
// over TableState, rebuilt when a table's version moves.
import { decrementTtl, parsePacket, setMacs, type ParsedPacket } from '../../../sim/packet/index.js';
import { LpmTrie } from '../../../sim/lookup/lpm-trie.js';
import type { CostSink } from '../../../sim/cost/ops.js';
import type { TraceStep } from '../../../hal/index.js';
import { formatIpv4, formatMac } from '../../../hal/index.js';
import { ACTIONS, PIN_IDLE_NS, PUNT_ARP, TABLES, type TableDef } from '../program/program.js';
import { toFixed } from '../p4rt/bytestrings.js';
import type { ActionCall, MatchValue, StoredEntry, TableState } from './table-state.js';
import { ServiceStage } from './service-stage.js';
import { rejectOut } from './reject.js';
import { AclStage } from './acl-stage.js';
import { describeEncap, encapsulate, outerFamily, terminate } from './tunnel-stage.js';
import { addrText, describeView, hashWords, viewOf } from './view.js';
import type { TargetPort } from './ports.js';

export interface PipelineResult {
  disposition: 'FORWARDED' | 'DROPPED' | 'REJECTED';
  dropReason?: string;
  trace: TraceStep[];
  out?: { port: TargetPort; frame: Uint8Array };
  punt?: { reason: number; frame: Uint8Array };
}

interface Flow {
  src: number;
  dst: number;
  protocol: number;
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

/** The tables of each address family. */
const FAMILY = {
  4: { toPort: TABLES.ipv4_to_port, srcEndpoint: TABLES.ipv4_src_endpoint, route: TABLES.ipv4_route, neighbor: TABLES.neighbor },
  6: { toPort: TABLES.ipv6_to_port, srcEndpoint: TABLES.ipv6_src_endpoint, route: TABLES.ipv6_route, neighbor: TABLES.neighbor_v6 },
} as const;

/** Exact-match index of a table whose fields are all EXACT: TableState keys are already canonical. */
function exactKey(values: readonly (number | bigint)[]): string {
  return `${values.map((v) => `${BigInt(v).toString(16)}/0`).join(',')}#0`;
}

function fnv(values: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    for (let s = 24; s >= 0; s -= 8) {
      h ^= (v >>> s) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  h ^= h >>> 15;
  return h >>> 0;
}

export class Pipeline {
  /** Per family, per VRF: an LPM trie over the family's route table, rebuilt when the table changes. */
  private readonly routeVersion = { 4: -1, 6: -1 };
  private readonly routes = { 4: new Map<number, LpmTrie<StoredEntry>>(), 6: new Map<number, LpmTrie<StoredEntry>>() };
  private readonly acl: AclStage;
  /** Last time each learned entry was hit (virtual ns), by entry key. */
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly state: TableState,
    private readonly ports: readonly TargetPort[],
    readonly countLookup: (table: string, hit: boolean) => void,
  ) {
    this.services = new ServiceStage(state, this);
    this.acl = new AclStage(state, countLookup);
  }

  private readonly services: ServiceStage;

  /** The weighted actions of a selector table entry: its one-shot set, or its action profile group or member. */
  members(e: StoredEntry): readonly { call: ActionCall; weight: number }[] {
    return this.state.selectorMembers(e);
  }

  exact(t: TableDef, values: readonly (number | bigint)[], cost: CostSink, stage: string): StoredEntry | undefined {
    const e = this.state.get(t, exactKey(values));
    this.countLookup(t.name, !!e);
    cost.charge(stage, 'lookup', this.state.count(t), t.name, 'exact');
    return e;
  }

  private route(family: 4 | 6, vrf: number, dst: bigint, cost: CostSink): StoredEntry | undefined {
    const t = family === 4 ? TABLES.ipv4_route : TABLES.ipv6_route;
    const bytes = family === 4 ? 4 : 16;
    if (this.routeVersion[family] !== this.state.version(t)) {
      const routes = new Map<number, LpmTrie<StoredEntry>>();
      for (const e of this.state.entries(t)) {
        const v = Number(e.match.get('vrf')!.value);
        // An omitted LPM field is the /0 default route.
        const m = e.match.get('dst_addr');
        let trie = routes.get(v);
        if (!trie) routes.set(v, (trie = new LpmTrie()));
        trie.set(toFixed(m?.value ?? 0n, bytes), m?.prefixLen ?? 0, e);
      }
      this.routes[family] = routes;
      this.routeVersion[family] = this.state.version(t);
    }
    const hit = this.routes[family].get(vrf)?.lookup(toFixed(dst, bytes))?.value;
    this.countLookup(t.name, !!hit);
    cost.charge('routing', 'lookup', this.state.count(t), t.name, 'lpm');
    return hit;
  }

  private portCfg(port: TargetPort, cost: CostSink): { vrf: number; up: boolean } {
    const e = this.exact(TABLES.port_config, [port.number], cost, 'port-ingress');
    if (!e) return { vrf: 0, up: true };
    return { vrf: Number(e.action!.params.vrf), up: e.action!.params.admin_up === 1n };
  }

  /** Removes learned entries idle for longer than PIN_IDLE_NS. */
  expire(now: number): void {
    this.services.expire(now);
    for (const t of [TABLES.pinned_flows, TABLES.pinned_flows_reverse]) {
      for (const e of [...this.state.entries(t)]) {
        if (now - (this.lastSeen.get(`${t.id}|${e.key}`) ?? 0) > PIN_IDLE_NS) {
          this.state.forget(t, e.key);
          this.lastSeen.delete(`${t.id}|${e.key}`);
        }
      }
    }
  }

  forget(t: TableDef, e: StoredEntry): void {
    this.state.forget(t, e.key);
    this.lastSeen.delete(`${t.id}|${e.key}`);
  }

  learned(t: TableDef, values: readonly number[], now: number, cost: CostSink): StoredEntry | undefined {
    const e = this.exact(t, values, cost, 'service-lb');
    if (!e) return undefined;
    const k = `${t.id}|${e.key}`;
    if (now - (this.lastSeen.get(k) ?? 0) > PIN_IDLE_NS) {
      this.state.forget(t, e.key);
      this.lastSeen.delete(k);
      return undefined;
    }
    this.lastSeen.set(k, now);
    return e;
  }

  learn(t: TableDef, values: readonly number[], action: keyof typeof ACTIONS, params: Record<string, bigint>, now: number, cost: CostSink): void {
    const match = new Map<string, MatchValue>(t.fields.map((fd, i) => [fd.name, { kind: 'EXACT' as const, value: BigInt(values[i]) }]));
    const e = this.state.learn(t, match, { action: ACTIONS[action], params });
    cost.charge('service-lb', 'ct-insert');
    if (e) this.lastSeen.set(`${t.id}|${e.key}`, now);
  }

  run(port: TargetPort, input: Uint8Array, cost: CostSink, now = 0): PipelineResult {
    const trace: TraceStep[] = [];
    const step = (stage: string, detail: string, table = '') => trace.push({ stage, detail, ...(table && { table }) });
    const drop = (reason: string, detail: string, stage: string, table = ''): PipelineResult => {
      step(stage, detail, table);
      return { disposition: 'DROPPED', dropReason: reason, trace };
    };
    let cfg = this.portCfg(port, cost);
    if (!cfg.up) return drop('port-down', `ingress port ${port.name} is administratively down`, 'port-ingress', 'port_config');
    step('port-ingress', `received on ${port.name} (port ${port.number}, vrf ${cfg.vrf})`, 'port_config');

    let frame: Uint8Array = input.slice();
    const parsed = parsePacket(frame);
    cost.charge('parse', 'parse', parsed.ok ? parsed.pkt.payloadOffset : frame.length);
    if (!parsed.ok) return drop(`malformed:${parsed.reason}`, `malformed packet: ${parsed.detail}`, 'parse');
    let pkt = parsed.pkt;
    if (pkt.l3?.kind === 'arp') {
      cost.charge('parse', 'punt');
      step('parse', `ARP ${pkt.l3.op === 1 ? 'request' : 'reply'} for ${pkt.l3.targetIp}: punted to the controller`);
      return { disposition: 'DROPPED', dropReason: 'punt-arp', trace, punt: { reason: PUNT_ARP, frame } };
    }
    if (pkt.eth.dst !== port.mac && pkt.eth.dst !== BROADCAST) {
      return drop('l2-not-for-device', `destination MAC ${pkt.eth.dst} is not this port's ${port.mac}`, 'parse');
    }
    if (pkt.l3?.kind !== 'ipv4' && pkt.l3?.kind !== 'ipv6') {
      return drop('unsupported-ethertype', `ethertype 0x${pkt.eth.etherType.toString(16).padStart(4, '0')} is not routed`, 'parse');
    }
    if (pkt.eth.dst === BROADCAST) return drop('l2-broadcast', 'IP broadcast frames are not routed', 'parse');
    const term = terminate(frame, pkt, input.length, (t, v, c, st) => this.exact(t, v, c, st), cost, step);
    if (term?.kind === 'drop') return drop(term.reason, term.detail, 'tunnel-term', 'tunnel_term');
    if (term) {
      frame = term.frame;
      pkt = term.pkt;
      cfg = { ...cfg, vrf: term.vrf };
      if (pkt.l3?.kind !== 'ipv4' && pkt.l3?.kind !== 'ipv6') return drop('unsupported-ethertype', 'the inner frame is not IP', 'tunnel-term');
    }
    const bytes = frame.length;
    if (pkt.l3?.kind === 'ipv4') {
      const f = flowOf(frame, pkt);
      step('parse', describe(f));
      const lb = this.services.run(cfg.vrf, frame, pkt, f, step, cost, now);
      if (lb && 'drop' in lb) return drop(lb.drop, lb.detail, 'service-lb', lb.table);
      if (lb) return rejectOut(port, frame, pkt, lb.reject, lb.detail, lb.table, trace, cost);
    }
    // Services are IPv4 (service_lb keys on 32-bit VIPs); policy and routing see either family, after DNAT.
    const v = viewOf(frame, pkt)!;
    if (pkt.l3?.kind === 'ipv6') step('parse', describeView(v));
    const fam = FAMILY[v.family];

    const src = this.exact(fam.srcEndpoint, [cfg.vrf, v.src], cost, 'policy');
    const dst = this.exact(fam.toPort, [cfg.vrf, v.dst], cost, 'policy');
    const checks: [number, StoredEntry | undefined, 'egress' | 'ingress'][] = [
      [2, src, 'egress'],
      [1, dst, 'ingress'],
    ];
    for (const [stage, ep, dir] of checks) {
      if (!ep) continue;
      const tag = Number(ep.action!.params.ep_tag);
      const rule = this.acl.match(AclStage.fields(stage, tag, v), cost);
      if (rule) {
        rule.counters.packets++;
        rule.counters.bytes += bytes;
        if (rule.action!.action.name === 'acl_deny') return drop('acl-deny', `denied by acl entry priority ${rule.priority} at ${dir} of endpoint tag ${tag}`, 'policy', 'acl');
        step('policy', `allowed by acl entry priority ${rule.priority} at ${dir} of endpoint tag ${tag}`, 'acl');
      } else if (ep.action!.params[dir === 'ingress' ? 'isolated_ingress' : 'isolated_egress'] === 1n) {
        return drop(`default-deny-${dir}`, `endpoint tag ${tag} is isolated for ${dir} and no acl entry allows this flow: default deny`, 'policy', 'acl');
      } else step('policy', `no acl entry matched at ${dir} of endpoint tag ${tag}; not isolated: allowed`);
    }

    let outPort: TargetPort | undefined;
    let dmac: bigint;
    let tunnel: StoredEntry | undefined;
    if (dst) {
      dst.counters.packets++;
      dst.counters.bytes += bytes;
      outPort = this.ports.find((p) => BigInt(p.number) === dst.action!.params.port);
      dmac = dst.action!.params.dmac;
      step('routing', `${addrText(v.family, v.dst)} is a local endpoint on port ${dst.action!.params.port}`, fam.toPort.name);
    } else {
      const r = this.route(v.family, cfg.vrf, v.dst, cost);
      const rt = fam.route.name;
      if (!r) return drop('no-route', `no route to ${addrText(v.family, v.dst)} in vrf ${cfg.vrf}`, 'routing', rt);
      r.counters.packets++;
      r.counters.bytes += bytes;
      const a = r.action!;
      if (a.action.name === 'route_drop') return drop('route-drop', 'route drops', 'routing', rt);
      if (a.action.name === 'route_reject') return drop('route-reject', 'route rejects', 'routing', rt);
      let nhId = a.params.nexthop_id;
      if (a.action.name === 'route_to_ecmp') {
        const g = this.exact(TABLES.ecmp_group, [a.params.group_id], cost, 'routing');
        if (!g) return drop('ecmp-missing', `ECMP group ${a.params.group_id} is not programmed`, 'routing', 'ecmp_group');
        const members = this.members(g).filter((m) => m.call.action.name === 'set_ecmp_member');
        if (members.length === 0) return drop('ecmp-empty', `ECMP group ${a.params.group_id} has no members`, 'routing', 'ecmp_group');
        const total = members.reduce((n, m) => n + m.weight, 0);
        let pick = fnv(hashWords(v)) % total;
        const chosen = members.find((m) => (pick -= m.weight) < 0)!;
        nhId = chosen.call.params.nexthop_id;
        step('routing', `route → ECMP group ${a.params.group_id} → next hop ${nhId} by flow hash`, 'ecmp_group');
      } else step('routing', `route → next hop ${nhId}`, rt);
      const hop = this.nexthop(nhId, v.family, v.dst, cfg.vrf, cost, step, false);
      if ('drop' in hop) return drop(hop.drop, hop.detail, hop.stage, hop.table);
      outPort = hop.port;
      dmac = hop.dmac;
      tunnel = hop.tunnel;
    }
    if (!outPort) return drop('egress-port-unknown', 'the egress port is not a port of this target', 'port-egress');
    const outCfg = this.portCfg(outPort, cost);
    if (!outCfg.up) return drop('egress-port-down', `egress port ${outPort.name} is administratively down`, 'port-egress', 'port_config');
    if (!decrementTtl(frame, pkt)) return drop('ttl-exceeded', 'TTL / hop limit expired', 'routing');
    const dmacText = formatMac(toFixed(dmac, 6));
    setMacs(frame, pkt, outPort.mac, dmacText);
    cost.charge('port-egress', 'rewrite');
    if (tunnel) {
      // The inner frame goes from the egress port to the underlay neighbor (hal-spec §2, tunnel encapsulation).
      frame = encapsulate(tunnel, frame, outPort.mac, dmacText, cost);
      step('tunnel-encap', describeEncap(tunnel), 'tunnel_encap');
    }
    cost.charge('port-egress', 'emit', frame.length);
    step('port-egress', `sent out ${outPort.name} to ${dmacText}`);
    return { disposition: 'FORWARDED', trace, out: { port: outPort, frame } };
  }

  /**
   * A next-hop pointer → egress port and destination MAC: a fixed MAC, or the
   * neighbor table of the family for neighbor_ip (or the packet's own
   * destination, connected); nh_tunnel resolves its tunnel_encap entry and the
   * underlay next hop toward the remote VTEP (in VRF 0, never another tunnel).
   */
  private nexthop(
    id: bigint,
    family: 4 | 6,
    dstAddr: bigint,
    vrf: number,
    cost: CostSink,
    step: (stage: string, detail: string, table?: string) => void,
    underlay: boolean,
  ): { port?: TargetPort; dmac: bigint; tunnel?: StoredEntry } | { drop: string; detail: string; stage: string; table: string } {
    const nh = this.exact(TABLES.nexthop, [id], cost, 'routing');
    if (!nh) return { drop: 'nexthop-missing', detail: `next hop ${id} is not programmed`, stage: 'routing', table: 'nexthop' };
    const a = nh.action!.action.name;
    const np = nh.action!.params;
    if (a === 'nh_tunnel') {
      if (underlay) return { drop: 'nexthop-missing', detail: `underlay next hop ${id} is itself a tunnel`, stage: 'routing', table: 'nexthop' };
      const t = this.exact(TABLES.tunnel_encap, [np.tunnel_ptr], cost, 'tunnel-encap');
      if (!t) return { drop: 'tunnel-missing', detail: `tunnel ${np.tunnel_ptr} is not programmed`, stage: 'tunnel-encap', table: 'tunnel_encap' };
      const tp = t.action!.params;
      const outer = outerFamily(t);
      step('routing', `next hop ${id} is tunnel ${np.tunnel_ptr} to ${addrText(outer, tp.remote_ip)} via underlay next hop ${tp.underlay_nexthop_id}`, 'tunnel_encap');
      const under = this.nexthop(tp.underlay_nexthop_id, outer, tp.remote_ip, 0, cost, step, true);
      return 'drop' in under ? under : { ...under, tunnel: t };
    }
    const port = this.ports.find((p) => BigInt(p.number) === np.port);
    if (a === 'nh_fixed_mac' || a === 'nh_fixed_mac_v6') return { port, dmac: np.dmac };
    const fam: 4 | 6 = a === 'nh_neighbor_v6' ? 6 : a === 'nh_neighbor' ? 4 : family;
    const target = a === 'nh_connected' ? dstAddr : np.neighbor_ip;
    const nt = FAMILY[fam].neighbor;
    const n = this.exact(nt, [vrf, target], cost, 'neighbor');
    if (!n) return { drop: 'neighbor-miss', detail: `no neighbor entry for ${addrText(fam, target)}`, stage: 'neighbor', table: nt.name };
    step('neighbor', `${addrText(fam, target)} is at ${formatMac(toFixed(n.action!.params.dmac, 6))}`, nt.name);
    return { port, dmac: n.action!.params.dmac };
  }
}

function flowOf(frame: Uint8Array, pkt: ParsedPacket): Flow {
  const l3 = pkt.l3 as { offset: number; protocol: number };
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const l4 = pkt.l4;
  const f: Flow = { src: dv.getUint32(l3.offset + 12), dst: dv.getUint32(l3.offset + 16), protocol: l3.protocol };
  if (l4 && (l4.kind === 'tcp' || l4.kind === 'udp' || l4.kind === 'sctp')) {
    f.srcPort = l4.srcPort;
    f.dstPort = l4.dstPort;
  } else if (l4 && l4.kind === 'icmp') {
    f.icmpType = l4.type;
    f.icmpCode = l4.code;
  }
  return f;
}

function describe(f: Flow): string {
  const a = (n: number) => formatIpv4(toFixed(BigInt(n), 4));
  const proto = f.protocol === 6 ? 'TCP' : f.protocol === 17 ? 'UDP' : f.protocol === 1 ? 'ICMP' : `proto ${f.protocol}`;
  const ep = (x: number, p?: number) => (p === undefined ? a(x) : `${a(x)}:${p}`);
  return `IPv4 ${proto} ${ep(f.src, f.srcPort)} → ${ep(f.dst, f.dstPort)}`;
}
