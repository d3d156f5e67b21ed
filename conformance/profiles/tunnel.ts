// tunnel: VXLAN and Geneve encapsulation (outer headers, VNI, options, entropy
// source port) and termination into a VRF (hal-spec §2 stages 2 and 9, §3.2 tunnel).
import { mod, type Ctx } from '../framework/context.js';
import { profile } from '../framework/define.js';
import { check, eq, fail } from '../framework/expect.js';
import { applied, feature } from '../framework/needs.js';
import { geneveHeader, vxlanHeader, encapFrame, type GeneveOpt } from '../packet/encap.js';
import { flowFrame, flowPacket, hex, type Flow } from '../packet/frame.js';
import { parseFrame, parseTunnel } from '../packet/parse.js';
import { IP, MAC, TOPO, topology } from '../topology.js';

export const { tests, test } = profile('tunnel');

const LOCAL = '192.0.2.1';
const REMOTE = '192.0.2.2';
const ENCAP = (f: 'VXLAN_ENCAP' | 'GENEVE_ENCAP') => [...TOPO, feature('IPV4_ROUTING'), feature(f), applied('tunnel')];
const DECAP = (f: 'VXLAN_DECAP' | 'GENEVE_DECAP') => [...TOPO, feature('IPV4_ROUTING'), feature(f), applied('tunnel_term')];

/** Tunnel t1 (underlay nh-u1 → U1 via r1) and route 203.0.113.0/24 through it. */
async function encapSetup(c: Ctx, tunnel: Record<string, unknown>): Promise<void> {
  await topology(c);
  await c.insert({ tunnel: { id: 't1', type: 'VXLAN', localIp: LOCAL, remoteIp: REMOTE, vni: 5000, underlayNexthopId: 'nh-u1', ...tunnel } }, { nexthop: { id: 'nh-t1', tunnelId: 't1' } }, { route: { prefix: '203.0.113.0/24', nexthopId: 'nh-t1' } });
}

const inner = (i = 0): Flow => ({ src: IP.epA, dst: '203.0.113.9', proto: 'udp', sport: 30000 + i, dport: 4000, payload: 'tunnelled' });

interface Encapped {
  sport: number;
  vni: number;
  options: GeneveOpt[];
}

/** Sends `f` into the tunnel and checks the outer headers and the inner packet; returns what varies. */
async function expectEncap(c: Ctx, f: Flow, kind: 'vxlan' | 'geneve', want: { dport: number; ttl: number; remote?: string }): Promise<Encapped> {
  const { port, frame } = await c.emitsOne(c.H0, f, 'tunnelled packet');
  eq(port, c.U1, 'egress port (the underlay next hop)');
  const p = parseFrame(frame);
  check(p?.ip && p.l4, 'the encapsulated frame is not IP/UDP');
  eq([p.srcMac, p.dstMac], [c.mac(c.U1), MAC.r1], 'outer MACs (underlay port, underlay neighbor)');
  eq([p.ip.src, p.ip.dst, p.ip.proto, p.ip.ttl], [LOCAL, want.remote ?? REMOTE, 17, want.ttl], 'outer IP source, destination, protocol, TTL');
  check(p.ip.headerChecksumOk, 'outer IPv4 header checksum');
  check(p.l4.checksumOk, 'outer UDP checksum (valid or zero)');
  eq(p.l4.dstPort, want.dport, 'outer UDP destination port');
  const t = parseTunnel(p.l4.payload, kind);
  check(t, `no ${kind} header`);
  const inFrame = parseFrame(t.inner);
  check(inFrame?.ip && inFrame.l4, 'the inner frame is not IP');
  const sent = flowPacket(f);
  const got = t.inner.subarray(14, 14 + sent.length);
  // The inner packet is the original, one routed hop later (TTL may or may not drop by one; the spec leaves it to routing).
  const candidates = [flowPacket(f, f.ttl ?? 64), flowPacket(f, (f.ttl ?? 64) - 1)].map(hex);
  check(candidates.includes(hex(got)), `inner IP packet ${hex(got)} is not the original (${candidates[0]})`);
  return { sport: p.l4.srcPort!, vni: t.vni, options: t.options };
}

test('vxlan.encap', '§2 stage 9: VXLAN encapsulation: outer headers from the tunnel, UDP 4789, VNI, TTL 64, the inner packet intact', ENCAP('VXLAN_ENCAP'), async (c) => {
  await encapSetup(c, {});
  const e = await expectEncap(c, inner(), 'vxlan', { dport: 4789, ttl: 64 });
  eq(e.vni, 5000, 'VNI');
});

test('vxlan.udp-port-ttl', '§3.2 tunnel: udpDstPort and ttl override the defaults', ENCAP('VXLAN_ENCAP'), async (c) => {
  await encapSetup(c, { udpDstPort: 8472, ttl: 7 });
  await expectEncap(c, inner(), 'vxlan', { dport: 8472, ttl: 7 });
});

test('vxlan.entropy', '§2 stage 9: the outer source port is a hash of the inner flow: stable per flow, varied across flows', ENCAP('VXLAN_ENCAP'), async (c) => {
  await encapSetup(c, {});
  const ports = new Set<number>();
  for (let i = 0; i < 16; i++) {
    const a = await expectEncap(c, inner(i), 'vxlan', { dport: 4789, ttl: 64 });
    const b = await expectEncap(c, inner(i), 'vxlan', { dport: 4789, ttl: 64 });
    eq(b.sport, a.sport, `flow ${i}: outer source port repeatable`);
    ports.add(a.sport);
  }
  check(ports.size >= 4, `16 flows used ${ports.size} outer source port(s)`);
});

test('vxlan.modify-remote', '§5.1: MODIFY of a tunnel changes the outer destination of packets already routed to it', ENCAP('VXLAN_ENCAP'), async (c) => {
  await encapSetup(c, {});
  await c.write([mod({ tunnel: { id: 't1', type: 'VXLAN', localIp: LOCAL, remoteIp: '192.0.2.99', vni: 6000, underlayNexthopId: 'nh-u1' } })]);
  const e = await expectEncap(c, inner(), 'vxlan', { dport: 4789, ttl: 64, remote: '192.0.2.99' });
  eq(e.vni, 6000, 'VNI after MODIFY');
});

test('vxlan.underlay-neighbor', '§3.2 tunnel: the outer destination MAC comes from the underlay next hop\'s neighbor', ENCAP('VXLAN_ENCAP'), async (c) => {
  await encapSetup(c, {});
  await c.write([mod({ neighbor: { ip: IP.r1, mac: MAC.fixed } })]);
  const { frame } = await c.emitsOne(c.H0, inner());
  eq(parseFrame(frame)?.dstMac, MAC.fixed, 'outer destination MAC');
});

test('vxlan.ecmp-underlay', '§3.2: a tunnel next hop is usable as an ECMP member', [...ENCAP('VXLAN_ENCAP'), feature('ECMP'), applied('ecmp_group')], async (c) => {
  await encapSetup(c, {});
  await c.insert({ ecmpGroup: { id: 'g', members: [{ nexthopId: 'nh-t1' }] } }, { route: { prefix: '203.0.114.0/24', ecmpGroupId: 'g' } });
  await expectEncap(c, { ...inner(), dst: '203.0.114.1' }, 'vxlan', { dport: 4789, ttl: 64 });
});

test('geneve.encap', '§2 stage 9: Geneve encapsulation with options, UDP 6081, VNI', ENCAP('GENEVE_ENCAP'), async (c) => {
  const opts = [{ optionClass: 0x0102, type: 0x01, data: Uint8Array.from([1, 2, 3, 4]) }, { optionClass: 0xffff, type: 0x80, data: new Uint8Array(8).fill(9) }];
  await encapSetup(c, { type: 'GENEVE', vni: 77, geneveOptions: opts });
  const e = await expectEncap(c, inner(), 'geneve', { dport: 6081, ttl: 64 });
  eq(e.vni, 77, 'VNI');
  eq(e.options.map((o) => [o.optionClass, o.type, hex(o.data)]), opts.map((o) => [o.optionClass, o.type, hex(o.data)]), 'Geneve options in order');
});

test('geneve.no-options', '§2 stage 9: Geneve without options has an 8-byte header', ENCAP('GENEVE_ENCAP'), async (c) => {
  await encapSetup(c, { type: 'GENEVE', vni: 78 });
  const e = await expectEncap(c, inner(), 'geneve', { dport: 6081, ttl: 64 });
  eq([e.vni, e.options.length], [78, 0], 'VNI and options');
});

// ------------------------------------------------------------------ termination

function outerTo(c: Ctx, kind: 'vxlan' | 'geneve', vni: number, innerFlow: Flow, opts: { dst?: string; dport?: number } = {}): Uint8Array {
  const innerFrame = flowFrame(innerFlow, '02:77:00:00:00:01', '02:77:00:00:00:02');
  const header = kind === 'vxlan' ? vxlanHeader(vni) : geneveHeader(vni);
  return encapFrame({ srcMac: MAC.r0, dstMac: c.mac(c.U0), src: REMOTE, dst: opts.dst ?? LOCAL, sport: 51000, dport: opts.dport ?? (kind === 'vxlan' ? 4789 : 6081) }, header, innerFrame);
}

/** The terminated inner packet leaves `port` to `mac`, byte-exact up to one routed hop of TTL. */
async function expectDecap(c: Ctx, frame: Uint8Array, innerFlow: Flow, port: string, mac: string): Promise<void> {
  const { port: out, frame: got } = await c.emitsOne(c.U0, frame, 'tunnelled packet');
  eq(out, port, 'egress port of the inner packet');
  const want = [innerFlow.ttl ?? 64, (innerFlow.ttl ?? 64) - 1].map((ttl) => hex(flowFrame(innerFlow, c.mac(port), mac, ttl)));
  if (!want.includes(hex(got))) fail(`inner packet after termination: expected ${want[0]} (or with TTL one less), got ${hex(got)}`);
}

const TERM_INNER: Flow = { src: '10.9.9.9', dst: IP.epA, proto: 'tcp', sport: 1234, dport: 80 };

test('vxlan.decap', '§2 stage 2: a VXLAN packet for a local VTEP and VNI is terminated; the inner packet is delivered', DECAP('VXLAN_DECAP'), async (c) => {
  await topology(c);
  await c.insert({ tunnelTerm: { localIp: LOCAL, vni: 5000, type: 'VXLAN' } });
  await expectDecap(c, outerTo(c, 'vxlan', 5000, TERM_INNER), TERM_INNER, c.H0, MAC.epA);
});

test('vxlan.decap-vrf', '§2 stage 2: the inner packet continues in the tunnel_term entry\'s VRF', DECAP('VXLAN_DECAP'), async (c) => {
  await topology(c);
  await c.insert({ tunnelTerm: { localIp: LOCAL, vni: 5001, type: 'VXLAN', vrf: 7 } }, { endpoint: { vrf: 7, ip: IP.epA, portId: c.H1, mac: MAC.epC, endpointId: 'ep-c' } });
  await expectDecap(c, outerTo(c, 'vxlan', 5001, TERM_INNER), TERM_INNER, c.H1, MAC.epC);
});

test('vxlan.decap-unknown-vni', '§2 stage 2: a VNI without a tunnel_term entry is not terminated', DECAP('VXLAN_DECAP'), async (c) => {
  await topology(c);
  await c.insert({ tunnelTerm: { localIp: LOCAL, vni: 5000, type: 'VXLAN' } });
  const r = await c.inject(c.U0, outerTo(c, 'vxlan', 5999, TERM_INNER));
  await c.hal.capture({});
  check(!(r.emitted ?? []).some((e) => e.portId === c.H0), 'the inner packet of an unknown VNI reached the endpoint');
});

test('vxlan.decap-type-mismatch', '§3.2 tunnel_term: the type is part of the key: a Geneve packet does not match a VXLAN entry', [...DECAP('VXLAN_DECAP'), feature('GENEVE_DECAP')], async (c) => {
  await topology(c);
  await c.insert({ tunnelTerm: { localIp: LOCAL, vni: 5000, type: 'VXLAN' } });
  const r = await c.inject(c.U0, outerTo(c, 'geneve', 5000, TERM_INNER));
  await c.hal.capture({});
  check(!(r.emitted ?? []).some((e) => e.portId === c.H0), 'a Geneve packet was terminated by a VXLAN entry');
});

test('geneve.decap', '§2 stage 2: a Geneve packet for a local VTEP and VNI is terminated', DECAP('GENEVE_DECAP'), async (c) => {
  await topology(c);
  await c.insert({ tunnelTerm: { localIp: LOCAL, vni: 42, type: 'GENEVE' } });
  await expectDecap(c, outerTo(c, 'geneve', 42, TERM_INNER), TERM_INNER, c.H0, MAC.epA);
});

test('vxlan.decap-malformed-inner', '§14.1: a terminated packet whose inner IPv4 checksum is bad is dropped as malformed:', DECAP('VXLAN_DECAP'), async (c) => {
  await topology(c);
  await c.insert({ tunnelTerm: { localIp: LOCAL, vni: 5000, type: 'VXLAN' } });
  const innerFrame = flowFrame(TERM_INNER, '02:77:00:00:00:01', '02:77:00:00:00:02');
  innerFrame[24] ^= 0xff;
  const f = encapFrame({ srcMac: MAC.r0, dstMac: c.mac(c.U0), src: REMOTE, dst: LOCAL, sport: 51000, dport: 4789 }, vxlanHeader(5000), innerFrame);
  await c.expectDropped(c.U0, f, 'bad inner checksum', 'malformed:');
});
