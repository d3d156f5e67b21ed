// intel-ipu: tunnels, IPv6, ACL explicit wildcards and same-key sequences in
// one batch — the P4 entities written, reads and digests against the reference
// driver, and packets byte for byte against the reference driver's.
import { expect } from 'chai';
import { IntelIpuDriver } from '../../../src/drivers/intel-ipu/index.js';
import type { TableEntry as P4Entry } from '../../../src/drivers/intel-ipu/p4rt/messages.js';
import { TABLES } from '../../../src/drivers/intel-ipu/program/program.js';
import { devPki } from '../../../src/drivers/intel-ipu/tls.js';
import { ReferenceDriver } from '../../../src/drivers/reference/index.js';
import type { Atomicity, Hal, TableEntry, Update } from '../../../src/hal/index.js';
import { buildFrame, buildGeneve, buildVxlan, parsePacket, type FrameSpec } from '../../../src/sim/packet/index.js';
import { ip4, refusal, te } from './target-fixtures.js';
import { expectP4 as expectP4Of, p4read as p4entities, type P4Table } from './p4-entities.js';

type E = Record<string, unknown>;
const ins = (table: string, body: E): Update => ({ type: 'INSERT', entry: { [table]: body } as TableEntry });
const mod = (table: string, body: E): Update => ({ type: 'MODIFY', entry: { [table]: body } as TableEntry });
const del = (table: string, body: E): Update => ({ type: 'DELETE', entry: { [table]: body } as TableEntry });

const OPTS = [
  { optionClass: 0x0102, type: 0x01, data: Uint8Array.from([0, 0, 0, 4]) },
  { optionClass: 0xffff, type: 0x80 },
];

/** Dual stack, a VXLAN and a Geneve tunnel over uplink0, termination into VRF 7, ACLs that differ only in explicit wildcards. */
const NETWORK: Update[] = [
  ins('endpoint', { ip: '10.0.0.2', portId: 'host0', mac: '0a:00:00:00:00:02', endpointId: 'ns/a' }),
  ins('endpoint', { ip: 'fd00::2', portId: 'host0', mac: '0a:00:00:00:00:02', endpointId: 'ns/a' }),
  ins('endpoint', { ip: 'fd00::3', portId: 'host1', mac: '0a:00:00:00:00:03', endpointId: 'ns/b', isolatedIngress: true }),
  ins('endpoint', { vrf: 7, ip: '10.0.0.2', portId: 'host2', mac: '0a:00:00:00:00:07', endpointId: 'ns/c' }),
  ins('neighbor', { ip: '192.168.0.1', mac: '0b:00:00:00:00:01' }),
  ins('neighbor', { ip: 'fd00:ff::1', mac: '0b:00:00:00:00:06' }),
  ins('nexthop', { id: 'gw', port: { portId: 'uplink0', ip: '192.168.0.1' } }),
  ins('nexthop', { id: 'gw6', port: { portId: 'uplink0', ip: 'fd00:ff::1' } }),
  ins('nexthop', { id: 'gw6-fixed', port: { portId: 'uplink1', ip: 'fd00:ff::2', dmac: '0b:00:00:00:00:07' } }),
  ins('tunnel', { id: 'vx', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.2', vni: 5000, underlayNexthopId: 'gw' }),
  ins('tunnel', { id: 'gn', type: 'GENEVE', localIp: '192.0.2.1', remoteIp: '192.0.2.3', vni: 77, udpDstPort: 6081, ttl: 9, geneveOptions: OPTS, underlayNexthopId: 'gw' }),
  ins('nexthop', { id: 'nh-vx', tunnelId: 'vx' }),
  ins('nexthop', { id: 'nh-gn', tunnelId: 'gn' }),
  ins('route', { prefix: '203.0.113.0/24', nexthopId: 'nh-vx' }),
  ins('route', { prefix: '198.51.100.0/24', nexthopId: 'nh-gn' }),
  ins('route', { prefix: '2001:db8:1::/48', nexthopId: 'nh-vx' }),
  ins('route', { prefix: '::/0', nexthopId: 'gw6' }),
  ins('route', { prefix: '2001:db8:2::/48', nexthopId: 'gw6-fixed' }),
  ins('tunnelTerm', { localIp: '192.0.2.1', vni: 5001, type: 'VXLAN', vrf: 7 }),
  ins('tunnelTerm', { localIp: '192.0.2.1', type: 'GENEVE' }),
  // Same key but for explicit wildcards: four different ACL entries (hal-spec §3.1).
  ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', priority: 10, action: 'ACL_DENY' }),
  ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', priority: 10, srcPrefix: '0.0.0.0/0' }),
  ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', priority: 10, srcPrefix: '::/0', action: 'ACL_DENY' }),
  ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', priority: 10, protocol: 17 }),
  ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', priority: 10, protocol: 17, dstPorts: { hi: 65535 }, action: 'ACL_DENY' }),
  ins('acl', { stage: 'ACL_INGRESS', endpointId: 'ns/b', priority: 20, srcPrefix: 'fd00::/64', protocol: 6, dstPorts: { lo: 80, hi: 80 } }),
  // A tunnel with IPv6 VTEPs (underlay through the IPv6 gateway), and IPv6 termination.
  ins('tunnel', { id: 'vx6', type: 'VXLAN', localIp: 'fd00:ee::1', remoteIp: 'fd00:ee::2', vni: 600, underlayNexthopId: 'gw6' }),
  ins('nexthop', { id: 'nh-vx6', tunnelId: 'vx6' }),
  ins('route', { prefix: '203.0.114.0/24', nexthopId: 'nh-vx6' }),
  ins('tunnelTerm', { localIp: 'fd00:ee::1', vni: 600, type: 'GENEVE', vrf: 7 }),
];

const TABLE_NAMES = ['port', 'endpoint', 'neighbor', 'nexthop', 'ecmp_group', 'route', 'acl', 'tunnel', 'tunnel_term'];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const routerMac = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;

describe('intel-ipu driver: tunnels and IPv6', () => {
  let hal: IntelIpuDriver;
  let ref: ReferenceDriver;
  beforeEach(async () => {
    hal = await IntelIpuDriver.connect({});
    ref = new ReferenceDriver({});
  });
  afterEach(async () => {
    await hal.close();
  });

  const p4read = (table: P4Table) => p4entities(hal, table);
  const expectP4 = (expected: Parameters<typeof expectP4Of>[1]) => expectP4Of(hal, expected);

  it('writes the P4 entities a hand translation expects (tunnel_encap, nh_tunnel, tunnel_term, IPv6 tables)', async () => {
    await hal.write({ updates: NETWORK });
    const a6 = (text: string) => {
      const groups = text.split('::');
      const head = groups[0] ? groups[0].split(':') : [];
      const tail = groups.length > 1 && groups[1] ? groups[1].split(':') : [];
      const all = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
      return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
    };
    // Pointers from 1 in order of first use: gw=1, gw6=2, gw6-fixed=3, nh-vx=4, nh-gn=5; tunnels vx=1, gn=2.
    const tlvs = 0x0102_01_01_00000004_ffff_80_00n;
    const expected: Partial<Record<keyof typeof TABLES, P4Entry[]>> = {
      tunnel_encap: [
        te('tunnel_encap', { tunnel_ptr: 1 }, 'vxlan_encap', { local_ip: ip4('192.0.2.1'), remote_ip: ip4('192.0.2.2'), udp_dst_port: 4789, vni: 5000, ttl: 64, underlay_nexthop_id: 1 }),
        te('tunnel_encap', { tunnel_ptr: 3 }, 'vxlan_encap_v6', { local_ip: a6('fd00:ee::1'), remote_ip: a6('fd00:ee::2'), udp_dst_port: 4789, vni: 600, ttl: 64, underlay_nexthop_id: 2 }),
        te('tunnel_encap', { tunnel_ptr: 2 }, 'geneve_encap', { local_ip: ip4('192.0.2.1'), remote_ip: ip4('192.0.2.3'), udp_dst_port: 6081, vni: 77, ttl: 9, underlay_nexthop_id: 1, options: tlvs, options_len: 12 }),
      ],
      nexthop: [
        te('nexthop', { nexthop_id: 1 }, 'nh_neighbor', { port: 1, neighbor_ip: ip4('192.168.0.1') }),
        te('nexthop', { nexthop_id: 2 }, 'nh_neighbor_v6', { port: 1, neighbor_ip: a6('fd00:ff::1') }),
        te('nexthop', { nexthop_id: 3 }, 'nh_fixed_mac_v6', { port: 2, dmac: 0x0b0000000007n, neighbor_ip: a6('fd00:ff::2') }),
        te('nexthop', { nexthop_id: 4 }, 'nh_tunnel', { tunnel_ptr: 1 }),
        te('nexthop', { nexthop_id: 5 }, 'nh_tunnel', { tunnel_ptr: 2 }),
        te('nexthop', { nexthop_id: 6 }, 'nh_tunnel', { tunnel_ptr: 3 }),
      ],
      tunnel_term: [te('tunnel_term', { tunnel_type: 1, dst_addr: ip4('192.0.2.1'), vni: 5001 }, 'decap_to_vrf', { vrf: 7 }), te('tunnel_term', { tunnel_type: 2, dst_addr: ip4('192.0.2.1'), vni: 0 }, 'decap_to_vrf', { vrf: 0 })],
      tunnel_term_v6: [te('tunnel_term_v6', { tunnel_type: 2, dst_addr: a6('fd00:ee::1'), vni: 600 }, 'decap_to_vrf', { vrf: 7 })],
      ipv6_to_port: [
        te('ipv6_to_port', { vrf: 0, dst_addr: a6('fd00::2') }, 'to_endpoint', { port: 3, dmac: 0x0a0000000002n, ep_tag: 1 }),
        te('ipv6_to_port', { vrf: 0, dst_addr: a6('fd00::3') }, 'to_endpoint', { port: 4, dmac: 0x0a0000000003n, ep_tag: 2, isolated_ingress: 1 }),
      ],
      neighbor_v6: [te('neighbor_v6', { vrf: 0, ip: a6('fd00:ff::1') }, 'set_neighbor_mac', { dmac: 0x0b0000000006n })],
      ipv6_route: [
        te('ipv6_route', { vrf: 0, dst_addr: { value: a6('2001:db8:1::'), prefixLen: 48 } }, 'route_to_nexthop', { nexthop_id: 4 }),
        te('ipv6_route', { vrf: 0 }, 'route_to_nexthop', { nexthop_id: 2 }),
        te('ipv6_route', { vrf: 0, dst_addr: { value: a6('2001:db8:2::'), prefixLen: 48 } }, 'route_to_nexthop', { nexthop_id: 3 }),
      ],
      acl: [
        te('acl', { stage: 1, ep_tag: { optional: 2 } }, 'acl_deny', {}, 10),
        te('acl', { stage: 1, ep_tag: { optional: 2 }, src_ip_version: { optional: 4 } }, 'acl_allow', {}, 10),
        te('acl', { stage: 1, ep_tag: { optional: 2 }, src_ip_version: { optional: 6 } }, 'acl_deny', {}, 10),
        te('acl', { stage: 1, ep_tag: { optional: 2 }, protocol: { optional: 17 } }, 'acl_allow', {}, 10),
        te('acl', { stage: 1, ep_tag: { optional: 2 }, protocol: { optional: 17 }, dst_port_valid: { optional: 1 } }, 'acl_deny', {}, 10),
        te('acl', { stage: 1, ep_tag: { optional: 2 }, src_ip_version: { optional: 6 }, src_ipv6: { value: a6('fd00::'), mask: ((1n << 64n) - 1n) << 64n }, protocol: { optional: 6 }, dst_port_valid: { optional: 1 }, dst_port: { low: 80, high: 80 } }, 'acl_allow', {}, 20),
      ],
    };
    await expectP4(expected);
  });

  it('reads back what the reference driver reads for the same writes; a new session rebuilds tunnel pointers', async () => {
    await ref.write({ updates: NETWORK });
    const res = await hal.write({ updates: NETWORK });
    expect(res.digest).to.equal((await hal.getState()).digest);
    expect(await hal.read({ tables: TABLE_NAMES })).to.deep.equal(await ref.read({ tables: TABLE_NAMES }));

    const pki = devPki();
    const second = await IntelIpuDriver.connect({ address: hal.target!.address, ca: pki.ca.toString(), cert: pki.clientCert.toString(), key: pki.clientKey.toString(), serverName: 'localhost', electionId: 2000 });
    try {
      expect(await second.read({ tables: TABLE_NAMES })).to.deep.equal(await ref.read({ tables: TABLE_NAMES }));
      const change = [mod('tunnel', { id: 'vx', type: 'VXLAN', localIp: '192.0.2.1', remoteIp: '192.0.2.9', vni: 6000, underlayNexthopId: 'gw' })];
      await second.write({ updates: change });
      await ref.write({ updates: change });
      expect(await second.read({ tables: ['tunnel'] })).to.deep.equal(await ref.read({ tables: ['tunnel'] }));
      expect(await p4read('tunnel_encap')).to.have.length(3);
    } finally {
      await second.close();
    }
  });

  /** Injects the same frame into both drivers; the emitted frames must be equal byte for byte. */
  async function same(port: string, spec: FrameSpec): Promise<{ port?: string; frame?: Uint8Array; drop?: string }> {
    const frame = buildFrame(spec);
    const a = await hal.inject({ portId: port, frame });
    const b = await ref.inject({ portId: port, frame });
    expect(a.disposition, `disposition (${JSON.stringify(a.trace)})`).to.equal(b.disposition);
    expect(a.dropReason).to.equal(b.dropReason);
    expect((a.emitted ?? []).map((e) => [e.portId, hex(e.frame!)])).to.deep.equal((b.emitted ?? []).map((e) => [e.portId, hex(e.frame!)]));
    return { port: a.emitted?.[0]?.portId, frame: a.emitted?.[0]?.frame, drop: a.dropReason };
  }

  it('encapsulates and terminates VXLAN and Geneve, and forwards IPv6, byte for byte as the reference driver', async () => {
    await hal.write({ updates: NETWORK });
    await ref.write({ updates: NETWORK });
    const h0 = { src: '0a:00:00:00:00:02', dst: routerMac(3) };
    // VXLAN: the outer source port varies with the inner flow, repeatably.
    const sports = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const out = await same('host0', { eth: h0, ipv4: { src: '10.0.0.2', dst: '203.0.113.9' }, udp: { sport: 30000 + i, dport: 4000 }, payload: new TextEncoder().encode('tunnelled') });
      expect(out.port).to.equal('uplink0');
      const p = parsePacket(out.frame!);
      expect(p.ok && p.pkt.tunnel?.vni).to.equal(5000);
      if (p.ok && p.pkt.l4?.kind === 'udp') sports.add(p.pkt.l4.srcPort);
    }
    expect(sports.size).to.be.greaterThan(3);
    // Geneve with options, TTL 9; an IPv6 packet into the VXLAN tunnel.
    const gn = await same('host0', { eth: h0, ipv4: { src: '10.0.0.2', dst: '198.51.100.1' }, tcp: { sport: 1000, dport: 80, flags: 'S' } });
    const g = parsePacket(gn.frame!);
    expect(g.ok && g.pkt.tunnel?.options?.map((o) => [o.class, o.type, hex(o.data)])).to.deep.equal([[0x0102, 1, '00000004'], [0xffff, 0x80, '']]);
    await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: '2001:db8:1::5' }, udp: { sport: 5, dport: 6 } });
    // IPv4 into the tunnel with IPv6 VTEPs: outer IPv6 from fd00:ee::1 to fd00:ee::2 via the IPv6 gateway.
    const o6 = parsePacket((await same('host0', { eth: h0, ipv4: { src: '10.0.0.2', dst: '203.0.114.5' }, udp: { sport: 9, dport: 10 } })).frame!);
    expect(o6.ok && [o6.pkt.l3?.kind, o6.pkt.tunnel?.vni, o6.pkt.eth.dst]).to.deep.equal(['ipv6', 600, '0b:00:00:00:00:06']);
    // IPv6 routing: default route via neighbor_v6, fixed MAC, endpoint delivery, policy (deny by ::/0 at priority 10 beats nothing; TCP 80 allowed at 20).
    expect((await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: '2001:db8:9::1', hopLimit: 9 }, udp: { sport: 5, dport: 6 } })).port).to.equal('uplink0');
    expect((await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: '2001:db8:2::1' }, icmpv6: { type: 128, code: 0, id: 1, seq: 1 } })).port).to.equal('uplink1');
    expect((await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: 'fd00::3' }, tcp: { sport: 999, dport: 80, flags: 'S' } })).port).to.equal('host1');
    expect((await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: 'fd00::3' }, tcp: { sport: 999, dport: 81, flags: 'S' } })).drop).to.equal('acl-deny');
    expect((await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: '2001:db8:9::1', hopLimit: 1 }, udp: { sport: 1, dport: 2 } })).drop).to.equal('ttl-exceeded');
    // Termination: VXLAN VNI 5001 into VRF 7 (endpoint ns/c on host2); Geneve VNI 0 into VRF 0; an unknown VNI is plain UDP (no route here).
    const inner = (dstMac: string) => buildFrame({ eth: { src: '02:77:00:00:00:01', dst: dstMac }, ipv4: { src: '10.9.9.9', dst: '10.0.0.2' }, udp: { sport: 7, dport: 8 } });
    const outer = { eth: { src: '0b:00:00:00:00:01', dst: routerMac(1) }, ipv4: { src: '192.0.2.2', dst: '192.0.2.1' }, udp: { sport: 51000 } };
    const outer6 = { eth: { src: '0b:00:00:00:00:06', dst: routerMac(1) }, ipv6: { src: 'fd00:ee::2', dst: 'fd00:ee::1' }, udp: { sport: 51001 } };
    for (const [frame, port] of [
      [buildVxlan(outer, 5001, inner('02:77:00:00:00:02')), 'host2'],
      [buildGeneve(outer6, 600, [], inner('02:77:00:00:00:03')), 'host2'],
      [buildVxlan(outer, 5999, inner('02:77:00:00:00:02')), undefined],
    ] as const) {
      const a = await hal.inject({ portId: 'uplink0', frame });
      const b = await ref.inject({ portId: 'uplink0', frame });
      expect(a.emitted?.[0]?.portId).to.equal(port);
      expect((a.emitted ?? []).map((e) => hex(e.frame!))).to.deep.equal((b.emitted ?? []).map((e) => hex(e.frame!)));
    }
    const counted = await hal.read({ tables: ['tunnel_term'], includeCounters: true });
    expect(counted.map((r) => [r.entry?.tunnelTerm?.vni ?? 0, r.counters?.packets])).to.deep.equal([[5001, 1], [0, 0], [600, 1]]);
  });

  it('ACL explicit wildcards are their own entries and 0.0.0.0/0 matches only IPv4, ::/0 only IPv6', async () => {
    const rules = [
      ins('endpoint', { ip: '10.0.0.3', portId: 'host1', mac: '0a:00:00:00:00:03', endpointId: 'b', isolatedIngress: true }),
      ins('endpoint', { ip: 'fd00::3', portId: 'host1', mac: '0a:00:00:00:00:03', endpointId: 'b', isolatedIngress: true }),
      ins('acl', { stage: 'ACL_INGRESS', priority: 5, srcPrefix: '0.0.0.0/0', protocol: 17, dstPorts: { hi: 65535 } }),
      ins('acl', { stage: 'ACL_INGRESS', priority: 5, protocol: 17, dstPorts: { hi: 65535 } }),
      ins('acl', { stage: 'ACL_INGRESS', priority: 5, dstPrefix: '::/0', protocol: 58 }),
      ins('acl', { stage: 'ACL_INGRESS', priority: 5, dstPrefix: '0.0.0.0/0', protocol: 58, action: 'ACL_DENY' }),
    ];
    await hal.write({ updates: rules });
    await ref.write({ updates: rules });
    const h0 = { src: '0a:00:00:00:00:02', dst: routerMac(3) };
    expect((await same('host0', { eth: h0, ipv4: { src: '10.0.0.2', dst: '10.0.0.3' }, udp: { sport: 1, dport: 2 } })).port).to.equal('host1');
    expect((await same('host0', { eth: h0, ipv4: { src: '10.0.0.2', dst: '10.0.0.3' }, icmp: { type: 8, code: 0, id: 1, seq: 1 } })).drop).to.equal('default-deny-ingress');
    expect((await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: 'fd00::3' }, udp: { sport: 1, dport: 2 } })).port).to.equal('host1');
    // ::/0 allows ICMPv6 to the IPv6 address; the 0.0.0.0/0 deny of the same priority cannot match it.
    expect((await same('host0', { eth: h0, ipv6: { src: 'fd00::2', dst: 'fd00::3' }, icmpv6: { type: 128, id: 1, seq: 1 } })).port).to.equal('host1');
    expect(await hal.read({ tables: ['acl'] })).to.deep.equal(await ref.read({ tables: ['acl'] }));
    expect(await hal.read({ tables: ['acl'] })).to.have.length(4);
  });

  for (const atomicity of ['CONTINUE_ON_ERROR', 'ROLLBACK_ON_ERROR', 'DATAPLANE_ATOMIC'] as Atomicity[]) {
    it(`same key twice in one batch (${atomicity}): MODIFY+MODIFY of a port, INSERT+MODIFY, INSERT+DELETE, DELETE+INSERT`, async () => {
      const base = [ins('neighbor', { ip: '10.1.1.3', mac: '02:00:00:00:01:03' })];
      const batch = [
        mod('port', { id: 'host3', adminUp: true, mtu: 1500 }),
        mod('port', { id: 'host3', vrf: 2, mtu: 1400 }),
        ins('neighbor', { ip: '10.1.1.1', mac: '02:00:00:00:01:01' }),
        mod('neighbor', { ip: '10.1.1.1', mac: '02:00:00:00:01:02' }),
        ins('nexthop', { id: 'tmp', port: { portId: 'host1' } }),
        del('nexthop', { id: 'tmp' }),
        del('neighbor', { ip: '10.1.1.3' }),
        ins('neighbor', { ip: '10.1.1.3', mac: '02:00:00:00:01:33' }),
        ins('tunnel', { id: 'tt', type: 'VXLAN', localIp: '1.1.1.1', remoteIp: '2.2.2.2', underlayNexthopId: 'u' }),
      ];
      const u = ins('nexthop', { id: 'u', port: { portId: 'uplink0' } });
      for (const h of [hal, ref] as Hal[]) {
        await h.write({ updates: [...base, u] });
        await h.write({ atomicity, updates: batch });
      }
      expect(await hal.read({ tables: ['port', 'neighbor', 'nexthop', 'tunnel'] })).to.deep.equal(await ref.read({ tables: ['port', 'neighbor', 'nexthop', 'tunnel'] }));
      expect(await p4read('port_config')).to.have.length(1);
      // A third MODIFY in a later batch is a P4 MODIFY of the entry the batch created.
      await hal.write({ atomicity, updates: [mod('port', { id: 'host3', adminUp: true })] });
      expect((await hal.read({ tables: ['port'], filters: [{ field: 'id', equals: 'host3' }] }))[0].entry?.port).to.deep.equal({ id: 'host3', adminUp: true });
      // An atomic batch that fails after two MODIFYs of one port leaves the port as it was, on the device too.
      const before = await hal.getState();
      const err = await refusal(hal.write({ atomicity, updates: [mod('port', { id: 'host3', mtu: 2000 }), mod('port', { id: 'host3', mtu: 3000 }), ins('neighbor', { ip: '10.1.1.1', mac: '02:00:00:00:01:01' })] }));
      const codes = err.updates!.map((s) => s.code);
      if (atomicity === 'CONTINUE_ON_ERROR') expect(codes).to.deep.equal(['OK', 'OK', 'ALREADY_EXISTS']);
      else {
        expect(codes).to.deep.equal(['ABORTED', 'ABORTED', 'ALREADY_EXISTS']);
        expect((await hal.getState()).digest).to.equal(before.digest);
        const pc = await p4read('port_config');
        expect(pc).to.have.length(1);
      }
    });
  }
});
