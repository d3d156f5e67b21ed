// The demo's pod network and the packets sent through it. Plain data: demo.ts
// programs it through the Hal interface and explains what the device did.
import type { Atomicity, TableEntry, Update, WriteRequest } from '../hal/generated/types.js';
import { ip, l4Port, mac, prefix } from '../hal/values.js';
import { buildFrame, type FrameSpec } from '../sim/packet/index.js';

export interface Pod {
  readonly name: string;
  readonly endpointId: string;
  readonly port: string;
  readonly vrf: number;
  readonly v4: string;
  readonly v6?: string;
  readonly mac: string;
}

// Subnet A 10.1.0.0/24 (fd00:1::/64), subnet B 10.2.0.0/24 (fd00:2::/64), VRF 0.
// Tenant pod t0 sits alone in VRF 1, which has no routes at all.
export const PODS: readonly Pod[] = [
  { name: 'a0', endpointId: 'demo/pod-a0', port: 'host0', vrf: 0, v4: '10.1.0.10', v6: 'fd00:1::10', mac: '0a:58:0a:01:00:0a' },
  { name: 'a1', endpointId: 'demo/pod-a1', port: 'host1', vrf: 0, v4: '10.1.0.11', v6: 'fd00:1::11', mac: '0a:58:0a:01:00:0b' },
  { name: 'b0', endpointId: 'demo/pod-b0', port: 'host2', vrf: 0, v4: '10.2.0.20', v6: 'fd00:2::20', mac: '0a:58:0a:02:00:14' },
  { name: 'b1', endpointId: 'demo/pod-b1', port: 'host3', vrf: 0, v4: '10.2.0.21', v6: 'fd00:2::21', mac: '0a:58:0a:02:00:15' },
];
export const TENANT_POD: Pod = { name: 't0', endpointId: 'demo/pod-t0', port: 'host4', vrf: 1, v4: '10.3.0.40', mac: '0a:58:0a:03:00:28' };

export const GATEWAY = { port: 'uplink0', v4: '192.168.0.1', v6: 'fd00:ff::1', mac: '02:42:c0:a8:00:01' } as const;
/** The pod whose ingress is isolated by the demo policy. */
export const ISOLATED_POD = 'b0';

const pod = (name: string): Pod => [...PODS, TENANT_POD].find((p) => p.name === name)!;

const insert = (entry: TableEntry): Update => ({ type: 'INSERT', entry });
const modify = (entry: TableEntry): Update => ({ type: 'MODIFY', entry });

function endpointEntry(p: Pod, family: 'v4' | 'v6', isolatedIngress = false): TableEntry {
  return {
    endpoint: {
      vrf: p.vrf,
      ip: ip(family === 'v4' ? p.v4 : p.v6!),
      portId: p.port,
      mac: mac(p.mac),
      endpointId: p.endpointId,
      ...(isolatedIngress ? { isolatedIngress: true } : {}),
    },
  };
}

const podAddresses = (p: Pod): ('v4' | 'v6')[] => (p.v6 ? ['v4', 'v6'] : ['v4']);

export interface DemoBatch {
  readonly name: string;
  /** What the batch does, in words. */
  readonly summary: string;
  readonly request: WriteRequest;
  /** True when the device is expected to refuse the batch (and change nothing). */
  readonly expectRefused?: boolean;
}

export interface BatchContext {
  /** The strongest atomicity the device offers for replacing policy. */
  readonly policyAtomicity: Atomicity;
  /** The current port entry of the tenant pod's port (read back from the device). */
  readonly tenantPort: TableEntry;
}

export function demoBatches(ctx: BatchContext): DemoBatch[] {
  const all: Atomicity = 'ROLLBACK_ON_ERROR';
  const b0 = pod(ISOLATED_POD);
  return [
    {
      name: 'underlay',
      summary: 'gateway neighbors, next hops and default routes via uplink0; 10.99.0.0/16 rejected',
      request: {
        atomicity: all,
        updates: [
          insert({ neighbor: { vrf: 0, ip: ip(GATEWAY.v4), mac: mac(GATEWAY.mac) } }),
          insert({ neighbor: { vrf: 0, ip: ip(GATEWAY.v6), mac: mac(GATEWAY.mac) } }),
          insert({ nexthop: { id: 'gw-v4', port: { portId: GATEWAY.port, ip: ip(GATEWAY.v4) } } }),
          insert({ nexthop: { id: 'gw-v6', port: { portId: GATEWAY.port, ip: ip(GATEWAY.v6) } } }),
          insert({ route: { vrf: 0, prefix: prefix('0.0.0.0/0'), nexthopId: 'gw-v4' } }),
          insert({ route: { vrf: 0, prefix: prefix('::/0'), nexthopId: 'gw-v6' } }),
          insert({ route: { vrf: 0, prefix: prefix('10.99.0.0/16'), reject: {} } }),
        ],
      },
    },
    {
      name: 'pods',
      summary: 'four dual-stack pods: a0 a1 in 10.1.0.0/24, b0 b1 in 10.2.0.0/24',
      request: { atomicity: all, updates: PODS.flatMap((p) => podAddresses(p).map((f) => insert(endpointEntry(p, f)))) },
    },
    {
      name: 'policy',
      summary: 'isolate b0 for ingress; allow web (TCP 80) from 10.1.0.0/24; deny 10.1.0.11 above it',
      request: {
        atomicity: ctx.policyAtomicity,
        updates: [
          insert({
            acl: {
              stage: 'ACL_INGRESS',
              endpointId: b0.endpointId,
              srcPrefix: prefix('10.1.0.0/24'),
              protocol: 6,
              dstPorts: { lo: l4Port(80), hi: l4Port(80) },
              priority: 100,
              action: 'ACL_ALLOW',
              policyRef: 'demo/allow-web-from-a',
            },
          }),
          insert({
            acl: {
              stage: 'ACL_INGRESS',
              endpointId: b0.endpointId,
              srcPrefix: prefix('10.1.0.11/32'),
              priority: 200,
              action: 'ACL_DENY',
              log: true,
              policyRef: 'demo/deny-b',
            },
          }),
          // Isolation last in the batch, but the batch is applied as one.
          ...podAddresses(b0).map((f) => modify(endpointEntry(b0, f, true))),
        ],
      },
    },
    {
      name: 'tenant',
      summary: 'move host4 into VRF 1 (no routes there) and attach tenant pod t0',
      request: {
        atomicity: all,
        updates: [modify({ port: { ...ctx.tenantPort.port, vrf: TENANT_POD.vrf } }), insert(endpointEntry(TENANT_POD, 'v4'))],
      },
    },
    {
      name: 'bad-batch',
      summary: 'a route to a next hop that does not exist, after a valid route: all or nothing',
      expectRefused: true,
      request: {
        atomicity: all,
        updates: [
          insert({ route: { vrf: 0, prefix: prefix('10.60.0.0/16'), nexthopId: 'gw-v4' } }),
          insert({ route: { vrf: 0, prefix: prefix('10.50.0.0/16'), nexthopId: 'node-7' } }),
        ],
      },
    },
  ];
}

export interface DemoPacket {
  /** Stable id, used by tests and JSON consumers. */
  readonly id: string;
  /** Who talks to whom, in words. */
  readonly story: string;
  readonly port: string;
  readonly frame: Uint8Array;
}

/** The packets, given the MAC each ingress port answers to (its router MAC). */
export function demoPackets(routerMac: (port: string) => string): DemoPacket[] {
  const [a0, a1, b0, b1, t0] = ['a0', 'a1', 'b0', 'b1', 't0'].map(pod);
  const internetHost = { v4: '93.184.216.34', v6: '2001:db8::1' };
  const fromPod = (p: Pod, rest: Omit<FrameSpec, 'eth'>): Uint8Array => buildFrame({ eth: { src: p.mac, dst: routerMac(p.port) }, ...rest });
  const syn = (sport: number, dport: number) => ({ tcp: { sport, dport, flags: 'S', seq: 1000 } });
  return [
    { id: 'a0-to-b0-web', story: 'a0 -> b0 web', port: a0.port, frame: fromPod(a0, { ipv4: { src: a0.v4, dst: b0.v4 }, ...syn(40000, 80) }) },
    { id: 'a0-to-b0-ssh', story: 'a0 -> b0 ssh', port: a0.port, frame: fromPod(a0, { ipv4: { src: a0.v4, dst: b0.v4 }, ...syn(40001, 22) }) },
    { id: 'a1-to-b0-web', story: 'a1 -> b0 web', port: a1.port, frame: fromPod(a1, { ipv4: { src: a1.v4, dst: b0.v4 }, ...syn(40002, 80) }) },
    { id: 'a0-ping-b1', story: 'a0 pings b1', port: a0.port, frame: fromPod(a0, { ipv4: { src: a0.v4, dst: b1.v4 }, icmp: { type: 8, id: 7, seq: 1 }, payload: 'ping' }) },
    { id: 'a0-to-b1-web-v6', story: 'a0 -> b1 web, IPv6', port: a0.port, frame: fromPod(a0, { ipv6: { src: a0.v6!, dst: b1.v6! }, ...syn(40003, 80) }) },
    { id: 'a1-ping-b0-v6', story: 'a1 pings b0, IPv6', port: a1.port, frame: fromPod(a1, { ipv6: { src: a1.v6!, dst: b0.v6! }, icmpv6: { type: 128, id: 8, seq: 1 }, payload: 'ping' }) },
    { id: 'a0-to-internet', story: 'a0 -> internet', port: a0.port, frame: fromPod(a0, { ipv4: { src: a0.v4, dst: internetHost.v4 }, ...syn(40004, 443) }) },
    { id: 'b1-to-internet-v6', story: 'b1 -> internet DNS, IPv6', port: b1.port, frame: fromPod(b1, { ipv6: { src: b1.v6!, dst: internetHost.v6 }, udp: { sport: 5353, dport: 53 }, payload: 'query' }) },
    {
      id: 'internet-to-a0',
      story: 'internet -> a0',
      port: GATEWAY.port,
      frame: buildFrame({ eth: { src: GATEWAY.mac, dst: routerMac(GATEWAY.port) }, ipv4: { src: '198.51.100.7', dst: a0.v4 }, ...syn(51000, 8080) }),
    },
    { id: 'a0-to-rejected-range', story: 'a0 -> 10.99.0.5 (rejected range)', port: a0.port, frame: fromPod(a0, { ipv4: { src: a0.v4, dst: '10.99.0.5' }, ...syn(40005, 80) }) },
    { id: 't0-to-a0-no-route', story: 't0 (VRF 1) -> a0', port: t0.port, frame: fromPod(t0, { ipv4: { src: t0.v4, dst: a0.v4 }, ...syn(40006, 80) }) },
  ];
}
