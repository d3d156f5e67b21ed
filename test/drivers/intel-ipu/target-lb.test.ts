// The program's service path on real packets: service_lb → backend_group
// selector → dnat_rewrite pointer, connection pinning learned on a miss
// (pinned_flows, add_on_miss) with its reverse entry, and expiry on virtual time.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { TABLES } from '../../../src/drivers/intel-ipu/program/program.js';
import { buildFrame, parsePacket, verifyChecksums } from '../../../src/sim/packet/index.js';
import { failure, ins, ip4, mod, primary, startTarget, te, type Running } from './target-fixtures.js';

const VIP = '10.96.0.10';
const MAC = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const fromClient = (sport: number, flags = 'S') => buildFrame({ eth: { src: '0a:00:00:00:00:99', dst: MAC(1) }, ipv4: { src: '192.0.2.7', dst: VIP }, tcp: { sport, dport: 80, flags } });
const group = (...ptrs: number[]) => ({ set: ptrs.map((p) => ({ action: 'set_backend' as const, params: { dnat_ptr: p }, weight: 1 })) });

describe('intel-ipu target: service load balancing and connection pinning', () => {
  let r: Running;
  beforeEach(async () => {
    r = await startTarget();
    const c = await primary(r);
    await c.write([
      ins(te('dnat_rewrite', { dnat_ptr: 1 }, 'rewrite_dst', { ip: ip4('10.1.0.1'), port: 8080 })),
      ins(te('dnat_rewrite', { dnat_ptr: 2 }, 'rewrite_dst', { ip: ip4('10.1.0.2'), port: 8080 })),
      ins(te('backend_group', { group_id: 1 }, group(1, 2))),
      ins(te('service_lb', { vrf: 0, vip: ip4(VIP), protocol: 6, port: 80 }, 'svc_balance', { group_id: 1, standby_group_id: 2, empty_drop: 1 })),
      ins(te('ipv4_to_port', { vrf: 0, dst_addr: ip4('10.1.0.1') }, 'to_endpoint', { port: 3, dmac: 0x0a0000000001n, ep_tag: 1 })),
      ins(te('ipv4_to_port', { vrf: 0, dst_addr: ip4('10.1.0.2') }, 'to_endpoint', { port: 4, dmac: 0x0a0000000002n, ep_tag: 2 })),
      ins(te('nexthop', { nexthop_id: 1 }, 'nh_fixed_mac', { port: 1, dmac: 0x0a0000000099n })),
      ins(te('ipv4_route', { vrf: 0, dst_addr: { value: ip4('192.0.2.0'), prefixLen: 24 } }, 'route_to_nexthop', { nexthop_id: 1 })),
    ]);
  });
  afterEach(async () => {
    await r.stop();
  });

  it('DNATs to a backend with valid checksums, spreads connections, pins them, and reverse-translates replies', async () => {
    const backends = new Set<string>();
    for (let sport = 40000; sport < 40040; sport++) {
      const res = r.target.inject('uplink0', fromClient(sport), 0);
      expect(res.disposition, JSON.stringify(res.trace)).to.equal('FORWARDED');
      const p = parsePacket(res.emitted![0].frame!);
      if (!p.ok || p.pkt.l3?.kind !== 'ipv4' || p.pkt.l4?.kind !== 'tcp') throw new Error('not TCP/IPv4');
      expect(p.pkt.l4.dstPort).to.equal(8080);
      expect(verifyChecksums(res.emitted![0].frame!)).to.deep.equal([]);
      backends.add(p.pkt.l3.dst);
    }
    expect([...backends].sort()).to.deep.equal(['10.1.0.1', '10.1.0.2']);
    const first = parsePacket(r.target.inject('uplink0', fromClient(40000, 'A'), 0).emitted![0].frame!);
    const chosen = first.ok && first.pkt.l3?.kind === 'ipv4' ? first.pkt.l3.dst : '';
    // The group now holds only the other backend: the pinned connection keeps its own.
    const c = await primary(r, 11n);
    await c.write([mod(te('backend_group', { group_id: 1 }, group(chosen === '10.1.0.1' ? 2 : 1)))]);
    const again = parsePacket(r.target.inject('uplink0', fromClient(40000, 'A'), 0).emitted![0].frame!);
    expect(again.ok && again.pkt.l3?.kind === 'ipv4' && again.pkt.l3.dst).to.equal(chosen);
    // The backend's reply leaves with the VIP:port as its source.
    const reply = buildFrame({ eth: { src: '0a:00:00:00:00:01', dst: MAC(chosen === '10.1.0.1' ? 3 : 4) }, ipv4: { src: chosen, dst: '192.0.2.7' }, tcp: { sport: 8080, dport: 40000, flags: 'SA' } });
    const back = r.target.inject(chosen === '10.1.0.1' ? 'host0' : 'host1', reply, 0);
    expect(back.emitted?.[0].portId).to.equal('uplink0');
    const rp = parsePacket(back.emitted![0].frame!);
    expect(rp.ok && rp.pkt.l3?.kind === 'ipv4' && rp.pkt.l3.src).to.equal(VIP);
    expect(rp.ok && rp.pkt.l4?.kind === 'tcp' && rp.pkt.l4.srcPort).to.equal(80);
    expect(verifyChecksums(back.emitted![0].frame!)).to.deep.equal([]);
  });

  it('learned entries are readable, refused to controllers, and expire after 120 s idle (virtual time)', async () => {
    r.target.inject('uplink0', fromClient(41000), 0);
    const c = await primary(r, 12n);
    const pinned = await c.read([{ tableEntry: { tableId: TABLES.pinned_flows.id } }]);
    expect(pinned).to.have.length(1);
    expect(await c.read([{ tableEntry: { tableId: TABLES.pinned_flows_reverse.id } }])).to.have.length(1);
    const e = await failure(c.write([ins(te('pinned_flows', { src_addr: 1, dst_addr: 2, protocol: 6, src_port: 3, dst_port: 4 }, 'pinned_hit', { dnat_ptr: 1 }))]));
    expect(e.errors?.[0].canonicalCode).to.equal(grpc.status.PERMISSION_DENIED);
    r.target.clock.advance(121_000_000_000);
    expect(await c.read([{ tableEntry: { tableId: TABLES.pinned_flows.id } }])).to.have.length(0);
  });

  it('an empty group (no standby group either) with empty_drop, or a drop service, discards, counted', async () => {
    const c = await primary(r, 13n);
    await c.write([mod(te('backend_group', { group_id: 1 }, { set: [{ action: 'lb_empty', weight: 1 }] }))]);
    expect(r.target.inject('uplink0', fromClient(42000), 0).dropReason).to.equal('service-no-endpoints');
    await c.write([mod(te('service_lb', { vrf: 0, vip: ip4(VIP), protocol: 6, port: 80 }, 'svc_drop'))]);
    expect(r.target.inject('uplink0', fromClient(42001), 0).dropReason).to.equal('service-drop');
    expect(r.target.counters().drops).to.include({ 'service-no-endpoints': 1, 'service-drop': 1 });
  });
});
