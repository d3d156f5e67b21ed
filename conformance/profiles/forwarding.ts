// forwarding: routing (LPM per VRF and family), endpoint delivery, next hops and
// neighbors, ECMP, TTL, route drop/reject, port state (hal-spec §2 stage 8, §3.2).
// Every test sends packets and compares the bytes that come out.
import { del, ins, mod, type Ctx, type Entry } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { check, eq } from '../framework/expect.js';
import { applied, feature, lacksFeature, perEntryCounters, table } from '../framework/needs.js';
import { flowFrame, type Flow } from '../packet/frame.js';
import { parseFrame } from '../packet/parse.js';
import { IP, MAC, TOPO, topology } from '../topology.js';

export const { tests, test } = profile('forwarding');

const V4 = [...TOPO, feature('IPV4_ROUTING'), feature('NEIGHBOR_REWRITE')];
const V6 = [...TOPO, feature('IPV6_ROUTING'), feature('NEIGHBOR_REWRITE')];
const ECMP = [...V4, feature('ECMP'), applied('ecmp_group')];

const out = (ip: string = IP.remote, extra: Partial<Flow> = {}): Flow => ({ src: IP.epA, dst: ip, ...extra });
const route = (prefix: string, action: Record<string, unknown>, vrf?: number): Entry => ({ route: { ...(vrf && { vrf }), prefix, ...action } });

// ------------------------------------------------------------------ basic routing

test('ipv4.udp', '§2 stage 8: an IPv4 UDP packet from an endpoint leaves by the default route: MACs rewritten, TTL one less, checksums right', V4, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, out(), c.U0, MAC.r0);
});

test('ipv4.tcp', '§2 stage 8: an IPv4 TCP segment is routed with exact bytes', V4, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, out(IP.remote, { proto: 'tcp', flags: 'S', dport: 443 }), c.U0, MAC.r0);
});

test('ipv4.icmp', '§2 stage 8: an IPv4 ICMP echo is routed with exact bytes', V4, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, out(IP.remote, { proto: 'icmp' }), c.U0, MAC.r0);
});

test('ipv4.inbound', '§2: network-to-host: a packet from an uplink to an endpoint is delivered to its port with the endpoint MAC', V4, async (c) => {
  await topology(c);
  await c.expectForwarded(c.U0, { src: IP.remote, dst: IP.epB, proto: 'tcp', sport: 443, dport: 40000 }, c.H1, MAC.epB);
});

test('ipv4.host-to-host', '§2: host-to-host: ep-a to ep-b is delivered to ep-b\'s port', V4, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.epB }, c.H1, MAC.epB);
});

test('ipv4.large-payload', '§2 stage 8: a 1400-byte payload is forwarded intact', V4, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, out(IP.remote, { payload: new Uint8Array(1400).map((_, i) => i & 0xff) }), c.U0, MAC.r0);
});

test('ipv6.udp', '§2 stage 8: an IPv6 UDP packet is routed: MACs rewritten, hop limit one less, checksum right', V6, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, { src: IP.epA6, dst: IP.remote6 }, c.U0, MAC.r6);
});

test('ipv6.tcp', '§2 stage 8: an IPv6 TCP segment is routed with exact bytes', V6, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, { src: IP.epA6, dst: IP.remote6, proto: 'tcp' }, c.U0, MAC.r6);
});

test('ipv6.icmpv6', '§2 stage 8: an ICMPv6 echo is routed with exact bytes', V6, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, { src: IP.epA6, dst: IP.remote6, proto: 'icmpv6' }, c.U0, MAC.r6);
});

test('ipv6.inbound', '§2: an IPv6 packet from an uplink to an endpoint is delivered to the endpoint', V6, async (c) => {
  await topology(c);
  await c.expectForwarded(c.U1, { src: IP.remote6, dst: IP.epB6 }, c.H1, MAC.epB);
});

// ------------------------------------------------------------------ LPM

test('lpm.longest', '§3.1 LPM: the longest matching prefix wins (/8, /16, /24 and the default)', V4, async (c) => {
  await topology(c);
  await c.insert(route('203.0.0.0/8', { nexthopId: 'nh-u1' }), route('203.0.113.0/24', { nexthopId: 'nh-u1' }), route('203.0.0.0/16', { nexthopId: 'nh-u0' }));
  await c.expectForwarded(c.H0, out('203.0.113.9'), c.U1, MAC.r1, '/24');
  await c.expectForwarded(c.H0, out('203.0.7.9'), c.U0, MAC.r0, '/16');
  await c.expectForwarded(c.H0, out('203.9.7.9'), c.U1, MAC.r1, '/8');
  await c.expectForwarded(c.H0, out('204.0.0.1'), c.U0, MAC.r0, 'default');
});

test('lpm.host-route', '§3.1 LPM: a /32 wins over a /31 and a /0', V4, async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.8/31', { nexthopId: 'nh-u0' }), route('203.0.113.9/32', { nexthopId: 'nh-u1' }));
  await c.expectForwarded(c.H0, out('203.0.113.9'), c.U1, MAC.r1, '/32');
  await c.expectForwarded(c.H0, out('203.0.113.8'), c.U0, MAC.r0, '/31');
});

test('lpm.modify', '§5.1: MODIFY of a route changes where packets go', V4, async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.0/24', { nexthopId: 'nh-u0' }));
  await c.write([mod(route('203.0.113.0/24', { nexthopId: 'nh-u1' }))]);
  await c.expectForwarded(c.H0, out('203.0.113.9'), c.U1, MAC.r1);
});

test('lpm.delete-falls-back', '§3.1: deleting the more specific route falls back to the shorter one', V4, async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.0/24', { nexthopId: 'nh-u1' }));
  await c.expectForwarded(c.H0, out('203.0.113.9'), c.U1, MAC.r1, 'with /24');
  await c.write([del(route('203.0.113.0/24', {}))]);
  await c.expectForwarded(c.H0, out('203.0.113.9'), c.U0, MAC.r0, 'after deleting /24');
});

test('lpm.ipv6-longest', '§3.1 LPM: IPv6 longest prefix wins', V6, async (c) => {
  await topology(c);
  await c.insert(route('2001:db8:ff::/48', { nexthopId: 'nh-u1-6' }), route('2001:db8::/32', { nexthopId: 'nh-u0-6' }));
  await c.expectForwarded(c.H0, { src: IP.epA6, dst: '2001:db8:ff::9' }, c.U1, MAC.r7, '/48');
  await c.expectForwarded(c.H0, { src: IP.epA6, dst: '2001:db8:1::9' }, c.U0, MAC.r6, '/32');
});

test('lpm.family', '§3.1 LPM: a packet matches only prefixes of its own family (::/0 does not route IPv4)', [...V4, feature('IPV6_ROUTING')], async (c) => {
  await topology(c);
  await c.write([del(route('0.0.0.0/0', {}))]);
  await c.expectDropped(c.H0, out(), 'IPv4 with only ::/0');
  await c.expectForwarded(c.H0, { src: IP.epA6, dst: IP.remote6 }, c.U0, MAC.r6, 'IPv6 still routed');
});

test('lpm.no-route', '§2 stage 8: a packet without a matching route is dropped and counted', V4, async (c) => {
  await topology(c);
  await c.write([del(route('0.0.0.0/0', {}))]);
  await c.expectDropped(c.H0, out(), 'no route');
});

test('lpm.vrf', '§2 stage 1, §3.1: the ingress port\'s VRF selects the routes; vrf 0 and vrf 1 are separate', [...V4, table('port')], async (c) => {
  await topology(c);
  await c.insert({ neighbor: { vrf: 1, ip: IP.r1, mac: MAC.r1 } }, route('0.0.0.0/0', { nexthopId: 'nh-u1' }, 1));
  await c.write([mod({ port: { id: c.U1, adminUp: true } }), mod({ port: { id: c.U0, adminUp: true, vrf: 1 } })]);
  // From U0 (vrf 1) to a remote host: vrf 1's default route.
  await c.expectForwarded(c.U0, { src: IP.remote2, dst: IP.remote }, c.U1, MAC.r1, 'vrf 1');
  // From H0 (vrf 0): vrf 0's default route.
  await c.expectForwarded(c.H0, out(), c.U0, MAC.r0, 'vrf 0');
});

test('lpm.vrf-neighbor', '§3.2: neighbors are per VRF: a vrf 1 route whose neighbor exists only in vrf 0 is a neighbor miss', [...V4, table('port')], async (c) => {
  await topology(c);
  await c.insert(route('0.0.0.0/0', { nexthopId: 'nh-u1' }, 1));
  await c.write([mod({ port: { id: c.U0, adminUp: true, vrf: 1 } })]);
  await c.expectDropped(c.U0, { src: IP.remote2, dst: IP.remote }, 'vrf 1 without a vrf 1 neighbor');
});

// ------------------------------------------------------------------ endpoints

test('endpoint.wins-over-route', '§2: endpoint delivery wins over a route however long its prefix', V4, async (c) => {
  await topology(c);
  await c.insert(route(`${IP.epB}/32`, { nexthopId: 'nh-u1' }));
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.epB }, c.H1, MAC.epB);
});

test('endpoint.vrf', '§2: endpoint delivery is per VRF: an endpoint in vrf 2 does not capture vrf 0 traffic', V4, async (c) => {
  await topology(c);
  await c.insert({ endpoint: { vrf: 2, ip: '203.0.113.50', portId: c.H1, mac: MAC.epC, endpointId: 'ep-c' } });
  await c.expectForwarded(c.H0, out('203.0.113.50'), c.U0, MAC.r0);
});

test('endpoint.move', '§5.1: MODIFY of an endpoint moves delivery to its new port and MAC', V4, async (c) => {
  await topology(c);
  await c.write([mod({ endpoint: { ip: IP.epB, portId: c.H0, mac: MAC.epC, endpointId: 'ep-b' } })]);
  await c.expectForwarded(c.U0, { src: IP.remote, dst: IP.epB }, c.H0, MAC.epC);
});

test('endpoint.delete', '§2: after deleting an endpoint its address follows the routes', V4, async (c) => {
  await topology(c);
  await c.write([del({ endpoint: { ip: IP.epB } })]);
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.epB }, c.U0, MAC.r0);
});

// ------------------------------------------------------------------ next hops and neighbors

test('nexthop.dmac', '§3.2: a next hop with dmac uses it without a neighbor lookup', V4, async (c) => {
  await topology(c);
  await c.insert({ nexthop: { id: 'nh-fixed', port: { portId: c.U1, ip: '192.168.9.9', dmac: MAC.fixed } } }, route('203.0.113.0/24', { nexthopId: 'nh-fixed' }));
  await c.expectForwarded(c.H0, out('203.0.113.9'), c.U1, MAC.fixed);
});

test('nexthop.connected', '§3.2: a next hop without ip resolves the packet\'s own destination (connected route)', V4, async (c) => {
  await topology(c);
  await c.insert({ nexthop: { id: 'nh-conn', port: { portId: c.U1 } } }, route('203.0.113.0/24', { nexthopId: 'nh-conn' }), { neighbor: { ip: '203.0.113.9', mac: MAC.fixed } });
  await c.expectForwarded(c.H0, out('203.0.113.9'), c.U1, MAC.fixed);
});

test('nexthop.connected-miss', '§3.2: a connected route whose destination has no neighbor is dropped and counted', V4, async (c) => {
  await topology(c);
  await c.insert({ nexthop: { id: 'nh-conn', port: { portId: c.U1 } } }, route('203.0.113.0/24', { nexthopId: 'nh-conn' }));
  await c.expectDropped(c.H0, out('203.0.113.10'), 'neighbor miss');
});

test('neighbor.miss', '§2 stage 8: a next hop whose neighbor is missing drops the packet (counted)', V4, async (c) => {
  await topology(c);
  await c.write([del({ neighbor: { ip: IP.r0 } })]);
  await c.expectDropped(c.H0, out(), 'neighbor deleted');
});

test('neighbor.modify', '§5.1: MODIFY of a neighbor changes the destination MAC of packets routed through it', V4, async (c) => {
  await topology(c);
  await c.write([mod({ neighbor: { ip: IP.r0, mac: MAC.fixed } })]);
  await c.expectForwarded(c.H0, out(), c.U0, MAC.fixed);
});

test('nexthop.modify', '§5.1: MODIFY of a next hop moves every route using it', V4, async (c) => {
  await topology(c);
  await c.write([mod({ nexthop: { id: 'nh-u0', port: { portId: c.U1, ip: IP.r1 } } })]);
  await c.expectForwarded(c.H0, out(), c.U1, MAC.r1);
});

// ------------------------------------------------------------------ route actions

test('route.drop', '§3.2: a route with drop discards (counted), nothing leaves', V4, async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.0/24', { drop: {} }));
  await c.expectDropped(c.H0, out('203.0.113.9'), 'route drop');
});

test('route.reject-no-icmp', '§5.4 step 4 [D]: route reject without ROUTE_REJECT_ICMP is a counted drop with no answer', [...V4, lacksFeature('ROUTE_REJECT_ICMP')], async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.0/24', { reject: {} }));
  await c.expectDropped(c.H0, out('203.0.113.9'), 'route reject');
});

async function expectIcmpUnreachable(c: Ctx, inPort: string, f: Flow, srcMac = '02:ee:00:00:00:01'): Promise<void> {
  const sent = c.frameIn(inPort, f, srcMac);
  const r = await c.inject(inPort, sent);
  eq(r.disposition, 'REJECTED', 'disposition');
  check(r.dropReason, 'a rejected packet names its drop reason (§14.1)');
  const em = r.emitted ?? [];
  eq(em.length, 1, 'answers emitted');
  eq(em[0].portId, inPort, 'the answer leaves by the ingress port');
  const p = parseFrame(em[0].frame!);
  check(p?.ip && p.l4, 'the answer is not an IP packet');
  eq(p.dstMac, srcMac, 'answer destination MAC');
  eq(p.srcMac, c.mac(inPort), 'answer source MAC');
  eq(p.ip.dst, f.src, 'answer destination address');
  const v6 = p.ip.version === 6;
  eq([p.l4.proto, p.l4.icmpType], v6 ? [58, 1] : [1, 3], 'ICMP destination unreachable');
  check(p.ip.headerChecksumOk && p.l4.checksumOk, 'answer checksums');
  // The answer quotes the offending packet's IP header (RFC 792, RFC 4443).
  const quoted = p.l4.payload;
  const orig = sent.subarray(14, 14 + (v6 ? 40 : 20));
  eq(Buffer.from(quoted.subarray(0, 8)).toString('hex'), Buffer.from(orig.subarray(0, 8)).toString('hex').slice(0, 16), 'quoted header start');
  eq(Buffer.from(quoted.subarray(v6 ? 8 : 12, v6 ? 40 : 20)).toString('hex'), Buffer.from(orig.subarray(v6 ? 8 : 12)).toString('hex'), 'quoted addresses');
  await c.hal.capture({});
}

test('route.reject-icmp', '§3.2: route reject answers ICMP destination unreachable to the sender', [...V4, feature('ROUTE_REJECT_ICMP')], async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.0/24', { reject: {} }));
  await expectIcmpUnreachable(c, c.H0, out('203.0.113.9'));
});

test('route.reject-icmpv6', '§3.2: an IPv6 route reject answers ICMPv6 destination unreachable', [...V6, feature('ROUTE_REJECT_ICMP')], async (c) => {
  await topology(c);
  await c.insert(route('2001:db8:dead::/48', { reject: {} }));
  await expectIcmpUnreachable(c, c.H0, { src: IP.epA6, dst: '2001:db8:dead::1' });
});

// ------------------------------------------------------------------ TTL

test('ttl.expire-v4', '§2 stage 8: a routed IPv4 packet arriving with TTL 1 is dropped (counted), not forwarded', [...V4, feature('TTL_DECREMENT')], async (c) => {
  await topology(c);
  await c.expectDropped(c.H0, out(IP.remote, { ttl: 1 }), 'TTL 1');
});

test('ttl.expire-v6', '§2 stage 8: a routed IPv6 packet with hop limit 1 is dropped', [...V6, feature('TTL_DECREMENT')], async (c) => {
  await topology(c);
  await c.expectDropped(c.H0, { src: IP.epA6, dst: IP.remote6, ttl: 1 }, 'hop limit 1');
});

test('ttl.two', '§2 stage 8: TTL 2 leaves with TTL 1 and a correct header checksum', [...V4, feature('TTL_DECREMENT')], async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, out(IP.remote, { ttl: 2 }), c.U0, MAC.r0);
});

test('ttl.255', '§2 stage 8: TTL 255 leaves with 254 (checksum carry case)', [...V4, feature('TTL_DECREMENT')], async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, out(IP.remote, { ttl: 255 }), c.U0, MAC.r0);
  await c.expectForwarded(c.U0, { src: IP.remote, dst: IP.epA, ttl: 128, proto: 'icmp' }, c.H0, MAC.epA);
});

// ------------------------------------------------------------------ ports

test('port.egress-down', '§2: a packet routed to an administratively down port is dropped (counted)', [...V4, table('port')], async (c) => {
  await topology(c);
  await c.write([mod({ port: { id: c.U0 } })]);
  await c.expectDropped(c.H0, out(), 'egress port down');
});

test('port.up-again', '§6.3: MODIFY setting adminUp back restores forwarding', [...V4, table('port')], async (c) => {
  await topology(c);
  await c.write([mod({ port: { id: c.H0 } })]);
  await c.expectDropped(c.H0, out(), 'ingress down');
  await c.write([mod({ port: { id: c.H0, adminUp: true } })]);
  await c.expectForwarded(c.H0, out(), c.U0, MAC.r0);
});

test('port.counters', '§10: ListPorts rx and tx counters count the frames and bytes that entered and left', V4, async (c) => {
  await topology(c);
  const before = (await c.hal.listPorts()).ports!;
  const f = c.frameIn(c.H0, out());
  await c.inject(c.H0, f);
  const after = (await c.hal.listPorts()).ports!;
  const d = (id: string, dir: 'rx' | 'tx') => {
    const a = after.find((p) => p.id === id)![dir] ?? {};
    const b = before.find((p) => p.id === id)![dir] ?? {};
    return [Number(a.packets ?? 0) - Number(b.packets ?? 0), Number(a.bytes ?? 0) - Number(b.bytes ?? 0)];
  };
  eq(d(c.H0, 'rx'), [1, f.length], `${c.H0} rx`);
  eq(d(c.U0, 'tx'), [1, f.length], `${c.U0} tx (same length: only MACs and TTL change)`);
});

// ------------------------------------------------------------------ ECMP

async function ecmpSetup(c: Ctx, members: { nexthopId: string; weight?: number }[]): Promise<void> {
  await topology(c);
  await c.insert({ ecmpGroup: { id: 'g', members } }, route('203.0.113.0/24', { ecmpGroupId: 'g' }));
}

const flowN = (i: number): Flow => ({ src: IP.epA, dst: '203.0.113.9', sport: 20000 + i, dport: 443, proto: 'tcp' });

async function spread(c: Ctx, n: number, f = flowN): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const p = await c.egressOf(c.H0, f(i));
    check(p, `flow ${i} was not forwarded`);
    m.set(p, (m.get(p) ?? 0) + 1);
  }
  return m;
}

test('ecmp.spread', '§3.2 ecmp_group: flows spread over the members; each leaves with that member\'s MAC rewrite', ECMP, async (c) => {
  await ecmpSetup(c, [{ nexthopId: 'nh-u0' }, { nexthopId: 'nh-u1' }]);
  const m = await spread(c, 64);
  check((m.get(c.U0) ?? 0) >= 8 && (m.get(c.U1) ?? 0) >= 8, `64 flows over two equal members: ${JSON.stringify([...m])}`);
  for (let i = 0; i < 4; i++) {
    const p = (await c.egressOf(c.H0, flowN(i)))!;
    await c.expectForwarded(c.H0, flowN(i), p, p === c.U0 ? MAC.r0 : MAC.r1, `flow ${i}`);
  }
});

test('ecmp.sticky', '§3.2: a flow always takes the same member', ECMP, async (c) => {
  await ecmpSetup(c, [{ nexthopId: 'nh-u0' }, { nexthopId: 'nh-u1' }]);
  for (let i = 0; i < 16; i++) {
    const a = await c.egressOf(c.H0, flowN(i));
    for (let k = 0; k < 3; k++) eq(await c.egressOf(c.H0, flowN(i)), a, `flow ${i} repeat ${k}`);
  }
});

test('ecmp.weights', '§3.2: weights are honoured: a weight-7 member carries most of the flows against weight 1', ECMP, async (c) => {
  await ecmpSetup(c, [{ nexthopId: 'nh-u0', weight: 1 }, { nexthopId: 'nh-u1', weight: 7 }]);
  const m = await spread(c, 160);
  const heavy = m.get(c.U1) ?? 0;
  check(heavy >= 115 && heavy <= 158, `weight 7 of 8 should carry ~140 of 160 flows, carried ${heavy}`);
});

test('ecmp.ipv6', '§3.2: IPv6 flows spread over an ECMP group', [...V6, feature('ECMP'), applied('ecmp_group')], async (c) => {
  await topology(c);
  await c.insert({ ecmpGroup: { id: 'g6', members: [{ nexthopId: 'nh-u0-6' }, { nexthopId: 'nh-u1-6' }] } }, route('2001:db8:ff::/48', { ecmpGroupId: 'g6' }));
  const m = await spread(c, 48, (i) => ({ src: IP.epA6, dst: '2001:db8:ff::9', sport: 30000 + i }));
  check(m.size === 2, `48 IPv6 flows used ${m.size} member(s)`);
});

test('ecmp.one-member', '§3.2: a single-member group forwards exactly like the member', ECMP, async (c) => {
  await ecmpSetup(c, [{ nexthopId: 'nh-u1' }]);
  await c.expectForwarded(c.H0, flowN(1), c.U1, MAC.r1);
});

test('ecmp.empty', '§3.2: a route to an empty ECMP group does not forward (counted drop)', ECMP, async (c) => {
  await ecmpSetup(c, []);
  await c.expectDropped(c.H0, flowN(1), 'empty group');
});

test('ecmp.member-neighbor', '§3.2: an ECMP member uses its own next hop\'s neighbor rewrite', ECMP, async (c) => {
  await ecmpSetup(c, [{ nexthopId: 'nh-u0' }, { nexthopId: 'nh-u1' }]);
  await c.write([mod({ neighbor: { ip: IP.r1, mac: MAC.fixed } })]);
  for (let i = 0; i < 12; i++) {
    const p = (await c.egressOf(c.H0, flowN(i)))!;
    await c.expectForwarded(c.H0, flowN(i), p, p === c.U1 ? MAC.fixed : MAC.r0, `flow ${i}`);
  }
});

// ------------------------------------------------------------------ counters

test('counters.route', '§8: a route\'s counters count the packets it matched and their frame bytes (no FCS)', [...V4, perEntryCounters('route')], async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.0/24', { nexthopId: 'nh-u1' }));
  const f = c.frameIn(c.H0, out('203.0.113.9'));
  await c.inject(c.H0, f);
  await c.inject(c.H0, f);
  await c.inject(c.H0, c.frameIn(c.H0, out()));
  const rec = (await c.hal.read({ tables: ['route'], includeCounters: true, filters: [{ field: 'prefix', equals: '203.0.113.0/24' }] }))[0];
  eq([Number(rec.counters?.packets ?? 0), Number(rec.counters?.bytes ?? 0)], [2, 2 * f.length], 'route counters');
});

test('counters.modify-keeps', '§8 [D]: MODIFY keeps an entry\'s counters; DELETE then INSERT starts from zero', [...V4, perEntryCounters('route')], async (c) => {
  await topology(c);
  await c.insert(route('203.0.113.0/24', { nexthopId: 'nh-u1' }));
  await c.send(c.H0, out('203.0.113.9'));
  await c.write([mod(route('203.0.113.0/24', { nexthopId: 'nh-u0' }))]);
  const read = async () => Number((await c.hal.read({ tables: ['route'], includeCounters: true, filters: [{ field: 'prefix', equals: '203.0.113.0/24' }] }))[0].counters?.packets ?? 0);
  eq(await read(), 1, 'packets after MODIFY');
  await c.write([del(route('203.0.113.0/24', {})), ins(route('203.0.113.0/24', { nexthopId: 'nh-u0' }))]);
  eq(await read(), 0, 'packets after DELETE + INSERT');
});

test('counters.drops', '§13.1: GetCounters counts table lookups and hits for a routed packet', V4, async (c) => {
  await topology(c);
  const before = await c.hal.getCounters();
  await c.send(c.H0, out());
  const after = await c.hal.getCounters();
  const hits = (x: typeof before, t: string) => Number((x.tables ?? []).find((e) => e.table === t)?.hits ?? 0);
  const lookups = (x: typeof before, t: string) => Number((x.tables ?? []).find((e) => e.table === t)?.lookups ?? 0);
  check(lookups(after, 'route') > lookups(before, 'route'), 'route lookups did not move');
  check(hits(after, 'route') > hits(before, 'route'), 'route hits did not move');
});

test('frames.wrong-family-frame', '§14.1: a frame whose IPv4 total length exceeds the frame is malformed', V4, async (c) => {
  await topology(c);
  const f = flowFrame(out(), '02:ee:00:00:00:01', c.mac(c.H0));
  f[14 + 2] = 0x05; // total length 0x05xx: longer than the frame
  await c.expectDropped(c.H0, f, 'bad total length', 'malformed:');
});
