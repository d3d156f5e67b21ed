// stateful: conntrack (states, timeouts, zones, the Conntrack service), service
// load balancing (DNAT, member choice, affinity, terminating members, empty
// groups, source ranges), policy after DNAT, SNAT / masquerade / hairpin
// (hal-spec §2 stages 3–7, §12).
import type { ConntrackEntry, FiveTuple } from '../../src/hal/index.js';
import { mod, type Ctx, type Entry } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { callFails, check, eq, fail, show } from '../framework/expect.js';
import { applied, conntrack, ctTimeouts, feature, lacksFeature, noConntrack, table, virtualTime } from '../framework/needs.js';
import type { Requirement } from '../framework/types.js';
import { flowFrame, flowPacket, hex, type Flow } from '../packet/frame.js';
import { TCP_RST, parseFrame, type ParsedFrame } from '../packet/parse.js';
import { IP, MAC, TOPO, topology } from '../topology.js';

export const { tests, test } = profile('stateful');

const S = 1_000_000_000;
const VIP = '10.96.0.10';
const BACKENDS = ['10.1.0.1', '10.1.0.2', '10.1.0.3'];

const CT: readonly Requirement[] = [...TOPO, feature('IPV4_ROUTING'), feature('CONNTRACK'), conntrack];
const LB: readonly Requirement[] = [...TOPO, feature('IPV4_ROUTING'), feature('SERVICE_LB'), applied('service'), applied('backend_group')];
const LBCT = [...LB, feature('CONNTRACK'), conntrack];

/** Backends beyond U1 (10.1.0.0/24 → nh-u1), a TCP service VIP:80 → :8080. */
async function service(c: Ctx, members: Record<string, unknown>[], balance: Record<string, unknown> = {}, svc: Record<string, unknown> = {}): Promise<void> {
  await topology(c);
  await c.insert({ route: { prefix: '10.1.0.0/24', nexthopId: 'nh-u1' } }, { backendGroup: { id: 'bg', members } }, { service: { vip: VIP, protocol: 6, port: 80, balance: { backendGroupId: 'bg', ...balance }, ...svc } });
}
const member = (ip: string, extra: Record<string, unknown> = {}) => ({ ip, port: 8080, ...extra });
const toVip = (sport: number, extra: Partial<Flow> = {}): Flow => ({ src: IP.remote, dst: VIP, proto: 'tcp', sport, dport: 80, flags: 'S', ...extra });

/** Sends a flow to the VIP; it must be DNATed to one backend, leaving U1 with exact bytes. Returns the backend. */
async function dnat(c: Ctx, f: Flow, what = 'service packet', port = 8080): Promise<string> {
  const { port: out, frame } = await c.emitsOne(c.U0, f, what);
  eq(out, c.U1, `${what}: egress port`);
  const p = parseFrame(frame);
  const backend = p?.ip?.dst ?? '';
  check(BACKENDS.includes(backend), `${what}: destination ${backend} is not a backend`);
  const want = flowFrame({ ...f, dst: backend, dport: port }, c.mac(c.U1), MAC.r1, c.hop(f.ttl ?? 64));
  eq(hex(frame), hex(want), `${what}: DNATed frame bytes (destination rewritten, checksums updated)`);
  return backend;
}

async function flush(c: Ctx): Promise<void> {
  await c.hal.deleteConntrack({ filter: {} });
}

const tuple = (src: string, dst: string, protocol: number, srcPort: number, dstPort: number): FiveTuple => ({ srcIp: src, dstIp: dst, protocol, srcPort, dstPort }) as FiveTuple;

// ------------------------------------------------------------------ the Conntrack service

test('ct.unsupported', '§12: without conntrack.supported every Conntrack call fails UNIMPLEMENTED/FEATURE_UNSUPPORTED', [noConntrack], async (c) => {
  await callFails(c.hal.listConntrack({}), { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED' }, 'Conntrack.List');
  await callFails(c.hal.getConntrack({ tuple: tuple('10.0.0.1', '10.0.0.2', 17, 1, 2) }), { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED' }, 'Conntrack.Get');
  await callFails(c.hal.deleteConntrack({ filter: {} }), { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED' }, 'Conntrack.Delete');
});

test('ct.learned', '§12: an allowed new connection is committed: original and reply tuples, zone 0, not replied yet', CT, async (c) => {
  await topology(c);
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote, sport: 5353, dport: 53 }, c.U0, MAC.r0);
  const list = await c.hal.listConntrack({});
  eq(list.length, 1, 'conntrack entries');
  const e = list[0];
  eq(e.original, tuple(IP.epA, IP.remote, 17, 5353, 53), 'original tuple');
  eq(e.reply, tuple(IP.remote, IP.epA, 17, 53, 5353), 'reply tuple');
  eq(e.zone ?? 0, 0, 'zone');
  check(!e.replied && !e.dnat && !e.snat, `flags ${show(e)}`);
});

test('ct.replied', '§12: a packet in the reply direction marks the entry replied and counts per direction', CT, async (c) => {
  await topology(c);
  const out = { src: IP.epA, dst: IP.remote, sport: 5353, dport: 53 };
  await c.expectForwarded(c.H0, out, c.U0, MAC.r0);
  await c.expectForwarded(c.U0, { src: IP.remote, dst: IP.epA, sport: 53, dport: 5353 }, c.H0, MAC.epA);
  const [e] = await c.hal.listConntrack({});
  check(e?.replied === true, `replied ${show(e)}`);
  eq([Number(e.originalCounters?.packets ?? 0), Number(e.replyCounters?.packets ?? 0)], [1, 1], 'packets per direction');
});

test('ct.get-either-direction', '§12: Get finds an entry by either direction\'s tuple; a miss is NOT_FOUND/ENTRY_NOT_FOUND', CT, async (c) => {
  await topology(c);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 5353, dport: 53 });
  const a = await c.hal.getConntrack({ tuple: tuple(IP.epA, IP.remote, 17, 5353, 53) });
  const b = await c.hal.getConntrack({ tuple: tuple(IP.remote, IP.epA, 17, 53, 5353) });
  eq(b.original, a.original, 'same entry from the reply tuple');
  await callFails(c.hal.getConntrack({ tuple: tuple(IP.epA, IP.remote, 17, 5354, 53) }), { code: 'NOT_FOUND', reason: 'ENTRY_NOT_FOUND' }, 'Get of an unknown tuple');
});

test('ct.list-filter', '§12: List filters by protocol and address (either address of either tuple); limit caps the result', CT, async (c) => {
  await topology(c);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.send(c.H0, { src: IP.epA, dst: IP.remote2, proto: 'tcp', sport: 1001, dport: 443 });
  await c.send(c.H1, { src: IP.epB, dst: IP.remote2, sport: 1002, dport: 53 });
  eq((await c.hal.listConntrack({ filter: { protocol: 17 } })).length, 2, 'protocol 17');
  eq((await c.hal.listConntrack({ filter: { address: IP.remote2 } as never })).length, 2, `address ${IP.remote2}`);
  eq((await c.hal.listConntrack({ filter: { protocol: 6, address: IP.epA } as never })).length, 1, 'protocol 6 AND address');
  eq((await c.hal.listConntrack({ limit: 2 })).length, 2, 'limit 2');
});

test('ct.delete', '§12: Delete removes the matching entries and says how many; an empty filter flushes', CT, async (c) => {
  await topology(c);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, proto: 'tcp', sport: 1001, dport: 443 });
  eq(Number((await c.hal.deleteConntrack({ filter: { protocol: 17 } })).deleted), 1, 'deleted by protocol');
  eq((await c.hal.listConntrack({})).map((e) => e.original?.protocol), [6], 'remaining');
  eq(Number((await c.hal.deleteConntrack({ filter: {} })).deleted), 1, 'flushed');
  eq(await c.hal.listConntrack({}), [], 'after flush');
});

test('ct.not-state', '§12, §9.1: conntrack learning and deletion move neither the generation nor the digest', CT, async (c) => {
  await topology(c);
  const before = await c.hal.getState();
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await flush(c);
  const after = await c.hal.getState();
  eq([after.generation, after.digest], [before.generation, before.digest], 'generation and digest');
});

test('ct.icmp-tuple', '§12: an ICMP echo entry carries the identifier in srcPort and 0 in dstPort', CT, async (c) => {
  await topology(c);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, proto: 'icmp', icmpId: 4242 });
  const [e] = await c.hal.listConntrack({ filter: { protocol: 1 } });
  check(e, 'no ICMP entry');
  eq([e.original?.srcPort, e.original?.dstPort ?? 0], [4242, 0], 'ICMP tuple ports');
});

test('ct.tcp-states', '§12: the TCP state follows the handshake: SYN_SENT, SYN_RECV, ESTABLISHED', CT, async (c) => {
  await topology(c);
  const state = async () => (await c.hal.listConntrack({ filter: { protocol: 6 } }))[0]?.tcpState;
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, proto: 'tcp', sport: 33000, dport: 443, flags: 'S' });
  eq(await state(), 'TCP_SYN_SENT', 'after SYN');
  await c.send(c.U0, { src: IP.remote, dst: IP.epA, proto: 'tcp', sport: 443, dport: 33000, flags: 'SA' });
  eq(await state(), 'TCP_SYN_RECV', 'after SYN-ACK');
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, proto: 'tcp', sport: 33000, dport: 443, flags: 'A' });
  eq(await state(), 'TCP_ESTABLISHED', 'after ACK');
});

test('ct.udp-timeout', '§12: an unreplied UDP entry expires after the default 30 s of idle time (virtual time)', [...CT, virtualTime], async (c) => {
  await topology(c);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.hal.advance(29 * S);
  eq((await c.hal.listConntrack({})).length, 1, 'entries after 29 s');
  await c.hal.advance(2 * S);
  eq((await c.hal.listConntrack({})).length, 0, 'entries after 31 s');
});

test('ct.udp-replied-timeout', '§12: a replied UDP entry lives for udpReplied (120 s), not udpUnreplied', [...CT, virtualTime], async (c) => {
  await topology(c);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.send(c.U0, { src: IP.remote, dst: IP.epA, sport: 53, dport: 1000 });
  await c.hal.advance(100 * S);
  eq((await c.hal.listConntrack({})).length, 1, 'entries after 100 s');
  await c.hal.advance(21 * S);
  eq((await c.hal.listConntrack({})).length, 0, 'entries after 121 s');
});

test('ct.idle-refresh', '§12: traffic refreshes an entry: expiry counts idle time, not age', [...CT, virtualTime], async (c) => {
  await topology(c);
  const f = { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 };
  await c.send(c.H0, f);
  await c.hal.advance(20 * S);
  await c.send(c.H0, f);
  await c.hal.advance(20 * S);
  eq((await c.hal.listConntrack({})).length, 1, 'entries 40 s after start, 20 s idle');
});

test('ct.zone-timeouts', '§12: a zone\'s TimeoutProfile overrides the default (udpUnreplied 5 s)', [...CT, virtualTime, ctTimeouts, table('ct_zone')], async (c) => {
  await topology(c);
  await c.write([mod({ ctZone: { timeouts: { udpUnreplied: 5 } } })]);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.hal.advance(4 * S);
  eq((await c.hal.listConntrack({})).length, 1, 'entries after 4 s');
  await c.hal.advance(2 * S);
  eq((await c.hal.listConntrack({})).length, 0, 'entries after 6 s');
});

test('ct.zone-of-port', '§12: the ingress port\'s ctZone selects the zone of the connection', [...CT, table('ct_zone'), table('port')], async (c) => {
  await topology(c);
  await c.write([{ type: 'INSERT', entry: { ctZone: { zone: 5 } } }, mod({ port: { id: c.H0, adminUp: true, ctZone: 5 } })]);
  await c.send(c.H0, { src: IP.epA, dst: IP.remote, sport: 1000, dport: 53 });
  await c.send(c.H1, { src: IP.epB, dst: IP.remote, sport: 1000, dport: 53 });
  eq((await c.hal.listConntrack({ filter: { zone: 5 } })).map((e) => e.original?.srcIp), [IP.epA], 'zone 5');
  eq((await c.hal.listConntrack({ filter: { zone: 0 } })).map((e) => e.original?.srcIp), [IP.epB], 'zone 0');
});

test('ct.zone-full', '§12 [D]: a full zone drops new connections (counted); existing ones keep flowing', [...CT, table('ct_zone')], async (c) => {
  await topology(c);
  await c.write([mod({ ctZone: { maxEntries: 2 } })]);
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote, sport: 1, dport: 53 }, c.U0, MAC.r0, 'first');
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote, sport: 2, dport: 53 }, c.U0, MAC.r0, 'second');
  await c.expectDropped(c.H0, { src: IP.epA, dst: IP.remote, sport: 3, dport: 53 }, 'third (zone full)');
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote, sport: 1, dport: 53 }, c.U0, MAC.r0, 'first again');
});

// ------------------------------------------------------------------ service load balancing

test('lb.dnat', '§2 stage 4: a packet to a service VIP is DNATed to a backend (address and port) with exact bytes', LB, async (c) => {
  await service(c, BACKENDS.map((ip) => member(ip)));
  await dnat(c, toVip(40000));
});

test('lb.reply-reverse', '§2 stage 7: the backend\'s reply is reverse-translated: source back to VIP:port', LBCT, async (c) => {
  await service(c, BACKENDS.map((ip) => member(ip)));
  const b = await dnat(c, toVip(40000));
  const reply: Flow = { src: b, dst: IP.remote, proto: 'tcp', sport: 8080, dport: 40000, flags: 'SA' };
  await c.forwardsFrame(c.U1, c.frameIn(c.U1, reply), c.U0, flowFrame({ ...reply, src: VIP, sport: 80 }, c.mac(c.U0), MAC.r0, c.hop(64)), 'reply');
});

test('lb.conntrack-dnat', '§12: the service connection\'s entry has dnat set and the backend as reply source', LBCT, async (c) => {
  await service(c, BACKENDS.map((ip) => member(ip)));
  const b = await dnat(c, toVip(40000));
  const [e] = await c.hal.listConntrack({ filter: { replySrcIp: b } as never });
  check(e, `no entry with replySrcIp ${b}`);
  eq(e.original, tuple(IP.remote, VIP, 6, 40000, 80), 'original');
  eq(e.reply, tuple(b, IP.remote, 6, 8080, 40000), 'reply');
  check(e.dnat === true, 'dnat flag');
});

test('lb.sticky-connection', '§2 member choice: an established connection keeps its member when the group changes', LBCT, async (c) => {
  await service(c, BACKENDS.slice(0, 2).map((ip) => member(ip)));
  const b = await dnat(c, toVip(40000), 'SYN');
  await c.write([mod({ backendGroup: { id: 'bg', members: [member(b), member(BACKENDS[2], { weight: 1000 })] } })]);
  // Retransmitted SYNs belong to the connection (an ACK before the SYN-ACK would be INVALID, §2).
  for (let i = 0; i < 4; i++) eq(await dnat(c, toVip(40000), `packet ${i}`), b, `packet ${i} backend`);
});

test('lb.spread', '§2 member choice: new connections spread over active members by a hash of the 5-tuple', LB, async (c) => {
  await service(c, BACKENDS.map((ip) => member(ip)));
  const seen = new Set<string>();
  for (let i = 0; i < 30; i++) seen.add(await dnat(c, toVip(41000 + i), `flow ${i}`));
  eq(seen.size, 3, 'backends used by 30 flows');
});

test('lb.consistent', '§2 member choice: removing a member moves only the flows it had', LBCT, async (c) => {
  await service(c, BACKENDS.map((ip) => member(ip)));
  const before: string[] = [];
  for (let i = 0; i < 24; i++) before.push(await dnat(c, toVip(42000 + i), `flow ${i}`));
  await flush(c);
  await c.write([mod({ backendGroup: { id: 'bg', members: BACKENDS.slice(0, 2).map((ip) => member(ip)) } })]);
  for (let i = 0; i < 24; i++) {
    const now = await dnat(c, toVip(42000 + i), `flow ${i} again`);
    if (before[i] !== BACKENDS[2]) eq(now, before[i], `flow ${i} (its member stayed)`);
  }
});

test('lb.terminating-fallback', '§2 member choice: a TERMINATING member is chosen only when no member is active', LB, async (c) => {
  await service(c, [member(BACKENDS[0], { state: 'MEMBER_TERMINATING' }), member(BACKENDS[1])]);
  for (let i = 0; i < 12; i++) eq(await dnat(c, toVip(43000 + i), `flow ${i}`), BACKENDS[1], `flow ${i} with one active member`);
  await c.write([mod({ backendGroup: { id: 'bg', members: [member(BACKENDS[0], { state: 'MEMBER_TERMINATING' })] } })]);
  eq(await dnat(c, toVip(43100)), BACKENDS[0], 'only terminating members left');
});

test('lb.terminating-keeps-connections', '§3.2 MemberState: existing connections keep a member that becomes TERMINATING', LBCT, async (c) => {
  await service(c, [member(BACKENDS[0]), member(BACKENDS[1])]);
  const b = await dnat(c, toVip(40000), 'SYN');
  await c.write([mod({ backendGroup: { id: 'bg', members: [member(BACKENDS[0], { state: b === BACKENDS[0] ? 'MEMBER_TERMINATING' : 'MEMBER_ACTIVE' }), member(BACKENDS[1], { state: b === BACKENDS[1] ? 'MEMBER_TERMINATING' : 'MEMBER_ACTIVE' })] } })]);
  eq(await dnat(c, toVip(40000), 'retransmitted SYN'), b, 'established connection');
});

test('lb.weights', '§2: backend weights are honoured (weight 0 means 1)', LB, async (c) => {
  await service(c, [member(BACKENDS[0], { weight: 9 }), member(BACKENDS[1])]);
  let heavy = 0;
  for (let i = 0; i < 100; i++) if ((await dnat(c, toVip(44000 + i), `flow ${i}`)) === BACKENDS[0]) heavy++;
  check(heavy >= 75 && heavy <= 99, `weight 9 of 10 should carry ~90 of 100 flows, carried ${heavy}`);
});

test('lb.udp', '§2 stage 4: a UDP service DNATs UDP datagrams', LB, async (c) => {
  await topology(c);
  await c.insert({ route: { prefix: '10.1.0.0/24', nexthopId: 'nh-u1' } }, { backendGroup: { id: 'bg', members: [{ ip: BACKENDS[0], port: 5353 }] } }, { service: { vip: VIP, protocol: 17, port: 53, balance: { backendGroupId: 'bg' } } });
  eq(await dnat(c, { src: IP.remote, dst: VIP, sport: 1000, dport: 53 }, 'UDP to the VIP', 5353), BACKENDS[0], 'backend');
});

test('lb.port-mismatch', '§3.2 service: the key includes the port: another port of the VIP is not load-balanced', LB, async (c) => {
  await service(c, [member(BACKENDS[0])]);
  await c.insert({ route: { prefix: `${VIP}/32`, nexthopId: 'nh-u1' } });
  await c.expectForwarded(c.U0, toVip(40000, { dport: 81 }), c.U1, MAC.r1, 'VIP:81 routed, not translated');
});

test('lb.from-pod', '§2: a pod reaching a service is DNATed too (host-to-service)', LB, async (c) => {
  await service(c, [member(BACKENDS[0])]);
  const f: Flow = { src: IP.epA, dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S' };
  const { port, frame } = await c.emitsOne(c.H0, f);
  eq(port, c.U1, 'egress');
  eq(hex(frame), hex(flowFrame({ ...f, dst: BACKENDS[0], dport: 8080 }, c.mac(c.U1), MAC.r1, c.hop(64))), 'frame');
});

// ------------------------------------------------------------------ affinity

const AFF = [...LBCT, feature('SERVICE_AFFINITY'), virtualTime];
const clients = Array.from({ length: 12 }, (_, i) => `198.51.100.${20 + i}`);

test('affinity.holds', '§2 member choice: with affinityTimeoutS, a client IP keeps its backend across new connections', AFF, async (c) => {
  await service(c, BACKENDS.map((ip) => member(ip)), { affinityTimeoutS: 60 });
  for (const cl of clients) {
    const first = await dnat(c, { ...toVip(1000), src: cl }, `${cl} first`);
    await c.hal.advance(10 * S);
    eq(await dnat(c, { ...toVip(2000), src: cl }, `${cl} second`), first, `${cl}: second connection within the timeout`);
  }
});

test('affinity.expires', '§2 member choice: after affinityTimeoutS, a client\'s new connection is hashed again', AFF, async (c) => {
  await service(c, BACKENDS.map((ip) => member(ip)), { affinityTimeoutS: 10 });
  let moved = 0;
  for (const cl of clients) {
    const first = await dnat(c, { ...toVip(1000), src: cl }, `${cl} first`);
    await c.hal.advance(11 * S);
    await flush(c);
    const second = await dnat(c, { ...toVip(2000 + clients.indexOf(cl) * 7), src: cl }, `${cl} after expiry`);
    if (second !== first) moved++;
  }
  check(moved > 0, 'no client changed backend after its affinity expired (12 clients, 3 backends)');
});

// ------------------------------------------------------------------ empty groups, reject, drop, source ranges

async function expectRst(c: Ctx, inPort: string, f: Flow, what: string): Promise<void> {
  const r = await c.send(inPort, f);
  eq(r.disposition, 'REJECTED', `${what}: disposition`);
  check(r.dropReason, `${what}: rejected packets name a drop reason (§14.1)`);
  const p = parseFrame(r.emitted?.[0]?.frame ?? new Uint8Array());
  eq(r.emitted?.map((e) => e.portId), [inPort], `${what}: the answer leaves by the ingress port`);
  check(p?.l4, `${what}: the answer is not a TCP packet`);
  check(((p.l4.tcpFlags ?? 0) & TCP_RST) !== 0, `${what}: RST flag`);
  eq([p.ip!.src, p.ip!.dst, p.l4.srcPort, p.l4.dstPort], [f.dst, f.src, f.dport, f.sport], `${what}: RST addresses`);
  check(p.ip!.headerChecksumOk && p.l4.checksumOk, `${what}: checksums`);
  await c.hal.capture({});
}

async function expectPortUnreachable(c: Ctx, inPort: string, f: Flow, what: string): Promise<ParsedFrame> {
  const r = await c.send(inPort, f);
  eq(r.disposition, 'REJECTED', `${what}: disposition`);
  const p = parseFrame(r.emitted?.[0]?.frame ?? new Uint8Array());
  check(p?.l4, `${what}: no ICMP answer`);
  eq([p.ip!.dst, p.l4.proto, p.l4.icmpType, p.l4.icmpCode], [f.src, 1, 3, 3], `${what}: ICMP port unreachable`);
  check(p.l4.checksumOk, `${what}: checksum`);
  await c.hal.capture({});
  return p;
}

test('empty.reject-tcp', '§2: a balance service with no members rejects TCP with a RST by default (WHEN_EMPTY_REJECT)', [...LB, feature('SERVICE_REJECT_EMPTY')], async (c) => {
  await service(c, []);
  await expectRst(c, c.U0, toVip(40000), 'SYN to an empty service');
});

test('empty.reject-udp', '§2: an empty UDP service answers ICMP port unreachable', [...LB, feature('SERVICE_REJECT_EMPTY')], async (c) => {
  await topology(c);
  await c.insert({ backendGroup: { id: 'bg', members: [] } }, { service: { vip: VIP, protocol: 17, port: 53, balance: { backendGroupId: 'bg' } } });
  await expectPortUnreachable(c, c.U0, { src: IP.remote, dst: VIP, sport: 1000, dport: 53 }, 'UDP to an empty service');
});

test('empty.only-terminating-not-empty', '§2: a group whose members are all TERMINATING is not empty', [...LB, feature('SERVICE_REJECT_EMPTY')], async (c) => {
  await service(c, [member(BACKENDS[0], { state: 'MEMBER_TERMINATING' })]);
  eq(await dnat(c, toVip(40000)), BACKENDS[0], 'backend');
});

test('empty.drop', '§3.2 BalanceAction: whenEmpty WHEN_EMPTY_DROP drops silently (counted)', LB, async (c) => {
  await service(c, [], { whenEmpty: 'WHEN_EMPTY_DROP' });
  await c.expectDropped(c.U0, toVip(40000), 'empty service with WHEN_EMPTY_DROP');
});

test('service.reject-action', '§3.2 service: the reject action answers a TCP RST', LB, async (c) => {
  await topology(c);
  await c.insert({ service: { vip: VIP, protocol: 6, port: 80, reject: {} } });
  await expectRst(c, c.U0, toVip(40000), 'SYN to a rejecting service');
});

test('service.drop-action', '§3.2 service: the drop action discards (counted)', LB, async (c) => {
  await topology(c);
  await c.insert({ service: { vip: VIP, protocol: 6, port: 80, drop: {} } });
  await c.expectDropped(c.U0, toVip(40000), 'dropping service');
});

const SRC = [...LB, feature('SERVICE_SOURCE_RANGES'), applied('service_source')];
const srcEntry = (source: string, action: 'allow' | 'drop'): Entry => ({ serviceSource: { vip: VIP, protocol: 6, port: 80, source, [action]: {} } });

test('source.allowed', '§2 source ranges: a source whose longest match is allow is balanced', SRC, async (c) => {
  await service(c, [member(BACKENDS[0])]);
  await c.insert(srcEntry('198.51.100.0/24', 'allow'));
  eq(await dnat(c, toVip(40000)), BACKENDS[0], 'backend');
});

test('source.unmatched', '§2 source ranges: a source no entry matches is dropped (counted)', SRC, async (c) => {
  await service(c, [member(BACKENDS[0])]);
  await c.insert(srcEntry('203.0.113.0/24', 'allow'));
  await c.expectDropped(c.U0, toVip(40000), 'unlisted source');
});

test('source.longest-drop', '§2 source ranges: the longest matching entry decides: a drop inside an allow drops', SRC, async (c) => {
  await service(c, [member(BACKENDS[0])]);
  await c.insert(srcEntry('198.51.100.0/24', 'allow'), srcEntry('198.51.100.0/29', 'drop'));
  await c.expectDropped(c.U0, toVip(40000), '198.51.100.7 inside the /29 drop');
  eq(await dnat(c, { ...toVip(40001), src: '198.51.100.9' }), BACKENDS[0], '198.51.100.9 outside the /29');
});

test('source.other-service', '§2 source ranges: entries for one service key do not restrict another', SRC, async (c) => {
  await service(c, [member(BACKENDS[0])]);
  await c.insert({ serviceSource: { vip: VIP, protocol: 6, port: 443, source: '203.0.113.0/24', allow: {} } });
  eq(await dnat(c, toVip(40000)), BACKENDS[0], 'VIP:80 unrestricted');
});

// ------------------------------------------------------------------ policy after DNAT

const POL = [...LB, feature('ACL'), applied('acl')];

async function podService(c: Ctx): Promise<void> {
  await topology(c);
  await c.insert({ backendGroup: { id: 'bg', members: [{ ip: IP.epA, port: 8080 }] } }, { service: { vip: VIP, protocol: 6, port: 80, balance: { backendGroupId: 'bg' } } });
}

test('policy.after-dnat-deny', '§2 stage 5: policy sees the packet after DNAT: a deny on the backend port blocks service traffic', POL, async (c) => {
  await podService(c);
  await c.insert({ acl: { stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 8080, hi: 8080 }, priority: 10, action: 'ACL_DENY' } });
  await c.expectDropped(c.U0, toVip(40000), 'service traffic to a denied backend port');
});

test('policy.after-dnat-allow', '§2 stage 5: a deny on the service port does not apply to the translated packet', POL, async (c) => {
  await podService(c);
  await c.insert({ acl: { stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 80, hi: 80 }, priority: 10, action: 'ACL_DENY' } });
  const f = toVip(40000);
  await c.forwardsFrame(c.U0, c.frameIn(c.U0, f), c.H0, flowFrame({ ...f, dst: IP.epA, dport: 8080 }, c.mac(c.H0), MAC.epA, c.hop(64)), 'service traffic');
});

test('policy.isolated-backend', '§2 stage 5: an isolated backend receives service traffic only if an ACL allows the translated flow', [...POL, feature('ACL_DEFAULT_DENY')], async (c) => {
  await podService(c);
  await c.write([mod({ endpoint: { ip: IP.epA, portId: c.H0, mac: MAC.epA, endpointId: 'ep-a', isolatedIngress: true } })]);
  await c.expectDropped(c.U0, toVip(40000), 'isolated backend, no allow');
  await c.insert({ acl: { stage: 'ACL_INGRESS', endpointId: 'ep-a', protocol: 6, dstPorts: { lo: 8080, hi: 8080 }, priority: 10 } });
  const f = toVip(40001);
  await c.forwardsFrame(c.U0, c.frameIn(c.U0, f), c.H0, flowFrame({ ...f, dst: IP.epA, dport: 8080 }, c.mac(c.H0), MAC.epA, c.hop(64)), 'allowed on 8080');
});

// ------------------------------------------------------------------ balance values a device cannot honour

const SVC_TABLES = [applied('service'), applied('backend_group')];
const webGroup = { backendGroup: { id: 'bg-v', members: [{ ip: '10.1.0.1', port: 8080 }] } };
const svcWith = (balance: object): Entry => ({ service: { vip: VIP, protocol: 6, port: 80, balance: { backendGroupId: 'bg-v', ...balance } } }) as Entry;

test('values.affinity-undeclared', '§5.4 step 4 [D]: affinityTimeoutS without feature SERVICE_AFFINITY is UNIMPLEMENTED/FEATURE_UNSUPPORTED, not stored and ignored', [...SVC_TABLES, lacksFeature('SERVICE_AFFINITY')], async (c) => {
  await c.insert(webGroup as Entry);
  await c.rejected({ type: 'INSERT', entry: svcWith({ affinityTimeoutS: 30 }) }, { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.service.balance.affinityTimeoutS' });
});

test('values.masquerade-undeclared', '§5.4 step 4 [D]: snatMode SNAT_MASQUERADE without feature SNAT is UNIMPLEMENTED/FEATURE_UNSUPPORTED', [...SVC_TABLES, lacksFeature('SNAT')], async (c) => {
  await c.insert(webGroup as Entry);
  await c.rejected({ type: 'INSERT', entry: svcWith({ snatMode: 'SNAT_MASQUERADE' }) }, { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.service.balance.snatMode' });
});

test('values.hairpin-undeclared', '§5.4 step 4 [D]: snatMode SNAT_HAIRPIN without feature HAIRPIN is UNIMPLEMENTED/FEATURE_UNSUPPORTED', [...SVC_TABLES, lacksFeature('HAIRPIN')], async (c) => {
  await c.insert(webGroup as Entry);
  await c.rejected({ type: 'INSERT', entry: svcWith({ snatMode: 'SNAT_HAIRPIN' }) }, { code: 'UNIMPLEMENTED', reason: 'FEATURE_UNSUPPORTED', fieldPath: 'updates[0].entry.service.balance.snatMode' });
});

// ------------------------------------------------------------------ SNAT, masquerade, hairpin

const NAT = [...CT, feature('SNAT'), applied('snat')];

async function outbound(c: Ctx, f: Flow): Promise<ParsedFrame> {
  const { port, frame } = await c.emitsOne(c.H0, f, 'outbound');
  eq(port, c.U0, 'egress');
  const p = parseFrame(frame);
  check(p?.ip && p.l4, 'not an IP packet');
  check(p.ip.headerChecksumOk && p.l4.checksumOk, 'checksums after SNAT');
  return p;
}

test('snat.masquerade', '§2 stage 7: masquerade rewrites the source to its ip and a port in its range; checksums right', NAT, async (c) => {
  await topology(c);
  await c.insert({ snat: { srcPrefix: '10.0.0.0/24', priority: 10, masquerade: { ip: '203.0.113.1', ports: { lo: 20000, hi: 20099 } } } });
  const p = await outbound(c, { src: IP.epA, dst: IP.remote, proto: 'tcp', sport: 33000, dport: 443 });
  eq(p.ip!.src, '203.0.113.1', 'source address');
  check(p.l4!.srcPort! >= 20000 && p.l4!.srcPort! <= 20099, `source port ${p.l4!.srcPort} outside 20000..20099`);
  eq([p.ip!.dst, p.l4!.dstPort, p.ip!.ttl], [IP.remote, 443, c.hop(64)], 'destination and TTL');
});

test('snat.reply', '§2 stage 7: replies to a masqueraded connection are reverse-translated to the endpoint', [...NAT, ...CT], async (c) => {
  await topology(c);
  await c.insert({ snat: { srcPrefix: '10.0.0.0/24', priority: 10, masquerade: { ip: '203.0.113.1', ports: { lo: 20000, hi: 20099 } } } });
  const f: Flow = { src: IP.epA, dst: IP.remote, proto: 'tcp', sport: 33000, dport: 443, flags: 'S' };
  const p = await outbound(c, f);
  const reply: Flow = { src: IP.remote, dst: '203.0.113.1', proto: 'tcp', sport: 443, dport: p.l4!.srcPort!, flags: 'SA' };
  await c.forwardsFrame(c.U0, c.frameIn(c.U0, reply), c.H0, flowFrame({ ...reply, dst: IP.epA, dport: 33000 }, c.mac(c.H0), MAC.epA, c.hop(64)), 'reply');
  const [e] = await c.hal.listConntrack({ filter: { protocol: 6 } });
  check(e?.snat === true, `conntrack snat flag: ${show(e)}`);
});

test('snat.related-error', '§2 conntrack states: an ICMP error about a masqueraded packet reaches the endpoint quoting the packet it sent', NAT, async (c) => {
  await topology(c);
  await c.insert({ snat: { srcPrefix: '10.0.0.0/24', priority: 10, masquerade: { ip: '203.0.113.1', ports: { lo: 20000, hi: 20099 } } } });
  const f: Flow = { src: IP.epA, dst: IP.remote, proto: 'udp', sport: 5000, dport: 53 };
  const { frame } = await c.emitsOne(c.H0, f, 'outbound');
  const left = frame.subarray(14);
  // Port unreachable from the remote host, quoting the masqueraded packet whole.
  const err: Flow = { src: IP.remote, dst: '203.0.113.1', proto: 'icmp', icmpType: 3, icmpCode: 3, icmpId: 0, icmpSeq: 0, payload: left };
  const expected: Flow = { ...err, dst: IP.epA, payload: flowPacket(f, c.hop(64)) };
  await c.forwardsFrame(c.U0, c.frameIn(c.U0, err), c.H0, flowFrame(expected, c.mac(c.H0), MAC.epA, c.hop(64)), 'ICMP error, quote translated back');
});

test('snat.distinct-ports', '§2 stage 7: two connections masqueraded to one ip get distinct source ports', NAT, async (c) => {
  await topology(c);
  await c.insert({ snat: { srcPrefix: '10.0.0.0/24', priority: 10, masquerade: { ip: '203.0.113.1' } } });
  const a = await outbound(c, { src: IP.epA, dst: IP.remote, proto: 'udp', sport: 5000, dport: 53 });
  const b = await c.emitsOne(c.H1, { src: IP.epB, dst: IP.remote, proto: 'udp', sport: 5000, dport: 53 });
  const pb = parseFrame(b.frame)!;
  eq([a.ip!.src, pb.ip!.src], ['203.0.113.1', '203.0.113.1'], 'sources');
  check(a.l4!.srcPort !== pb.l4!.srcPort, `both connections got source port ${a.l4!.srcPort}`);
});

test('snat.none-excludes', '§3.2 snat: none keeps matched traffic out of lower-priority entries', NAT, async (c) => {
  await topology(c);
  await c.insert({ snat: { srcPrefix: '10.0.0.0/24', priority: 10, masquerade: { ip: '203.0.113.1' } } }, { snat: { srcPrefix: '10.0.0.0/24', dstPrefix: '198.51.100.0/24', priority: 20, none: {} } });
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote }, c.U0, MAC.r0, 'excluded destination: untranslated');
  const p = await outbound(c, { src: IP.epA, dst: '203.0.113.77' });
  eq(p.ip!.src, '203.0.113.1', 'other destinations masqueraded');
});

test('snat.snat-ip', '§3.2 snat: snatIp rewrites the source address and keeps the port', NAT, async (c) => {
  await topology(c);
  await c.insert({ snat: { srcPrefix: '10.0.0.0/24', priority: 10, snatIp: '203.0.113.2' } });
  const f: Flow = { src: IP.epA, dst: IP.remote, sport: 5000, dport: 53 };
  const { frame } = await c.emitsOne(c.H0, f);
  eq(hex(frame), hex(flowFrame({ ...f, src: '203.0.113.2' }, c.mac(c.U0), MAC.r0, c.hop(64))), 'frame');
});

test('snat.unmatched', '§3.2 snat: traffic no entry matches leaves untranslated', NAT, async (c) => {
  await topology(c);
  await c.insert({ snat: { srcPrefix: '10.9.0.0/16', priority: 10, masquerade: { ip: '203.0.113.1' } } });
  await c.expectForwarded(c.H0, { src: IP.epA, dst: IP.remote }, c.U0, MAC.r0);
});

test('lb.masquerade', '§3.2 BalanceAction: SNAT_MASQUERADE makes the backend see snatIp as the source; the reply is translated back', [...LBCT, feature('SNAT')], async (c) => {
  await service(c, [member(BACKENDS[0])], { snatMode: 'SNAT_MASQUERADE', snatIp: '10.1.0.254' });
  const f = toVip(40000);
  const { frame } = await c.emitsOne(c.U0, f);
  const p = parseFrame(frame)!;
  eq([p.ip?.src, p.ip?.dst, p.l4?.dstPort], ['10.1.0.254', BACKENDS[0], 8080], 'masqueraded, DNATed packet');
  check(p.ip!.headerChecksumOk && p.l4!.checksumOk, 'checksums');
  const reply: Flow = { src: BACKENDS[0], dst: '10.1.0.254', proto: 'tcp', sport: 8080, dport: p.l4!.srcPort!, flags: 'SA' };
  await c.forwardsFrame(c.U1, c.frameIn(c.U1, reply), c.U0, flowFrame({ ...reply, src: VIP, sport: 80, dst: IP.remote, dport: 40000 }, c.mac(c.U0), MAC.r0, c.hop(64)), 'reply');
});

test('lb.hairpin', '§3.2 SnatMode: SNAT_HAIRPIN rewrites the source when the client is the chosen backend itself', [...LBCT, feature('HAIRPIN')], async (c) => {
  await topology(c);
  await c.insert({ backendGroup: { id: 'bg', members: [{ ip: IP.epA, port: 8080 }] } }, { service: { vip: VIP, protocol: 6, port: 80, balance: { backendGroupId: 'bg', snatMode: 'SNAT_HAIRPIN', snatIp: '10.0.0.254' } } });
  const { port, frame } = await c.emitsOne(c.H0, { src: IP.epA, dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S' }, 'hairpin');
  eq(port, c.H0, 'back to the client\'s own port');
  const p = parseFrame(frame)!;
  eq([p.ip?.src, p.ip?.dst, p.l4?.dstPort, p.dstMac], ['10.0.0.254', IP.epA, 8080, MAC.epA], 'hairpinned packet');
  check(p.ip!.headerChecksumOk && p.l4!.checksumOk, 'checksums');
});

test('lb.hairpin-other-client', '§3.2 SnatMode: SNAT_HAIRPIN leaves other clients\' sources alone', [...LB, feature('HAIRPIN')], async (c) => {
  await topology(c);
  await c.insert({ backendGroup: { id: 'bg', members: [{ ip: IP.epA, port: 8080 }] } }, { service: { vip: VIP, protocol: 6, port: 80, balance: { backendGroupId: 'bg', snatMode: 'SNAT_HAIRPIN', snatIp: '10.0.0.254' } } });
  const f: Flow = { src: IP.epB, dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S' };
  await c.forwardsFrame(c.H1, c.frameIn(c.H1, f), c.H0, flowFrame({ ...f, dst: IP.epA, dport: 8080 }, c.mac(c.H0), MAC.epA, c.hop(64)), 'ep-b to the service');
});

test('ct.list-after-nat', '§12: List by replySrcIp and replySrcPort finds the flows DNATed to a backend (UDP flush use)', LBCT, async (c) => {
  await service(c, [member(BACKENDS[0]), member(BACKENDS[1])]);
  const chosen = new Map<string, number>();
  for (let i = 0; i < 10; i++) {
    const b = await dnat(c, toVip(45000 + i));
    chosen.set(b, (chosen.get(b) ?? 0) + 1);
  }
  for (const [b, n] of chosen) {
    const list: ConntrackEntry[] = await c.hal.listConntrack({ filter: { replySrcIp: b, replySrcPort: 8080 } as never });
    eq(list.length, n, `entries DNATed to ${b}`);
  }
  if (chosen.size === 0) fail('no flow was balanced');
});
