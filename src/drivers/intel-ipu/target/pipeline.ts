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
  private routeVersion = -1;
  private routes = new Map<number, LpmTrie<StoredEntry>>();
  private aclVersion = -1;
  private acl: StoredEntry[] = [];
  /** Last time each learned entry was hit (virtual ns), by entry key. */
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly state: TableState,
    private readonly ports: readonly TargetPort[],
    readonly countLookup: (table: string, hit: boolean) => void,
  ) {
    this.services = new ServiceStage(state, this);
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

  private route(vrf: number, dst: number, cost: CostSink): StoredEntry | undefined {
    const t = TABLES.ipv4_route;
    if (this.routeVersion !== this.state.version(t)) {
      this.routes = new Map();
      for (const e of this.state.entries(t)) {
        const v = Number(e.match.get('vrf')!.value);
        // An omitted LPM field is the /0 default route.
        const m = e.match.get('dst_addr');
        let trie = this.routes.get(v);
        if (!trie) this.routes.set(v, (trie = new LpmTrie()));
        trie.set(toFixed(m?.value ?? 0n, 4), m?.prefixLen ?? 0, e);
      }
      this.routeVersion = this.state.version(t);
    }
    const hit = this.routes.get(vrf)?.lookup(toFixed(BigInt(dst), 4))?.value;
    this.countLookup(t.name, !!hit);
    cost.charge('routing', 'lookup', this.state.count(t), t.name, 'lpm');
    return hit;
  }

  private aclMatch(stage: number, tag: number, f: Flow, cost: CostSink): StoredEntry | undefined {
    const t = TABLES.acl;
    if (this.aclVersion !== this.state.version(t)) {
      this.acl = [...this.state.entries(t)].sort((a, b) => b.priority - a.priority);
      this.aclVersion = this.state.version(t);
    }
    cost.charge('policy', 'lookup', this.acl.length, t.name, 'ternary');
    const fields: Record<string, number | undefined> = {
      stage,
      ep_tag: tag,
      src_addr: f.src,
      dst_addr: f.dst,
      protocol: f.protocol,
      src_port: f.srcPort,
      dst_port: f.dstPort,
      icmp_type: f.icmpType,
      icmp_code: f.icmpCode,
    };
    const hit = this.acl.find((e) => {
      for (const [name, m] of e.match) {
        const v = fields[name];
        if (v === undefined) return false;
        const x = BigInt(v >>> 0);
        if (m.kind === 'TERNARY' ? (x & m.mask!) !== m.value : m.kind === 'RANGE' ? x < m.value || x > m.high! : x !== m.value) return false;
      }
      return true;
    });
    this.countLookup(t.name, !!hit);
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
    const cfg = this.portCfg(port, cost);
    if (!cfg.up) return drop('port-down', `ingress port ${port.name} is administratively down`, 'port-ingress', 'port_config');
    step('port-ingress', `received on ${port.name} (port ${port.number}, vrf ${cfg.vrf})`, 'port_config');

    const frame = input.slice();
    const parsed = parsePacket(frame);
    cost.charge('parse', 'parse', parsed.ok ? parsed.pkt.payloadOffset : frame.length);
    if (!parsed.ok) return drop(`malformed:${parsed.reason}`, `malformed packet: ${parsed.detail}`, 'parse');
    const pkt = parsed.pkt;
    if (pkt.l3?.kind === 'arp') {
      cost.charge('parse', 'punt');
      step('parse', `ARP ${pkt.l3.op === 1 ? 'request' : 'reply'} for ${pkt.l3.targetIp}: punted to the controller`);
      return { disposition: 'DROPPED', dropReason: 'punt-arp', trace, punt: { reason: PUNT_ARP, frame } };
    }
    if (pkt.eth.dst !== port.mac && pkt.eth.dst !== BROADCAST) {
      return drop('l2-not-for-device', `destination MAC ${pkt.eth.dst} is not this port's ${port.mac}`, 'parse');
    }
    if (pkt.l3?.kind !== 'ipv4') {
      const what = pkt.l3?.kind === 'ipv6' ? 'IPv6 is not handled by this program' : `ethertype 0x${pkt.eth.etherType.toString(16).padStart(4, '0')} is not routed`;
      return drop('unsupported-ethertype', what, 'parse');
    }
    if (pkt.eth.dst === BROADCAST) return drop('l2-broadcast', 'IP broadcast frames are not routed', 'parse');
    const f = flowOf(frame, pkt);
    step('parse', describe(f));
    const lb = this.services.run(cfg.vrf, frame, pkt, f, step, cost, now);
    if (lb && 'drop' in lb) return drop(lb.drop, lb.detail, 'service-lb', lb.table);
    if (lb) return rejectOut(port, frame, pkt, lb.reject, lb.detail, lb.table, trace, cost);

    const src = this.exact(TABLES.ipv4_src_endpoint, [cfg.vrf, f.src], cost, 'policy');
    const dst = this.exact(TABLES.ipv4_to_port, [cfg.vrf, f.dst], cost, 'policy');
    const checks: [number, StoredEntry | undefined, 'egress' | 'ingress'][] = [
      [2, src, 'egress'],
      [1, dst, 'ingress'],
    ];
    for (const [stage, ep, dir] of checks) {
      if (!ep) continue;
      const tag = Number(ep.action!.params.ep_tag);
      const rule = this.aclMatch(stage, tag, f, cost);
      if (rule) {
        rule.counters.packets++;
        rule.counters.bytes += input.length;
        if (rule.action!.action.name === 'acl_deny') return drop('acl-deny', `denied by acl entry priority ${rule.priority} at ${dir} of endpoint tag ${tag}`, 'policy', 'acl');
        step('policy', `allowed by acl entry priority ${rule.priority} at ${dir} of endpoint tag ${tag}`, 'acl');
      } else if (ep.action!.params[dir === 'ingress' ? 'isolated_ingress' : 'isolated_egress'] === 1n) {
        return drop(`default-deny-${dir}`, `endpoint tag ${tag} is isolated for ${dir} and no acl entry allows this flow: default deny`, 'policy', 'acl');
      } else step('policy', `no acl entry matched at ${dir} of endpoint tag ${tag}; not isolated: allowed`);
    }

    let outPort: TargetPort | undefined;
    let dmac: bigint;
    if (dst) {
      dst.counters.packets++;
      dst.counters.bytes += input.length;
      outPort = this.ports.find((p) => BigInt(p.number) === dst.action!.params.port);
      dmac = dst.action!.params.dmac;
      step('routing', `${formatIpv4(toFixed(BigInt(f.dst), 4))} is a local endpoint on port ${dst.action!.params.port}`, 'ipv4_to_port');
    } else {
      const r = this.route(cfg.vrf, f.dst, cost);
      if (!r) return drop('no-route', `no route to ${formatIpv4(toFixed(BigInt(f.dst), 4))} in vrf ${cfg.vrf}`, 'routing', 'ipv4_route');
      r.counters.packets++;
      r.counters.bytes += input.length;
      const a = r.action!;
      if (a.action.name === 'route_drop') return drop('route-drop', 'route drops', 'routing', 'ipv4_route');
      if (a.action.name === 'route_reject') return drop('route-reject', 'route rejects', 'routing', 'ipv4_route');
      let nhId = a.params.nexthop_id;
      if (a.action.name === 'route_to_ecmp') {
        const g = this.exact(TABLES.ecmp_group, [a.params.group_id], cost, 'routing');
        if (!g) return drop('ecmp-missing', `ECMP group ${a.params.group_id} is not programmed`, 'routing', 'ecmp_group');
        const members = this.members(g).filter((m) => m.call.action.name === 'set_ecmp_member');
        if (members.length === 0) return drop('ecmp-empty', `ECMP group ${a.params.group_id} has no members`, 'routing', 'ecmp_group');
        const total = members.reduce((n, m) => n + m.weight, 0);
        let pick = fnv([f.src, f.dst, f.protocol, f.srcPort ?? 0, f.dstPort ?? 0]) % total;
        const chosen = members.find((m) => (pick -= m.weight) < 0)!;
        nhId = chosen.call.params.nexthop_id;
        step('routing', `route → ECMP group ${a.params.group_id} → next hop ${nhId} by flow hash`, 'ecmp_group');
      } else step('routing', `route → next hop ${nhId}`, 'ipv4_route');
      const nh = this.exact(TABLES.nexthop, [nhId], cost, 'routing');
      if (!nh) return drop('nexthop-missing', `next hop ${nhId} is not programmed`, 'routing', 'nexthop');
      const np = nh.action!.params;
      outPort = this.ports.find((p) => BigInt(p.number) === np.port);
      if (nh.action!.action.name === 'nh_fixed_mac') dmac = np.dmac;
      else {
        const target = nh.action!.action.name === 'nh_neighbor' ? np.neighbor_ip : BigInt(f.dst);
        const n = this.exact(TABLES.neighbor, [cfg.vrf, target], cost, 'neighbor');
        if (!n) return drop('neighbor-miss', `no neighbor entry for ${formatIpv4(toFixed(target, 4))}`, 'neighbor', 'neighbor');
        dmac = n.action!.params.dmac;
        step('neighbor', `${formatIpv4(toFixed(target, 4))} is at ${formatMac(toFixed(dmac, 6))}`, 'neighbor');
      }
    }
    if (!outPort) return drop('egress-port-unknown', 'the egress port is not a port of this target', 'port-egress');
    const outCfg = this.portCfg(outPort, cost);
    if (!outCfg.up) return drop('egress-port-down', `egress port ${outPort.name} is administratively down`, 'port-egress', 'port_config');
    if (!decrementTtl(frame, pkt)) return drop('ttl-exceeded', 'TTL expired', 'routing');
    const dmacText = formatMac(toFixed(dmac, 6));
    setMacs(frame, pkt, outPort.mac, dmacText);
    cost.charge('port-egress', 'rewrite');
    cost.charge('port-egress', 'emit', frame.length);
    step('port-egress', `sent out ${outPort.name} to ${dmacText}`);
    return { disposition: 'FORWARDED', trace, out: { port: outPort, frame } };
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
