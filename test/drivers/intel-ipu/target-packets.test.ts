// The IPU target's program on real packets: what goes in on a port and what
// comes out (bytes), drops with reasons, PacketIn for ARP and PacketOut.
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { toBigInt } from '../../../src/drivers/intel-ipu/p4rt/bytestrings.js';
import { PACKET_IN, PACKET_OUT } from '../../../src/drivers/intel-ipu/program/program.js';
import { buildFrame, parsePacket, verifyChecksums } from '../../../src/sim/packet/index.js';
import { canonical } from '../../../src/drivers/intel-ipu/p4rt/bytestrings.js';
import { ins, ip4, primary, startTarget, te, until, type Running } from './target-fixtures.js';

// Port numbers: uplink0=1, uplink1=2, host0=3, host1=4, ...
const MAC = (n: number) => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const tcp = (src: string, dst: string, inPort: number, dport = 80, ttl = 64) =>
  buildFrame({ eth: { src: '0a:00:00:00:00:01', dst: MAC(inPort) }, ipv4: { src, dst, ttl }, tcp: { sport: 40000, dport, flags: 'S' } });

describe('intel-ipu target: the program on packets', () => {
  let r: Running;
  beforeEach(async () => {
    r = await startTarget();
  });
  afterEach(async () => {
    await r.stop();
  });

  it('drops everything until a pipeline is loaded', () => {
    const res = r.target.inject('host0', tcp('10.0.0.1', '10.0.0.2', 3), 0);
    expect(res.dropReason).to.equal('no-pipeline');
  });

  it('delivers to a local endpoint: MACs rewritten, TTL decremented, checksums valid', async () => {
    const c = await primary(r);
    await c.write([ins(te('ipv4_to_port', { vrf: 0, dst_addr: ip4('10.0.0.2') }, 'to_endpoint', { port: 4, dmac: 0x0a0000000002n, ep_tag: 2 }))]);
    const res = r.target.inject('host0', tcp('10.0.0.1', '10.0.0.2', 3), 0);
    expect(res.disposition, JSON.stringify(res.trace)).to.equal('FORWARDED');
    const out = res.emitted![0];
    expect(out.portId).to.equal('host1');
    const p = parsePacket(out.frame!);
    if (!p.ok) throw new Error(p.detail);
    expect(p.pkt.eth.src).to.equal(MAC(4));
    expect(p.pkt.eth.dst).to.equal('0a:00:00:00:00:02');
    expect(p.pkt.l3?.kind === 'ipv4' && p.pkt.l3.ttl).to.equal(63);
    expect(verifyChecksums(out.frame!)).to.deep.equal([]);
    expect(r.target.capture(['host1'], 0, false).packets).to.have.length(1);
  });

  it('routes by LPM through an ECMP selector and a neighbor, and drops on a miss', async () => {
    const c = await primary(r);
    await c.write([
      ins(te('neighbor', { vrf: 0, ip: ip4('192.168.1.1') }, 'set_neighbor_mac', { dmac: 0x0b0000000001n })),
      ins(te('neighbor', { vrf: 0, ip: ip4('192.168.2.1') }, 'set_neighbor_mac', { dmac: 0x0b0000000002n })),
      ins(te('nexthop', { nexthop_id: 1 }, 'nh_neighbor', { port: 1, neighbor_ip: ip4('192.168.1.1') })),
      ins(te('nexthop', { nexthop_id: 2 }, 'nh_neighbor', { port: 2, neighbor_ip: ip4('192.168.2.1') })),
      ins(te('ecmp_group', { group_id: 1 }, { set: [{ action: 'set_ecmp_member', params: { nexthop_id: 1 }, weight: 1 }, { action: 'set_ecmp_member', params: { nexthop_id: 2 }, weight: 1 }] })),
      ins(te('ipv4_route', { vrf: 0, dst_addr: { value: ip4('0.0.0.0'), prefixLen: 1 } }, 'route_to_ecmp', { group_id: 1 })),
      ins(te('ipv4_route', { vrf: 0, dst_addr: { value: ip4('20.0.0.0'), prefixLen: 8 } }, 'route_to_nexthop', { nexthop_id: 1 })),
      ins(te('ipv4_route', { vrf: 0, dst_addr: { value: ip4('20.1.0.0'), prefixLen: 16 } }, 'route_drop')),
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const res = r.target.inject('host0', tcp(`10.0.0.${i + 1}`, '30.0.0.1', 3), 0);
      expect(res.disposition).to.equal('FORWARDED');
      seen.add(res.emitted![0].portId!);
    }
    expect([...seen].sort()).to.deep.equal(['uplink0', 'uplink1']);
    const longest = r.target.inject('host0', tcp('10.0.0.1', '20.2.0.1', 3), 0);
    expect(longest.emitted![0].portId).to.equal('uplink0');
    expect(r.target.inject('host0', tcp('10.0.0.1', '20.1.0.1', 3), 0).dropReason).to.equal('route-drop');
    expect(r.target.inject('host0', tcp('10.0.0.1', '200.0.0.1', 3), 0).dropReason).to.equal('no-route');
    expect(r.target.inject('host0', tcp('10.0.0.1', '20.2.0.1', 3, 80, 1), 0).dropReason).to.equal('ttl-exceeded');
  });

  it('applies the acl: highest priority wins, isolated endpoints default-deny', async () => {
    const c = await primary(r);
    await c.write([
      ins(te('ipv4_to_port', { vrf: 0, dst_addr: ip4('10.0.0.2') }, 'to_endpoint', { port: 4, dmac: 2, ep_tag: 2, isolated_ingress: 1 })),
      ins(te('acl', { stage: 1, ep_tag: { optional: 2 }, src_addr: { value: ip4('10.0.0.0'), mask: 0xffffff00 }, dst_port: { low: 80, high: 80 } }, 'acl_allow', {}, 10)),
      ins(te('acl', { stage: 1, src_addr: { value: ip4('10.0.0.66'), mask: 0xffffffff } }, 'acl_deny', {}, 20)),
    ]);
    expect(r.target.inject('host0', tcp('10.0.0.1', '10.0.0.2', 3), 0).disposition).to.equal('FORWARDED');
    expect(r.target.inject('host0', tcp('10.0.0.66', '10.0.0.2', 3), 0).dropReason).to.equal('acl-deny');
    expect(r.target.inject('host0', tcp('10.0.0.1', '10.0.0.2', 3, 443), 0).dropReason).to.equal('default-deny-ingress');
    const counted = await c.read([{ tableEntry: { tableId: te('acl', {}).tableId, counterData: {} } }]);
    const packets = counted.map((e) => Number(e.tableEntry?.counterData?.packetCount ?? 0)).sort();
    expect(packets).to.deep.equal([1, 1]);
  });

  it('punts ARP to the primary as PacketIn and sends PacketOut out of a port', async () => {
    const c = await primary(r);
    const got: { payload: Uint8Array; port: bigint; reason: bigint }[] = [];
    c.onPacketIn((payload, md) => {
      const v = (id: number) => toBigInt(md.find((m) => m.metadataId === id)!.value!);
      got.push({ payload, port: v(PACKET_IN.metadata[0].id), reason: v(PACKET_IN.metadata[1].id) });
    });
    const arp = buildFrame({ eth: { src: '0a:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' }, arp: { op: 'request', senderMac: '0a:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.254' } });
    expect(r.target.inject('host0', arp, 0).dropReason).to.equal('punt-arp');
    await until(() => got.length === 1, 'PacketIn');
    expect(got[0].port).to.equal(3n);
    expect(Buffer.from(got[0].payload).equals(Buffer.from(arp))).to.equal(true);
    const reply = buildFrame({ eth: { src: MAC(3), dst: '0a:00:00:00:00:01' }, arp: { op: 'reply', senderMac: MAC(3), senderIp: '10.0.0.254', targetMac: '0a:00:00:00:00:01', targetIp: '10.0.0.1' } });
    c.packetOut(reply, [{ metadataId: PACKET_OUT.metadata[0].id, value: canonical(3) }]);
    await until(() => r.target.capture(['host0'], 0, true).packets!.length === 1, 'PacketOut on host0');
    expect(Buffer.from(r.target.capture(['host0'], 0, false).packets![0].frame!).equals(Buffer.from(reply))).to.equal(true);
    // A backup's PacketOut is refused on the stream.
    const b = r.client(1n);
    await b.openStream();
    b.packetOut(reply, [{ metadataId: PACKET_OUT.metadata[0].id, value: canonical(3) }]);
    await until(() => b.streamErrors.length === 1, 'stream error');
    expect(b.streamErrors[0]?.canonicalCode).to.equal(grpc.status.PERMISSION_DENIED);
  });
});
