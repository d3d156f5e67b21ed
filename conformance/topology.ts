// The standard topology packet tests build on, placed on ports chosen by role:
//   ep-a  10.0.0.10, 2001:db8:a::10 on host port H0
//   ep-b  10.0.0.11, 2001:db8:a::11 on host port H1
//   nh-u0 → U0 via 192.168.0.1, nh-u1 → U1 via 192.168.1.1 (IPv4 next hops)
//   nh-u0-6 → U0 via fe80::1, nh-u1-6 → U1 via fe80::2 (IPv6 next hops)
//   0.0.0.0/0 → nh-u0, ::/0 → nh-u0-6
import type { Ctx, Entry } from './framework/context.js';
import { applied, io, ports } from './framework/needs.js';
import type { Requirement } from './framework/types.js';

export const MAC = {
  epA: '02:aa:00:00:00:0a',
  epB: '02:aa:00:00:00:0b',
  epC: '02:aa:00:00:00:0c',
  r0: '02:cc:00:00:00:01',
  r1: '02:cc:00:00:01:01',
  r6: '02:cc:00:00:06:01',
  r7: '02:cc:00:00:07:01',
  fixed: '02:dd:00:00:00:09',
} as const;

export const IP = {
  epA: '10.0.0.10',
  epB: '10.0.0.11',
  epA6: '2001:db8:a::10',
  epB6: '2001:db8:a::11',
  r0: '192.168.0.1',
  r1: '192.168.1.1',
  r6: 'fe80::1',
  r7: 'fe80::2',
  /** A host somewhere beyond the uplinks. */
  remote: '198.51.100.7',
  remote2: '198.51.100.8',
  remote6: '2001:db8:ff::7',
} as const;

/** Needs of every test on the standard topology. */
export const TOPO: readonly Requirement[] = [io, ports(2, 2), applied('endpoint'), applied('neighbor'), applied('route'), applied('nexthop')];

/** IPv6 entries only on a device declaring IPV6_ROUTING: an IPv4-only device may refuse them (§5.4 step 4). */
export function topologyEntries(c: Ctx): Entry[] {
  const v6 = c.has('IPV6_ROUTING');
  const all: Entry[] = [
    { endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a' } },
    { endpoint: { ip: IP.epA6, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a' } },
    { endpoint: { ip: IP.epB, portId: c.H1, mac: MAC.epB, endpointId: 'ep-b' } },
    { endpoint: { ip: IP.epB6, portId: c.H1, mac: MAC.epB, endpointId: 'ep-b' } },
    { neighbor: { ip: IP.r0, mac: MAC.r0 } },
    { neighbor: { ip: IP.r1, mac: MAC.r1 } },
    { neighbor: { ip: IP.r6, mac: MAC.r6 } },
    { neighbor: { ip: IP.r7, mac: MAC.r7 } },
    { nexthop: { id: 'nh-u0', port: { portId: c.U0, ip: IP.r0 } } },
    { nexthop: { id: 'nh-u1', port: { portId: c.U1, ip: IP.r1 } } },
    { nexthop: { id: 'nh-u0-6', port: { portId: c.U0, ip: IP.r6 } } },
    { nexthop: { id: 'nh-u1-6', port: { portId: c.U1, ip: IP.r7 } } },
    { route: { prefix: '0.0.0.0/0', nexthopId: 'nh-u0' } },
    { route: { prefix: '::/0', nexthopId: 'nh-u0-6' } },
  ];
  return v6 ? all : all.filter((e) => !JSON.stringify(e).match(/"(ip|prefix)":"[^"]*:/));
}

export async function topology(c: Ctx): Promise<void> {
  await c.insert(...topologyEntries(c));
}
