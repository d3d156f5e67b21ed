// `xpuhal k8s simulate`: a cluster in one process. One device per node (any
// registered driver), one NodeAdapter per node programming it from the same
// manifests, and a simulated fabric between the devices' uplinks: a frame leaving
// an uplink is handed to the node that owns its destination — the outer
// destination of a VXLAN/Geneve packet (a node's InternalIP), or, for direct
// routing, the node whose podCIDR holds the destination — with the fabric's MAC
// as source and the receiving uplink's MAC as destination, as a routed hop would.
// Probes are real frames sent from a pod's port; the result says where they ended.
import type { Hal, InjectResponse, TraceStep } from '../hal/index.js';
import { builtinRegistry } from '../drivers/builtin.js';
import {
  NodeAdapter,
  compile,
  nodeConfig,
  type ClusterState,
  type DesiredState,
  type Node,
  type OverlayMode,
  type Pod,
} from '../k8s-adapter/index.js';
import { prefixContainsAddress } from '../k8s-adapter/ip-math.js';
import { buildFrame, parsePacket, setMacs, type FrameSpec } from '../sim/packet/index.js';

export interface SimulateOptions {
  readonly driver: string;
  /** Nodes to synthesize when the manifests define none (default 1). */
  readonly nodes?: number;
  readonly overlay: OverlayMode;
  readonly hostPorts?: number;
  /** Topology zone of every node (topology hints). */
  readonly zone?: string;
  /**
   * Where each node's device comes from (default: `driver` from the built-in
   * registry, in process). A factory may return a RemoteHal to a served device:
   * the adapters and the fabric use only the Hal interface, so the cluster runs
   * unchanged over gRPC. ClusterSim.close() closes every Hal it was given.
   */
  readonly halFactory?: HalFactory;
}

/** Makes the device for one node (called once per node, in node order). */
export type HalFactory = (node: string, opts: { readonly hostPorts: number }) => Promise<Hal>;

export type Verdict = 'allowed' | 'denied' | 'rejected' | 'dropped' | 'no-route' | 'left-cluster';

export interface ProbeSpec {
  /** "ns/pod", or "external:<ip>" for a client outside the cluster arriving on the first node's uplink. */
  readonly from: string;
  /** "ns/pod", "svc:ns/name", "node:<name>" (with a node port) or an IP address. */
  readonly to: string;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
  /** Source port (default 40000): vary it to open distinct flows. */
  readonly sport?: number;
}

export interface ProbeResult extends ProbeSpec {
  readonly verdict: Verdict;
  /** The pod whose port the probe was delivered to, with the address and port it reached. */
  readonly answeredBy?: string;
  /** The policy named by the last policy decision on the way (allowing or denying). */
  readonly policy?: string;
  readonly dropReason?: string;
  /** Address and port the probe arrived at (after DNAT), "ip:port". */
  readonly reached?: string;
  /** The source address the receiver saw (after SNAT, if any). */
  readonly seenSource?: string;
  /** Nodes the frame went through. */
  readonly path: readonly string[];
}

interface SimNode {
  readonly name: string;
  readonly hal: Hal;
  readonly adapter: NodeAdapter;
  readonly portMacs: Map<string, string>;
  readonly uplink: string;
  desired: DesiredState;
  readonly internalIps: string[];
  readonly podCidrs: string[];
}

const FABRIC_MAC = '02:fa:b0:00:00:01';
const MAX_HOPS = 8;

/** Adds nodes, pod placement and pod addresses the manifests leave out. */
export function completeCluster(state: ClusterState, wanted: number | undefined): { state: ClusterState; notes: string[] } {
  const notes: string[] = [];
  let nodes: Node[] = [...state.nodes];
  if (!nodes.length) {
    const n = Math.max(1, wanted ?? 1);
    nodes = Array.from({ length: n }, (_, i) => ({
      kind: 'Node',
      metadata: { name: `node-${i + 1}` },
      spec: { podCIDRs: [`10.244.${i + 1}.0/24`] },
      status: { addresses: [{ type: 'InternalIP', address: `192.168.10.${i + 1}` }] },
    }));
    notes.push(`no Node in the manifests: ${n} node(s) synthesized (node-1.., pod CIDRs 10.244.<i>.0/24, addresses 192.168.10.<i>)`);
  } else if (wanted !== undefined && wanted !== nodes.length) {
    notes.push(`--nodes ${wanted} ignored: the manifests define ${nodes.length} node(s)`);
  }
  const names = nodes.map((n) => n.metadata.name!);
  const next = new Map<string, number>();
  let rr = 0;
  const pods: Pod[] = [...state.pods]
    .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
    .map((p) => {
      let nodeName = p.spec?.nodeName;
      if (!nodeName) {
        nodeName = names[rr++ % names.length];
        notes.push(`pod ${p.metadata.namespace}/${p.metadata.name} placed on ${nodeName}`);
      }
      if (p.status?.podIP || p.status?.podIPs?.length || p.spec?.hostNetwork) return { ...p, spec: { ...p.spec, nodeName } };
      const node = nodes.find((n) => n.metadata.name === nodeName);
      const cidr = node?.spec?.podCIDRs?.[0] ?? node?.spec?.podCIDR;
      if (!cidr || cidr.includes(':')) return { ...p, spec: { ...p.spec, nodeName } };
      const host = (next.get(nodeName) ?? 10) + 1;
      next.set(nodeName, host);
      const base = cidr.split('/')[0].split('.').slice(0, 3).join('.');
      const ip = `${base}.${host}`;
      notes.push(`pod ${p.metadata.namespace}/${p.metadata.name} given address ${ip}`);
      return { ...p, spec: { ...p.spec, nodeName }, status: { ...p.status, phase: p.status?.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] } };
    });
  return { state: { ...state, nodes, pods }, notes };
}

export class ClusterSim {
  private constructor(
    readonly nodes: SimNode[],
    readonly state: ClusterState,
  ) {}

  static async create(state: ClusterState, opts: SimulateOptions): Promise<ClusterSim> {
    const registry = builtinRegistry();
    const factory: HalFactory = opts.halFactory ?? ((_node, o) => registry.create(opts.driver, o));
    const nodes: SimNode[] = [];
    for (const n of state.nodes) {
      const name = n.metadata.name!;
      const hal = await factory(name, { hostPorts: opts.hostPorts ?? 16 });
      const ports = (await hal.listPorts()).ports ?? [];
      const hostPorts = ports.filter((p) => p.role === 'HOST').map((p) => p.id!);
      const uplink = ports.find((p) => p.role === 'UPLINK')?.id ?? 'uplink0';
      const config = nodeConfig({ nodeName: name, hostPorts, uplinkPort: uplink, fabricMac: FABRIC_MAC, overlay: opts.overlay, zone: opts.zone ?? '' });
      const adapter = new NodeAdapter({ hal, config, sleep: async () => {} });
      nodes.push({
        name,
        hal,
        adapter,
        uplink,
        portMacs: new Map(ports.map((p) => [p.id!, p.mac!])),
        desired: compile(state, config),
        internalIps: (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address),
        podCidrs: [...(n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : []))],
      });
    }
    return new ClusterSim(nodes, state);
  }

  /** Runs every node's adapter; returns per-node results. */
  async program(): Promise<{ node: string; converged: boolean; entries: number; error?: string }[]> {
    const out = [];
    for (const n of this.nodes) {
      const r = await n.adapter.sync(this.state);
      n.desired = r.desired;
      out.push({ node: n.name, converged: r.converged, entries: r.inserts + r.modifies, ...(r.error ? { error: r.error } : {}) });
    }
    return out;
  }

  pods(): string[] {
    return this.state.pods
      .filter((p) => !p.spec?.hostNetwork && (p.status?.podIP || p.status?.podIPs?.length))
      .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
      .sort();
  }

  private podIp(key: string): string | undefined {
    const p = this.state.pods.find((x) => `${x.metadata.namespace}/${x.metadata.name}` === key);
    return p?.status?.podIPs?.[0]?.ip ?? p?.status?.podIP;
  }

  /** Where a probe goes: destination address and port. */
  resolve(to: string, port: number): { ip: string; port: number } | string {
    if (to.startsWith('svc:')) {
      const key = to.slice(4);
      const svc = this.state.services.find((s) => `${s.metadata.namespace}/${s.metadata.name}` === key);
      const ip = svc?.spec?.clusterIPs?.[0] ?? svc?.spec?.clusterIP;
      return ip && ip !== 'None' ? { ip, port } : `no service ${key} with a cluster IP`;
    }
    if (to.startsWith('node:')) {
      const n = this.nodes.find((x) => x.name === to.slice(5));
      return n?.internalIps[0] ? { ip: n.internalIps[0], port } : `no node ${to.slice(5)} with an InternalIP`;
    }
    if (to.includes('/')) {
      const ip = this.podIp(to);
      return ip ? { ip, port } : `no pod ${to} with an address`;
    }
    return { ip: to, port };
  }

  async probe(spec: ProbeSpec): Promise<ProbeResult> {
    if (spec.from.startsWith('external:')) return this.probeFromOutside(spec, spec.from.slice('external:'.length));
    const src = this.state.pods.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === spec.from);
    const srcIp = this.podIp(spec.from);
    const node = this.nodes.find((n) => n.name === src?.spec?.nodeName);
    const dst = this.resolve(spec.to, spec.port);
    if (!src || !srcIp || !node) return { ...spec, verdict: 'no-route', dropReason: `no pod ${spec.from} with an address on a simulated node`, path: [] };
    if (typeof dst === 'string') return { ...spec, verdict: 'no-route', dropReason: dst, path: [] };
    const ep = node.desired.tables.endpoint.find((e) => e.endpoint!.ip === srcIp)?.endpoint;
    if (!ep) return { ...spec, verdict: 'no-route', dropReason: `pod ${spec.from} is not programmed on ${node.name}`, path: [node.name] };
    // Address family of the destination: a dual-stack pod sends from the matching address.
    const family = dst.ip.includes(':') ? 6 : 4;
    const from = this.podIps(spec.from).find((a) => (a.includes(':') ? 6 : 4) === family) ?? srcIp;
    const frame = probeFrame(spec, ep.mac!, node.portMacs.get(ep.portId!)!, from, dst);
    return this.walk(spec, node, ep.portId!, frame);
  }

  private async probeFromOutside(spec: ProbeSpec, client: string): Promise<ProbeResult> {
    const node = this.nodes[0];
    const dst = this.resolve(spec.to, spec.port);
    if (typeof dst === 'string') return { ...spec, verdict: 'no-route', dropReason: dst, path: [] };
    return this.walk(spec, node, node.uplink, probeFrame(spec, FABRIC_MAC, node.portMacs.get(node.uplink)!, client, dst));
  }

  private podIps(key: string): string[] {
    const p = this.state.pods.find((x) => `${x.metadata.namespace}/${x.metadata.name}` === key);
    return p?.status?.podIPs?.map((x) => x.ip) ?? (p?.status?.podIP ? [p.status.podIP] : []);
  }

  private async walk(spec: ProbeSpec, first: SimNode, firstPort: string, firstFrame: Uint8Array): Promise<ProbeResult> {
    const path: string[] = [];
    let node = first;
    let port = firstPort;
    let frame = firstFrame;
    let policy: string | undefined;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      path.push(node.name);
      const res: InjectResponse = await node.hal.inject({ portId: port, frame });
      policy = lastPolicy(res.trace ?? []) ?? policy;
      if (res.disposition !== 'FORWARDED') {
        const reason = res.dropReason ?? '';
        const verdict: Verdict = res.disposition === 'REJECTED' ? 'rejected' : /acl|deny|policy/.test(reason) ? 'denied' : /route/.test(reason) ? 'no-route' : 'dropped';
        return { ...spec, verdict, dropReason: reason, path, ...(policy ? { policy } : {}) };
      }
      const out = (res.emitted ?? [])[0];
      if (!out) return { ...spec, verdict: 'no-route', dropReason: 'nothing emitted', path };
      // Delivered to a host port of this node: a pod received it.
      const delivered = node.desired.tables.endpoint.find((e) => e.endpoint!.portId === out.portId);
      if (out.portId !== node.uplink && delivered) {
        const parsed = parsePacket(out.frame!, { verifyChecksums: false });
        const pkt = parsed.ok ? parsed.pkt : undefined;
        const dstMac = pkt?.eth.dst;
        const ep = node.desired.tables.endpoint.find((e) => e.endpoint!.portId === out.portId && e.endpoint!.mac === dstMac)?.endpoint;
        const l3 = pkt?.l3 && (pkt.l3.kind === 'ipv4' || pkt.l3.kind === 'ipv6') ? pkt.l3 : undefined;
        const l4port = pkt?.l4 && 'dstPort' in pkt.l4 ? (pkt.l4 as { dstPort: number }).dstPort : undefined;
        const who = ep ? podOfEndpointId(ep.endpointId!) : `port ${out.portId}`;
        const reached = `${l3?.dst ?? '?'}:${l4port ?? '?'}`;
        return { ...spec, verdict: 'allowed', answeredBy: `${who} (${reached})`, reached, ...(l3 ? { seenSource: l3.src } : {}), path, ...(policy ? { policy } : {}) };
      }
      // Out of the uplink: the fabric routes it to the owning node, or out of the cluster.
      const parsed = parsePacket(out.frame!, { verifyChecksums: false });
      if (!parsed.ok) return { ...spec, verdict: 'no-route', dropReason: `fabric: unparsable frame (${parsed.reason})`, path };
      const pkt = parsed.pkt;
      const outer = pkt.l3 && (pkt.l3.kind === 'ipv4' || pkt.l3.kind === 'ipv6') ? pkt.l3.dst : undefined;
      const next = this.nodes.find((n) => outer && (n.internalIps.includes(outer) || n.podCidrs.some((c) => prefixContainsAddress(c, outer))));
      if (!next) return { ...spec, verdict: 'left-cluster', dropReason: `fabric: ${outer ?? '?'} is outside the cluster`, path, ...(policy ? { policy } : {}) };
      const copy = Uint8Array.from(out.frame!);
      setMacs(copy, pkt, FABRIC_MAC, next.portMacs.get(next.uplink)!);
      node = next;
      port = next.uplink;
      frame = copy;
    }
    return { ...spec, verdict: 'no-route', dropReason: `more than ${MAX_HOPS} hops (a loop)`, path };
  }

  async close(): Promise<void> {
    for (const n of this.nodes) {
      n.adapter.close();
      await n.hal.close();
    }
  }
}

function probeFrame(spec: ProbeSpec, srcMac: string, dstMac: string, src: string, dst: { ip: string; port: number }): Uint8Array {
  const sport = spec.sport ?? 40000;
  const l4: Partial<FrameSpec> =
    spec.protocol === 'TCP' ? { tcp: { sport, dport: dst.port, flags: 'S', seq: 1 } } : spec.protocol === 'UDP' ? { udp: { sport, dport: dst.port } } : { sctp: { sport, dport: dst.port } };
  return buildFrame({ eth: { src: srcMac, dst: dstMac }, ...(src.includes(':') ? { ipv6: { src, dst: dst.ip } } : { ipv4: { src, dst: dst.ip } }), ...l4, payload: 'probe' } as FrameSpec);
}

function lastPolicy(trace: readonly TraceStep[]): string | undefined {
  for (let i = trace.length - 1; i >= 0; i--) {
    const s = trace[i];
    if (s.stage === 'policy' && s.ref) return s.ref;
  }
  return undefined;
}

/** endpointId "pod:ns/name" back to "ns/name". */
function podOfEndpointId(id: string): string {
  return id.startsWith('pod:') ? id.slice(4) : id;
}
