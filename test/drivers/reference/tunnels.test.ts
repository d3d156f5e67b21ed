// Tunnels through the reference walk (hal-spec §2 stage 2 "tunnel-term" and stage
// 9 "tunnel-encap", "Tunnel termination misses", "Tunnel encapsulation"): VXLAN and
// Geneve frames built with buildVxlan / buildGeneve go in, and what comes out is
// compared byte for byte with frames built the same independent way.
import { expect } from 'chai';
import { buildFrame, buildGeneve, buildVxlan, type TunnelOuterSpec } from '../../../src/sim/packet/index.js';
import {
  MAC,
  expectDrop,
  expectEmitted,
  flowSpec,
  frameOut,
  hex,
  ins,
  isolate,
  parsed,
  portMac,
  reversed,
  send,
  topologyDevice,
  write,
  type Device,
  type Entry,
  type Flow,
} from './fixtures.js';
import type { InjectResponse } from '../../../src/hal/generated/types.js';

const LOCAL_VTEP = '192.0.2.1';
const REMOTE_VTEP = '192.0.2.2';
const UNDERLAY_PEER = '192.0.2.9';
const INNER_SRC_MAC = '02:dd:00:00:00:01';
const INNER_DST_MAC = '02:dd:00:00:00:02';
const OPTION = { optionClass: 0x0102, type: 0x01, data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) };

const term = (e: Record<string, unknown>): Entry => ({ tunnelTerm: e as Entry['tunnelTerm'] });
const tunnel = (e: Record<string, unknown>): Entry => ({ tunnel: e as Entry['tunnel'] });

/** Inner packet from the overlay peer to an address behind this device. */
const INNER: Flow = { src: '198.51.100.7', dst: '10.0.0.10', sport: 7000, dport: 8000, payload: 'overlay' };
const innerFrame = (f: Flow = INNER) => buildFrame(flowSpec(f, INNER_SRC_MAC, INNER_DST_MAC));

/** The outer headers of a packet arriving at uplink0 from the underlay peer. */
function arriving(d: Device, opts: { dst?: string; dport?: number; ttl?: number } = {}): TunnelOuterSpec {
  return {
    eth: { src: MAC.router0, dst: portMac(d, 'uplink0') },
    ipv4: { src: UNDERLAY_PEER, dst: opts.dst ?? LOCAL_VTEP, ttl: opts.ttl ?? 64, id: 0x99 },
    udp: { sport: 50000, ...(opts.dport && { dport: opts.dport }) },
  };
}

/** Facts of an emitted encapsulated frame that the device may choose: outer IP id / flow label, UDP source port, checksum use. */
function freeFields(r: InjectResponse) {
  const p = parsed(r.emitted![0].frame!);
  const l3 = p.l3!;
  const l4 = p.l4!;
  if (l3.kind === 'arp' || l4.kind !== 'udp') throw new Error('not an IP/UDP outer header');
  return {
    id: l3.kind === 'ipv4' ? l3.id : 0,
    flowLabel: l3.kind === 'ipv6' ? l3.flowLabel : 0,
    sport: l4.srcPort,
    checksum: l4.checksum !== 0,
    pkt: p,
  };
}

describe('reference driver: tunnels', () => {
  let d: Device;
  beforeEach(async () => {
    d = await topologyDevice();
  });

  describe('termination', () => {
    it('VXLAN to a local VTEP and VNI: the inner packet is delivered to the endpoint, TTL-1, bytes exact', async () => {
      await write(d.hal, [ins(term({ localIp: LOCAL_VTEP, vni: 100, type: 'VXLAN' }))]);
      const frame = buildVxlan(arriving(d), 100, innerFrame());
      expectEmitted(await d.hal.inject({ portId: 'uplink0', frame }), 'host0', frameOut(d, 'host0', MAC.epA, INNER), 'inner');
      const [rec] = await d.hal.read({ tables: ['tunnel_term'], includeCounters: true });
      expect(rec.counters).to.deep.equal({ packets: 1, bytes: frame.length });
    });

    it('Geneve with options to a local VTEP: delivered the same way', async () => {
      await write(d.hal, [ins(term({ localIp: LOCAL_VTEP, vni: 200, type: 'GENEVE' }))]);
      const frame = buildGeneve(arriving(d), 200, [{ class: 0x0102, type: 0x01, data: OPTION.data }, { class: 0xffff, type: 0x7f, data: new Uint8Array(8) }], innerFrame());
      expectEmitted(await d.hal.inject({ portId: 'uplink0', frame }), 'host0', frameOut(d, 'host0', MAC.epA, INNER), 'inner');
    });

    it('the inner packet continues in the tunnel_term entry\'s VRF', async () => {
      await write(d.hal, [
        ins(term({ localIp: LOCAL_VTEP, vni: 300, type: 'VXLAN', vrf: 5 })),
        ins({ endpoint: { vrf: 5, ip: '10.0.0.10', portId: 'host2', mac: '02:aa:00:00:05:0a', endpointId: 'ep-v5' } }),
      ]);
      const frame = buildVxlan(arriving(d), 300, innerFrame());
      expectEmitted(await d.hal.inject({ portId: 'uplink0', frame }), 'host2', frameOut(d, 'host2', '02:aa:00:00:05:0a', INNER), 'vrf 5, not ep-a in vrf 0');
      // An inner destination with no endpoint and no route in vrf 5 is dropped, not routed by vrf 0.
      const lost = buildVxlan(arriving(d), 300, innerFrame({ ...INNER, dst: '10.0.0.11' }));
      expectDrop(await d.hal.inject({ portId: 'uplink0', frame: lost }), 'no-route', 'no route in vrf 5');
    });

    it('a VNI with no tunnel_term entry is ordinary UDP: routed on unchanged but for MACs and TTL', async () => {
      await write(d.hal, [ins(term({ localIp: LOCAL_VTEP, vni: 100, type: 'VXLAN' }))]);
      const frame = buildVxlan(arriving(d), 999, innerFrame());
      const want = buildVxlan({ eth: { src: portMac(d, 'uplink0'), dst: MAC.router0 }, ipv4: { src: UNDERLAY_PEER, dst: LOCAL_VTEP, ttl: 63, id: 0x99 }, udp: { sport: 50000 } }, 999, innerFrame());
      expectEmitted(await d.hal.inject({ portId: 'uplink0', frame }), 'uplink0', want, 'unknown VNI, routed by 0.0.0.0/0');
    });

    it('the wrong type, port or VTEP address is not terminated either', async () => {
      await write(d.hal, [ins(term({ localIp: LOCAL_VTEP, vni: 100, type: 'VXLAN' }))]);
      const geneve = buildGeneve(arriving(d), 100, [], innerFrame());
      const r1 = await d.hal.inject({ portId: 'uplink0', frame: geneve });
      expect(r1.emitted![0].portId, 'Geneve with the VXLAN entry\'s VNI').to.equal('uplink0');
      const other = buildVxlan(arriving(d, { dst: '192.0.2.200' }), 100, innerFrame());
      const r2 = await d.hal.inject({ portId: 'uplink0', frame: other });
      expect(r2.emitted![0].portId, 'another VTEP address').to.equal('uplink0');
      const port = buildVxlan(arriving(d, { dport: 8472 }), 100, innerFrame());
      const r3 = await d.hal.inject({ portId: 'uplink0', frame: port });
      expect(r3.emitted![0].portId, 'VXLAN header on UDP 8472').to.equal('uplink0');
      const [rec] = await d.hal.read({ tables: ['tunnel_term'], includeCounters: true });
      expect(rec.counters!.packets).to.equal(0);
    });

    it('a terminated flow is tracked on its inner tuple: the endpoint\'s answer passes its isolation on the way back', async () => {
      await write(d.hal, [ins(term({ localIp: LOCAL_VTEP, vni: 100, type: 'VXLAN' }))]);
      await isolate(d, '10.0.0.10', { isolatedEgress: true });
      // Inbound opens the connection; the reply from the isolated-egress endpoint is REPLY traffic.
      await d.hal.inject({ portId: 'uplink0', frame: buildVxlan(arriving(d), 100, innerFrame()) });
      const back = reversed(INNER);
      expectEmitted(await send(d, 'host0', back, MAC.epA), 'uplink0', frameOut(d, 'uplink0', MAC.router0, back), 'reply (routed natively)');
      expectDrop(await send(d, 'host0', { ...back, sport: 1 }, MAC.epA), 'default-deny-egress', 'new flow from the isolated endpoint');
    });
  });

  describe('encapsulation', () => {
    const FLOW: Flow = { src: '10.0.0.10', dst: '10.20.0.5', sport: 1000, dport: 2000, payload: 'to-the-overlay' };

    async function overlay(t: Record<string, unknown>, prefix = '10.20.0.0/16'): Promise<void> {
      await write(d.hal, [
        ins(tunnel({ id: 't1', localIp: LOCAL_VTEP, remoteIp: REMOTE_VTEP, underlayNexthopId: 'nh-up1', ...t })),
        ins({ nexthop: { id: 'nh-t1', tunnelId: 't1' } }),
        ins({ route: { prefix, nexthopId: 'nh-t1' } }),
      ]);
    }

    /** The outer spec the device must produce toward the remote VTEP (free fields copied from `r`). */
    function leaving(r: InjectResponse, ttl = 64, dport?: number): TunnelOuterSpec {
      const f = freeFields(r);
      expect(f.sport, 'outer UDP source port in the dynamic range (RFC 7348 §5)').to.be.within(49152, 65535);
      return {
        eth: { src: portMac(d, 'uplink1'), dst: MAC.router1 },
        ipv4: { src: LOCAL_VTEP, dst: REMOTE_VTEP, ttl, id: f.id, flags: { df: true } },
        udp: { sport: f.sport, ...(dport && { dport }), checksum: f.checksum },
      };
    }

    /** The inner frame: its IP packet with TTL-1, from the egress port MAC to the underlay neighbor (hal-spec [D] 42). */
    const inner = (f: Flow = FLOW) => frameOut(d, 'uplink1', MAC.router1, f);

    it('VXLAN: outer addresses, VNI, UDP 4789, TTL 64, DF; the inner frame exact', async () => {
      await overlay({ type: 'VXLAN', vni: 5000 });
      const r = await send(d, 'host0', FLOW, MAC.epA);
      expectEmitted(r, 'uplink1', buildVxlan(leaving(r), 5000, inner()), 'encapsulated');
      const p = freeFields(r).pkt;
      expect(p.tunnel?.kind).to.equal('vxlan');
      expect(p.tunnel?.vni).to.equal(5000);
    });

    it('VXLAN with a custom UDP port and TTL', async () => {
      await overlay({ type: 'VXLAN', vni: 42, udpDstPort: 8472, ttl: 16 });
      const r = await send(d, 'host0', FLOW, MAC.epA);
      expectEmitted(r, 'uplink1', buildVxlan(leaving(r, 16, 8472), 42, inner()), 'encapsulated');
    });

    it('Geneve with options: the option TLVs are carried byte for byte, UDP 6081', async () => {
      const crit = { optionClass: 0x0200, type: 0x81, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) };
      await overlay({ type: 'GENEVE', vni: 6000, geneveOptions: [OPTION, crit] });
      const r = await send(d, 'host0', FLOW, MAC.epA);
      const want = buildGeneve(leaving(r), 6000, [{ class: OPTION.optionClass, type: OPTION.type, data: OPTION.data }, { class: crit.optionClass, type: crit.type, data: crit.data }], inner());
      expectEmitted(r, 'uplink1', want, 'encapsulated');
      const t = freeFields(r).pkt.tunnel!;
      expect([t.kind, t.vni, t.protocolType, t.critical]).to.deep.equal(['geneve', 6000, 0x6558, true]);
      expect(t.options!.map((o) => [o.class, o.type, hex(o.data)])).to.deep.equal([[0x0102, 0x01, 'deadbeef'], [0x0200, 0x81, '0102030405060708']]);
    });

    it('Geneve with a custom port and no options', async () => {
      await overlay({ type: 'GENEVE', vni: 1, udpDstPort: 7000 });
      const r = await send(d, 'host0', FLOW, MAC.epA);
      expectEmitted(r, 'uplink1', buildGeneve(leaving(r, 64, 7000), 1, [], inner()), 'encapsulated');
    });

    it('the outer source port follows the inner flow: the same flow keeps it, different flows spread', async () => {
      await overlay({ type: 'VXLAN', vni: 5000 });
      const sportOf = async (f: Flow) => freeFields(await send(d, 'host0', f, MAC.epA)).sport;
      const first = await sportOf(FLOW);
      expect(await sportOf(FLOW), 'same flow').to.equal(first);
      expect(await sportOf({ ...FLOW, payload: 'other payload, same flow' }), 'payload does not matter').to.equal(first);
      const ports = new Set<number>();
      for (let i = 0; i < 64; i++) ports.add(await sportOf({ ...FLOW, sport: 3000 + i }));
      expect(ports.size, '64 flows').to.be.at.least(32);
    });

    it('an IPv6 inner packet inside an IPv4 underlay', async () => {
      await overlay({ type: 'VXLAN', vni: 77 }, '2001:db8:20::/48');
      const f: Flow = { src: '2001:db8:a::10', dst: '2001:db8:20::5', sport: 1, dport: 2 };
      const r = await send(d, 'host0', f, MAC.epA);
      expectEmitted(r, 'uplink1', buildVxlan(leaving(r), 77, inner(f)), 'encapsulated');
    });

    it('an IPv6 underlay: outer IPv6 with hop limit 64 and a UDP checksum', async () => {
      await write(d.hal, [
        ins(tunnel({ id: 't6', type: 'VXLAN', localIp: '2001:db8:f::1', remoteIp: '2001:db8:f::2', vni: 9, underlayNexthopId: 'nh-up6' })),
        ins({ nexthop: { id: 'nh-t6', tunnelId: 't6' } }),
        ins({ route: { prefix: '10.30.0.0/16', nexthopId: 'nh-t6' } }),
      ]);
      const f: Flow = { ...FLOW, dst: '10.30.0.1' };
      const r = await send(d, 'host0', f, MAC.epA);
      const free = freeFields(r);
      expect(free.checksum, 'IPv6 UDP checksum').to.equal(true);
      const want = buildVxlan({
        eth: { src: portMac(d, 'uplink0'), dst: MAC.router6 },
        ipv6: { src: '2001:db8:f::1', dst: '2001:db8:f::2', hopLimit: 64, flowLabel: free.flowLabel },
        udp: { sport: free.sport },
      }, 9, frameOut(d, 'uplink0', MAC.router6, f));
      expectEmitted(r, 'uplink0', want, 'encapsulated');
    });

    it('a round trip: out through the tunnel, the answer back through tunnel_term, admitted as reply traffic', async () => {
      await overlay({ type: 'VXLAN', vni: 5000 });
      await write(d.hal, [ins(term({ localIp: LOCAL_VTEP, vni: 5000, type: 'VXLAN' }))]);
      await isolate(d, '10.0.0.10', { isolatedIngress: true });
      expect((await send(d, 'host0', FLOW, MAC.epA)).disposition).to.equal('FORWARDED');
      const answer = reversed(FLOW, { payload: 'answer' });
      const frame = buildVxlan({ eth: { src: MAC.router1, dst: portMac(d, 'uplink1') }, ipv4: { src: REMOTE_VTEP, dst: LOCAL_VTEP, ttl: 64 }, udp: { sport: 55555 } }, 5000, buildFrame(flowSpec(answer, INNER_SRC_MAC, INNER_DST_MAC)));
      expectEmitted(await d.hal.inject({ portId: 'uplink1', frame }), 'host0', frameOut(d, 'host0', MAC.epA, answer), 'answer');
      // A new flow from the overlay to the isolated endpoint is denied.
      const fresh = buildVxlan({ eth: { src: MAC.router1, dst: portMac(d, 'uplink1') }, ipv4: { src: REMOTE_VTEP, dst: LOCAL_VTEP, ttl: 64 }, udp: { sport: 55555 } }, 5000, buildFrame(flowSpec({ ...answer, sport: 1 }, INNER_SRC_MAC, INNER_DST_MAC)));
      expectDrop(await d.hal.inject({ portId: 'uplink1', frame: fresh }), 'default-deny-ingress', 'new overlay flow');
    });

    it('per-entry counters of the tunnel count the packets it carried', async () => {
      await overlay({ type: 'VXLAN', vni: 5000 });
      const a = frameOut(d, 'host0', MAC.epA, FLOW).length;
      await send(d, 'host0', FLOW, MAC.epA);
      await send(d, 'host0', FLOW, MAC.epA);
      const [rec] = (await d.hal.read({ tables: ['tunnel'], includeCounters: true })).filter((x) => x.entry!.tunnel!.id === 't1');
      expect(rec.counters).to.deep.equal({ packets: 2, bytes: 2 * a });
    });
  });
});
