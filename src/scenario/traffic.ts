// The traffic generator: turns a scenario's flows and phases into a
// deterministic stream of real frames (built with the sim packet codec) with
// ingress ports and virtual arrival times. Connection i of a flow has a fixed
// 5-tuple (client address, client port) unique within the flow; an "open"
// phase sends each connection's handshake, a "packets" phase picks open
// connections at random (seeded) in either direction.
import { formatIpv4, formatIpv6, parseIpv4Text, parseIpv6Text } from '../sim/packet/addresses.js';
import { buildFrame, buildGeneve, buildVxlan, type GeneveOptionSpec } from '../sim/packet/index.js';
import { wireBytes } from '../sim/cost/line-rate.js';
import { DataFileError } from '../sim/cost/decode.js';
import type { FlowSpec, PhaseSpec, Scenario, SideSpec, TunnelSpec } from './schema.js';
import { prng } from '../sim/random.js';

/** Deterministic PRNG (mulberry32): the same seed gives the same traffic. */
export { prng };

const mix = (i: number) => Math.imul(i ^ (i >>> 16), 0x45d9f3b) >>> 0;

interface Address {
  text: string;
  family: 4 | 6;
  /** Which prefix of a network side it belongs to (its remote VTEP). */
  group: number;
}

/** One side of a flow: where its packets come from and with what addresses. */
class SideModel {
  readonly count: number;
  private readonly base: { bytes: Uint8Array; family: 4 | 6 }[] = [];
  private readonly hosts: number;
  readonly tunnel?: TunnelSpec;
  readonly overhead: number;
  private readonly options: GeneveOptionSpec[];

  constructor(
    readonly spec: SideSpec,
    at: string,
    file: string,
  ) {
    if ('endpoints' in spec) {
      this.count = spec.endpoints.length;
      this.hosts = 1;
      spec.endpoints.forEach((e) => this.base.push(parse(e.ip)));
      this.overhead = 0;
      this.options = [];
      return;
    }
    let hosts = Infinity;
    for (const p of spec.prefixes) {
      const [addr, len] = p.split('/');
      const b = parse(addr);
      this.base.push(b);
      const bits = (b.family === 4 ? 32 : 128) - Number(len);
      hosts = Math.min(hosts, bits >= 17 ? 65534 : 2 ** bits - 2);
    }
    if (spec.hostsPerPrefix !== undefined) {
      if (spec.hostsPerPrefix > hosts) throw new DataFileError(file, `${at}.hostsPerPrefix`, `${spec.hostsPerPrefix} hosts do not fit the smallest prefix (${hosts} usable addresses)`);
      hosts = spec.hostsPerPrefix;
    }
    if (hosts < 1) throw new DataFileError(file, `${at}.prefixes`, 'a prefix has no usable host addresses');
    this.hosts = hosts;
    this.count = hosts * spec.prefixes.length;
    this.tunnel = spec.tunnel;
    this.options = (spec.tunnel?.options ?? []).map((o) => ({ class: o.class, type: o.type, data: Uint8Array.from(Buffer.from(o.dataHex ?? '', 'hex')) }));
    if (spec.tunnel) {
      const outerIp = spec.tunnel.localIp.includes(':') ? 40 : 20;
      const opts = this.options.reduce((n, o) => n + 4 + (o.data?.length ?? 0), 0);
      this.overhead = 14 + outerIp + 8 + 8 + (spec.tunnel.type === 'GENEVE' ? opts : 0);
    } else this.overhead = 0;
  }

  address(k: number): Address {
    const group = Math.floor(k / this.hosts) % this.base.length;
    const b = this.base[group];
    if ('endpoints' in this.spec) return { text: this.spec.endpoints[k % this.count].ip, family: b.family, group };
    const bytes = b.bytes.slice();
    // Host index h: the network address plus 1 + h in the low 32 bits.
    const h = 1 + (k % this.hosts);
    const n = bytes.length;
    const low = ((bytes[n - 4] << 24) | (bytes[n - 3] << 16) | (bytes[n - 2] << 8) | bytes[n - 1]) >>> 0;
    const v = (low + h) >>> 0;
    bytes[n - 4] = v >>> 24;
    bytes[n - 3] = (v >>> 16) & 255;
    bytes[n - 2] = (v >>> 8) & 255;
    bytes[n - 1] = v & 255;
    return { text: b.family === 4 ? formatIpv4(bytes) : formatIpv6(bytes), family: b.family, group };
  }

  port(k: number, conn: number): string {
    if ('endpoints' in this.spec) return this.spec.endpoints[k % this.count].port;
    return this.spec.ports[conn % this.spec.ports.length];
  }

  mac(k: number): string {
    return 'endpoints' in this.spec ? this.spec.endpoints[k % this.count].mac : this.spec.mac;
  }

  /** Wraps an inner frame in this side's tunnel, if it has one. */
  wrap(inner: Uint8Array, group: number, conn: number, portMac: string): Uint8Array {
    const tn = this.tunnel;
    if (!tn) return inner;
    const remote = tn.remotes[group];
    const v6 = remote.includes(':');
    const outer = {
      eth: { src: this.mac(0), dst: portMac },
      ...(v6 ? { ipv6: { src: remote, dst: tn.localIp } } : { ipv4: { src: remote, dst: tn.localIp } }),
      // RFC 8926 §3.3 / RFC 7348 §5: a per-flow source port; a hash of the connection stands in for the inner-flow hash.
      udp: { sport: 49152 + (mix(conn + 1) % 16384) },
    };
    return tn.type === 'GENEVE' ? buildGeneve(outer, tn.vni, this.options, inner) : buildVxlan(outer, tn.vni, inner);
  }
}

function parse(text: string): { bytes: Uint8Array; family: 4 | 6 } {
  const v4 = parseIpv4Text(text);
  if (v4) return { bytes: v4, family: 4 };
  return { bytes: parseIpv6Text(text)!, family: 6 };
}

/** A flow with its 5-tuples, frames and sizes. */
export class FlowModel {
  readonly client: SideModel;
  readonly server: SideModel;
  private readonly portLo: number;
  private readonly portCount: number;

  constructor(
    readonly spec: FlowSpec,
    readonly index: number,
    private readonly portMac: (port: string) => string,
    file: string,
  ) {
    const at = `traffic.flows[${index}]`;
    this.client = new SideModel(spec.client, `${at}.client`, file);
    this.server = new SideModel(spec.server, `${at}.server`, file);
    this.portLo = spec.clientPorts?.lo ?? 1024;
    this.portCount = (spec.clientPorts?.hi ?? 65535) - this.portLo + 1;
    const distinct = this.client.count * this.portCount;
    if (spec.connections > distinct) {
      throw new DataFileError(file, `${at}.connections`, `${spec.connections} connections need more distinct (client address, client port) pairs than the ${this.client.count} addresses × ${this.portCount} ports = ${distinct} available`);
    }
    if (this.client.address(0).family !== this.server.address(0).family) throw new DataFileError(file, `${at}.server`, 'client and server addresses must be of the same IP family');
    for (const [side, m] of [['client', this.client], ['server', this.server]] as const) {
      const s = m.spec;
      const ports = 'endpoints' in s ? s.endpoints.map((e) => e.port) : s.ports;
      ports.forEach((p, i) => {
        try {
          portMac(p);
        } catch {
          throw new DataFileError(file, `${at}.${side}.${'endpoints' in s ? `endpoints[${i}].port` : `ports[${i}]`}`, `the device has no port "${p}"`);
        }
      });
    }
  }

  private clientIndex(conn: number): number {
    return conn % this.client.count;
  }

  private serverIndex(conn: number): number {
    return mix(conn) % this.server.count;
  }

  /** Ingress port of a packet of connection `conn` (reply: sent by the server side). */
  ingress(conn: number, reply: boolean): string {
    return reply ? this.server.port(this.serverIndex(conn), conn) : this.client.port(this.clientIndex(conn), conn);
  }

  /** Frame size with FCS on the wire at ingress. */
  frameBytes(reply: boolean): number {
    return this.spec.packetSize + (reply ? this.server.overhead : this.client.overhead);
  }

  /** The frame of one packet of connection `conn`. */
  frame(conn: number, reply: boolean, flags: string): Uint8Array {
    const ci = this.clientIndex(conn);
    const si = this.serverIndex(conn);
    const c = this.client.address(ci);
    const s = this.server.address(si);
    const cport = this.portLo + (Math.floor(conn / this.client.count) % this.portCount);
    const from = reply ? this.server : this.client;
    const fromIdx = reply ? si : ci;
    const port = from.port(fromIdx, conn);
    const portMac = this.portMac(port);
    const [src, dst] = reply ? [s, c] : [c, s];
    const [sport, dport] = reply ? [this.spec.serverPort, cport] : [cport, this.spec.serverPort];
    const innerDst = from.tunnel?.innerDstMac ?? portMac;
    const l3 = src.family === 4 ? { ipv4: { src: src.text, dst: dst.text } } : { ipv6: { src: src.text, dst: dst.text } };
    const headers = 14 + (src.family === 4 ? 20 : 40) + (this.spec.protocol === 'tcp' ? 20 : 8);
    const payload = new Uint8Array(Math.max(0, this.spec.packetSize - 4 - headers));
    const l4 = this.spec.protocol === 'tcp' ? { tcp: { sport, dport, flags, seq: 1, ack: flags.includes('A') ? 1 : 0 } } : { udp: { sport, dport } };
    const inner = buildFrame({ eth: { src: from.mac(fromIdx), dst: innerDst }, ...l3, ...l4, payload, padTo: this.spec.packetSize - 4 });
    return from.wrap(inner, (reply ? s : c).group, conn, portMac);
  }
}

/** One packet to send. Reused by the cursor: copy what you keep. */
export interface PacketPlan {
  flow: number;
  conn: number;
  reply: boolean;
  flags: string;
}

const HANDSHAKE_TCP: readonly [boolean, string][] = [[false, 'S'], [true, 'SA'], [false, 'A']];
const HANDSHAKE_UDP: readonly [boolean, string][] = [[false, ''], [true, '']];

/** Walks one phase's packets in order. Opened-connection counts carry across phases. */
export class PhaseCursor {
  private readonly flows: number[];
  private readonly rand: () => number;
  private readonly plan: PacketPlan = { flow: 0, conn: 0, reply: false, flags: '' };
  private toOpen: number[] = [];
  private step = 0;
  private current = -1;
  private sent = 0;
  readonly total: number;

  constructor(
    private readonly models: readonly FlowModel[],
    private readonly phase: PhaseSpec,
    phaseIndex: number,
    seed: number,
    private readonly opened: number[],
    file: string,
  ) {
    this.flows = phase.flows ? phase.flows.map((n) => models.findIndex((m) => m.spec.name === n)) : models.map((_, i) => i);
    this.rand = prng((seed * 0x9e3779b1 + phaseIndex * 0x85ebca6b) >>> 0);
    if (phase.open !== undefined) {
      // Connections to open per flow, in this phase.
      let n = 0;
      for (const f of this.flows) {
        const left = models[f].spec.connections - opened[f];
        const want = phase.open === 'all' ? left : Math.min(left, phase.open);
        this.toOpen[f] = want;
        n += want * (models[f].spec.protocol === 'tcp' ? 3 : 2);
      }
      this.total = n;
    } else {
      this.total = phase.packets!;
      const open = this.flows.reduce((n, f) => n + opened[f], 0);
      if (open === 0) throw new DataFileError(file, `traffic.phases[${phaseIndex}].packets`, 'no connection is open yet: an "open" phase must come first');
    }
  }

  /** The next packet, or null at the end of the phase. */
  next(): PacketPlan | null {
    if (this.sent >= this.total) return null;
    this.sent++;
    const p = this.plan;
    if (this.phase.open !== undefined) {
      const steps = () => (this.models[this.current].spec.protocol === 'tcp' ? HANDSHAKE_TCP : HANDSHAKE_UDP);
      if (this.current < 0 || this.step >= steps().length) {
        // Next connection: round-robin over flows that still have some to open.
        let f = this.current;
        for (let k = 0; k < this.flows.length; k++) {
          const cand = this.flows[(this.flows.indexOf(f) + 1 + k) % this.flows.length];
          if (this.toOpen[cand] > 0) {
            f = cand;
            break;
          }
        }
        this.current = f;
        this.toOpen[f]--;
        p.conn = this.opened[f]++;
        this.step = 0;
      }
      const [reply, flags] = steps()[this.step++];
      p.flow = this.current;
      p.reply = reply;
      p.flags = flags;
      return p;
    }
    // Random open connection, weighted by each flow's open count.
    let total = 0;
    for (const f of this.flows) total += this.opened[f];
    let r = Math.floor(this.rand() * total);
    let f = this.flows[0];
    for (const g of this.flows) {
      if (r < this.opened[g]) {
        f = g;
        break;
      }
      r -= this.opened[g];
    }
    p.flow = f;
    p.conn = r;
    p.reply = this.rand() < (this.phase.replyShare ?? 0.5);
    p.flags = 'A';
    return p;
  }
}

/** Arrival times of a phase: constant spacing or a Poisson process at `pps`. */
export class Arrivals {
  private k = 0;
  private t: number;
  private readonly rand: () => number;

  constructor(
    private readonly start: number,
    private readonly pps: number,
    private readonly poisson: boolean,
    seed: number,
  ) {
    this.t = start;
    this.rand = prng(seed ^ 0x5bd1e995);
  }

  next(): number {
    const gap = 1e9 / this.pps;
    if (this.poisson) this.t += -Math.log(1 - this.rand()) * gap;
    else this.t = this.start + this.k * gap;
    this.k++;
    return Math.round(this.t);
  }
}

/**
 * The aggregate rate at which the busiest topology port receives `fraction` of
 * its line rate, for this phase's mix of ports and frame sizes (a dry run of the
 * phase's packet plan, no frames built).
 */
export function lineRateOfPhase(scenario: Scenario, models: readonly FlowModel[], cursor: PhaseCursor, fraction: number): { pps: number; busiest: string } | null {
  const speeds = new Map(scenario.topology.ports.map((p) => [p.id, p.speedGbps * 1e9]));
  const bits = new Map<string, number>();
  let n = 0;
  for (let p = cursor.next(); p; p = cursor.next()) {
    n++;
    const m = models[p.flow];
    const port = m.ingress(p.conn, p.reply);
    if (speeds.has(port)) bits.set(port, (bits.get(port) ?? 0) + wireBytes(m.frameBytes(p.reply)) * 8);
  }
  let best: { pps: number; busiest: string } | null = null;
  for (const [port, b] of bits) {
    const pps = (fraction * speeds.get(port)!) / (b / n);
    if (!best || pps < best.pps) best = { pps, busiest: port };
  }
  return best;
}

export { SideModel };
