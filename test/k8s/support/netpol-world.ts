// The upstream NetworkPolicy truth-table world, in our own words: namespaces x, y
// and z (labelled ns=<name>), each with pods a, b and c (labelled pod=<name>),
// serving 80 and 81 over TCP, UDP and SCTP under upstream-style port names. All
// nine pods live on one node here, so every verdict is made by one device; the
// multi-node fabric (k8s simulate) spreads them out.
import { Reconciler, compile, nodeConfig, type ClusterState, type DesiredState, type NetworkPolicy, type Pod } from '../../../src/k8s-adapter/index.js';
import { ReferenceDriver } from '../../../src/drivers/reference/index.js';
import { buildFrame, type FrameSpec } from '../../../src/sim/packet/index.js';
import type { Hal } from '../../../src/hal/index.js';
import { endpointIdOf, podMac } from '../../../src/k8s-adapter/compile/endpoints.js';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POD_NAMES = ['a', 'b', 'c'] as const;
export const PEERS = NAMESPACES.flatMap((ns) => POD_NAMES.map((p) => `${ns}/${p}`));
export const NODE = 'node-1';

export function podIp(peer: string, family: 4 | 6 = 4): string {
  const [ns, p] = peer.split('/');
  const n = (NAMESPACES.indexOf(ns as 'x') + 1) * 10 + POD_NAMES.indexOf(p as 'a') + 1;
  return family === 4 ? `10.244.1.${n}` : `fd00:10:244:1::${n}`;
}

const SERVED = [80, 81].flatMap((port) =>
  (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol })),
);

export function worldPods(opts: { dualStack?: boolean; nodeOf?: (peer: string) => string } = {}): Pod[] {
  return PEERS.map((peer) => {
    const [ns, name] = peer.split('/');
    return {
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { pod: name } },
      spec: { nodeName: opts.nodeOf?.(peer) ?? NODE, containers: [{ name: 'cont', ports: SERVED }] },
      status: { phase: 'Running', podIP: podIp(peer), podIPs: [{ ip: podIp(peer) }, ...(opts.dualStack ? [{ ip: podIp(peer, 6) }] : [])] },
    };
  });
}

export function worldState(policies: NetworkPolicy[], opts: { dualStack?: boolean; extraNamespaceLabels?: Record<string, Record<string, string>> } = {}): ClusterState {
  return {
    namespaces: NAMESPACES.map((ns) => ({ kind: 'Namespace', metadata: { name: ns, labels: { ns, ...(opts.extraNamespaceLabels?.[ns] ?? {}) } } })),
    pods: worldPods(opts),
    services: [],
    endpointSlices: [],
    networkPolicies: policies,
    nodes: [
      {
        kind: 'Node',
        metadata: { name: NODE },
        spec: { podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] },
        status: { addresses: [{ type: 'InternalIP', address: '192.168.10.1' }] },
      },
    ],
  };
}

export const HOST_PORTS = Array.from({ length: 16 }, (_, i) => `host${i}`);
export const config = nodeConfig({ nodeName: NODE, hostPorts: HOST_PORTS });

export interface Probe {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly port: number;
  readonly family?: 4 | 6;
}

export interface Verdict {
  readonly allowed: boolean;
  /** The policy the device named: the allowing ACL's policyRef, or the isolation deny's. */
  readonly policy: string;
  readonly dropReason: string;
}

/** A programmed single-node world. */
export class NetpolWorld {
  private constructor(
    readonly hal: Hal,
    readonly reconciler: Reconciler,
    private readonly routerMacs: Map<string, string>,
  ) {}

  static async create(hal: Hal = new ReferenceDriver({ hostPorts: 16 })): Promise<NetpolWorld> {
    const ports = await hal.listPorts();
    const macs = new Map((ports.ports ?? []).map((p) => [p.id!, p.mac!]));
    return new NetpolWorld(hal, new Reconciler({ hal, sleep: async () => {} }), macs);
  }

  private ports = new Map<string, string>();

  /** Learns where pods attach from a compiled state (for worlds programmed by someone else). */
  usePorts(desired: DesiredState): void {
    this.ports = new Map(desired.tables.endpoint.map((e) => [e.endpoint!.ip as string, e.endpoint!.portId!]));
  }

  async apply(state: ClusterState): Promise<void> {
    const desired = compile(state, config);
    this.usePorts(desired);
    if (desired.problems.length) throw new Error(`compile problems: ${JSON.stringify(desired.problems)}`);
    const r = await this.reconciler.reconcile(desired);
    if (!r.converged) throw new Error(`did not converge: ${r.error}`);
  }

  portOf(peer: string): string {
    return this.ports.get(podIp(peer))!;
  }

  // Every probe is a new connection: the device tracks connections, and an
  // established one keeps its admission across policy changes (stateful policy).
  private sport = 20000;

  async send(from: string, to: string, probe: Probe, state: ClusterState): Promise<Verdict> {
    const fam = probe.family ?? 4;
    const sport = this.sport++;
    const port = this.portOf(from);
    const pod = state.pods.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === from)!;
    const info = { pod, key: from, namespace: from.split('/')[0], labels: {}, ips: [podIp(from)], nodeName: NODE, local: true };
    const l4: Partial<FrameSpec> =
      probe.protocol === 'TCP'
        ? { tcp: { sport, dport: probe.port, flags: 'S', seq: 1 } }
        : probe.protocol === 'UDP'
          ? { udp: { sport, dport: probe.port } }
          : { sctp: { sport, dport: probe.port } };
    const ipSpec = fam === 4 ? { ipv4: { src: podIp(from), dst: podIp(to) } } : { ipv6: { src: podIp(from, 6), dst: podIp(to, 6) } };
    const frame = buildFrame({ eth: { src: podMac(info), dst: this.routerMacs.get(port)! }, ...ipSpec, ...l4, payload: 'probe' } as FrameSpec);
    const res = await this.hal.inject({ portId: port, frame });
    const toPort = this.portOf(to);
    const delivered = res.disposition === 'FORWARDED' && (res.emitted ?? []).some((e) => e.portId === toPort);
    const policyStep = [...(res.trace ?? [])].reverse().find((s) => s.stage === 'policy' && s.table === 'acl');
    return { allowed: delivered, policy: policyStep?.ref ?? '', dropReason: res.dropReason ?? '' };
  }

  /** The 9x9 matrix: one string per source row, '.' allowed, 'X' denied, '-' on the diagonal. */
  async matrix(state: ClusterState, probe: Probe): Promise<string[]> {
    const rows: string[] = [];
    for (const from of PEERS) {
      let row = '';
      for (const to of PEERS) row += from === to ? '-' : (await this.send(from, to, probe, state)).allowed ? '.' : 'X';
      rows.push(row);
    }
    return rows;
  }
}

export { endpointIdOf };
