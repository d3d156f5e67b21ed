// Reaching pods on other nodes and the world outside the cluster:
// - one port next hop "fabric" on the uplink toward the fabric's MAC;
// - per remote node, its podCIDRs routed either through a VXLAN/Geneve tunnel to
//   the node's InternalIP (with a tunnel_term for our own VTEP address), or, in
//   direct mode, to the fabric, which routes each node's podCIDR itself;
// - default routes to the fabric, and masquerade (snat) of pod traffic leaving
//   the cluster's pod networks, to this node's address (kube-proxy's
//   masquerade-all-but-cluster behaviour).
import { makeEntry, type TableEntry } from '../../hal/index.js';
import type { Node } from '../cluster-state.js';
import { objectKey } from '../cluster-state.js';
import type { NodeConfig } from '../node-config.js';
import { familyOf, normalizePrefix, type Family } from '../ip-math.js';
import { halId, nodeAddressesOf, report, type NodeEnv, type Problem } from './context.js';

export const FABRIC_NEXTHOP = 'fabric';
const SNAT_EXEMPT_PRIORITY = 200;
const SNAT_MASQUERADE_PRIORITY = 100;

export interface RoutingResult {
  readonly nexthop: TableEntry[];
  readonly tunnel: TableEntry[];
  readonly tunnelTerm: TableEntry[];
  readonly route: TableEntry[];
  readonly snat: TableEntry[];
}

function podCidrs(node: { spec?: { podCIDR?: string; podCIDRs?: readonly string[] } }): string[] {
  const raw = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  return raw.map((c) => normalizePrefix(String(c))).filter((c): c is string => !!c);
}

/** What routing reads: every Node, and this node's addresses. */
export interface RoutingInput {
  readonly config: NodeConfig;
  readonly nodes: Iterable<Node>;
  readonly env: NodeEnv;
  readonly problems: Problem[];
}

export function compileRouting(input: RoutingInput): RoutingResult {
  const { config, env } = input;
  const ctx = { problems: input.problems, node: env.node, nodeIp: env.nodeIp };
  const vrf = config.vrf;
  const nexthop: TableEntry[] = [makeEntry('nexthop', { id: FABRIC_NEXTHOP, port: { portId: config.uplinkPort, dmac: config.fabricMac } })];
  const tunnel: TableEntry[] = [];
  const tunnelTerm: TableEntry[] = [];
  const route: TableEntry[] = [];
  const snat: TableEntry[] = [];
  const tunnelType = config.overlay === 'geneve' ? 'GENEVE' : 'VXLAN';

  if (!ctx.node) report(ctx, 'Node', config.nodeName, 'this node has no Node object: no tunnels, NodePorts or masquerade address');

  // The underlay family: IPv4 when this node has an IPv4 InternalIP, else IPv6.
  const underlay: Family | undefined = ctx.nodeIp[4] ? 4 : ctx.nodeIp[6] ? 6 : undefined;
  if (config.overlay !== 'direct' && underlay) {
    tunnelTerm.push(makeEntry('tunnelTerm', { localIp: ctx.nodeIp[underlay], vni: config.vni, type: tunnelType, vrf }));
  }

  const routed = new Set<string>();
  const nodes = [...input.nodes].sort((a, b) => (objectKey(a.metadata ?? {}) < objectKey(b.metadata ?? {}) ? -1 : 1));
  for (const node of nodes) {
    const name = node.metadata?.name;
    if (!name || name === config.nodeName) continue;
    const cidrs = podCidrs(node);
    if (!cidrs.length) continue;
    let target = FABRIC_NEXTHOP;
    if (config.overlay !== 'direct') {
      const remote = nodeAddressesOf(node).nodeIp[underlay ?? 4];
      if (!underlay || !remote) {
        report(ctx, 'Node', name, `no InternalIP of the underlay family (IPv${underlay ?? 4}) on both ends: its pods are unreachable`);
        continue;
      }
      const tunnelId = halId('tun', name);
      target = halId('node', name);
      tunnel.push(makeEntry('tunnel', { id: tunnelId, type: tunnelType, localIp: ctx.nodeIp[underlay], remoteIp: remote, vni: config.vni, underlayNexthopId: FABRIC_NEXTHOP }));
      nexthop.push(makeEntry('nexthop', { id: target, tunnelId }));
    }
    for (const prefix of cidrs) {
      if (routed.has(prefix)) {
        report(ctx, 'Node', name, `podCIDR ${prefix} is already routed to another node; skipped`);
        continue;
      }
      routed.add(prefix);
      route.push(makeEntry('route', { vrf, prefix, nexthopId: target }));
    }
  }

  if (config.defaultRoute) {
    for (const prefix of ['0.0.0.0/0', '::/0']) if (!routed.has(prefix)) route.push(makeEntry('route', { vrf, prefix, nexthopId: FABRIC_NEXTHOP }));
  }

  if (config.masqueradeOutside) {
    const clusterCidrs = config.clusterCidrs.map((c) => normalizePrefix(c)).filter((c): c is string => !!c);
    for (const family of [4, 6] as const) {
      const ip = ctx.nodeIp[family];
      const own = clusterCidrs.filter((c) => familyOf(c.slice(0, c.indexOf('/'))) === family);
      if (!ip || !own.length) continue;
      for (const src of own) {
        // Pod to pod stays unmasqueraded; everything else leaving the pod network is masqueraded.
        for (const dst of own) snat.push(makeEntry('snat', { vrf, srcPrefix: src, dstPrefix: dst, priority: SNAT_EXEMPT_PRIORITY, none: {} }));
        snat.push(makeEntry('snat', { vrf, srcPrefix: src, priority: SNAT_MASQUERADE_PRIORITY, masquerade: { ip } }));
      }
    }
  }
  return { nexthop, tunnel, tunnelTerm, route, snat };
}
