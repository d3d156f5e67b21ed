// Source NAT through the reference walk (hal-spec §2 stage 7, "SNAT choice",
// "Translation"): masquerade with port allocation, address-only rules, `none`
// exemptions by priority, the service SNAT modes (masquerade, hairpin), reverse
// translation of replies, and port exhaustion. Output frames are compared with
// frames built independently (checksums recomputed from scratch by buildFrame).
import { expect } from 'chai';
import {
  MAC,
  SECOND,
  expectDrop,
  expectEmitted,
  frameOut,
  ins,
  parsed,
  reversed,
  send,
  sendAt,
  topologyDevice,
  write,
  type Device,
  type Entry,
  type Flow,
  ctf,
  ctt,
} from './fixtures.js';
import type { InjectResponse } from '../../../src/hal/generated/types.js';

const EP_A = '10.0.0.10';
const EP_B = '10.0.0.11';
const DNS = '8.8.8.8';
const MASQ = '192.0.2.100';
const VIP = '10.96.0.10';

const snat = (e: Record<string, unknown>): Entry => ({ snat: e as Entry['snat'] });
const masquerade = (priority: number, srcPrefix: string, ports?: { lo: number; hi: number }, extra: Record<string, unknown> = {}) =>
  snat({ srcPrefix, priority, masquerade: { ip: MASQ, ...(ports && { ports }) }, ...extra });

/** Source address and port of the single emitted frame. */
function sourceOf(r: InjectResponse): { ip: string; port: number } {
  expect(r.disposition, `disposition (${r.dropReason ?? ''})`).to.equal('FORWARDED');
  const p = parsed(r.emitted![0].frame!);
  const l3 = p.l3!;
  const l4 = p.l4!;
  if (l3.kind === 'arp') throw new Error('not IP');
  const port = 'srcPort' in l4 ? l4.srcPort : 'id' in l4 ? (l4.id ?? -1) : -1;
  return { ip: l3.src, port };
}

describe('reference driver: NAT', () => {
  let d: Device;
  beforeEach(async () => {
    d = await topologyDevice();
  });

  describe('masquerade', () => {
    const q: Flow = { src: EP_A, dst: DNS, sport: 40000, dport: 53, payload: 'query' };

    it('rewrites the source to the masquerade address and a port from the range; the reply is reverse-translated', async () => {
      await write(d.hal, [ins(masquerade(10, '10.0.0.0/24', { lo: 20000, hi: 20009 }))]);
      const r = await send(d, 'host0', q);
      const s = sourceOf(r);
      expect(s.ip).to.equal(MASQ);
      expect(s.port).to.be.within(20000, 20009);
      expectEmitted(r, 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...q, src: MASQ, sport: s.port }), 'query out');
      const a: Flow = { src: DNS, dst: MASQ, sport: 53, dport: s.port, payload: 'answer' };
      expectEmitted(await send(d, 'uplink0', a), 'host0', frameOut(d, 'host0', MAC.epA, { ...a, dst: EP_A, dport: 40000 }), 'answer back');
      // Later packets of the flow keep the same binding.
      expect(sourceOf(await send(d, 'host0', q))).to.deep.equal(s);
      const [e] = await d.hal.listConntrack({});
      expect(e.snat).to.equal(true);
      expect(e.dnat ?? false).to.equal(false);
      expect(e.original).to.deep.equal({ srcIp: EP_A, dstIp: DNS, protocol: 17, srcPort: 40000, dstPort: 53 });
      expect(e.reply).to.deep.equal({ srcIp: DNS, dstIp: MASQ, protocol: 17, srcPort: 53, dstPort: s.port });
      expect(await d.hal.getConntrack({ tuple: ctt({ srcIp: DNS, dstIp: MASQ, protocol: 17, srcPort: 53, dstPort: s.port }) })).to.deep.equal(e);
    });

    it('TCP: the handshake and the data both ways', async () => {
      await write(d.hal, [ins(masquerade(10, '10.0.0.0/24'))]);
      const syn: Flow = { src: EP_A, dst: DNS, proto: 'tcp', sport: 33000, dport: 443, flags: 'S', seq: 10 };
      const r = await send(d, 'host0', syn);
      const s = sourceOf(r);
      expect(s.ip).to.equal(MASQ);
      expect(s.port, 'the default range (hal-spec §3.2)').to.be.within(1024, 65535);
      expectEmitted(r, 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...syn, src: MASQ, sport: s.port }), 'SYN');
      const synack: Flow = { src: DNS, dst: MASQ, proto: 'tcp', sport: 443, dport: s.port, flags: 'SA', seq: 500, ack: 11 };
      expectEmitted(await send(d, 'uplink0', synack), 'host0', frameOut(d, 'host0', MAC.epA, { ...synack, dst: EP_A, dport: 33000 }), 'SYN-ACK');
      const ack: Flow = { ...syn, flags: 'PA', seq: 11, ack: 501, payload: 'x'.repeat(100) };
      expectEmitted(await send(d, 'host0', ack), 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...ack, src: MASQ, sport: s.port }), 'data');
    });

    it('ICMP echo: the identifier is translated like a port and restored on the reply', async () => {
      await write(d.hal, [ins(masquerade(10, '10.0.0.0/24', { lo: 30000, hi: 30000 }))]);
      const ping: Flow = { src: EP_A, dst: DNS, proto: 'icmp', icmpType: 8, icmpId: 7, icmpSeq: 3 };
      const r = await send(d, 'host0', ping);
      expectEmitted(r, 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...ping, src: MASQ, icmpId: 30000 }), 'echo request');
      const pong: Flow = { src: DNS, dst: MASQ, proto: 'icmp', icmpType: 0, icmpId: 30000, icmpSeq: 3 };
      expectEmitted(await send(d, 'uplink0', pong), 'host0', frameOut(d, 'host0', MAC.epA, { ...pong, dst: EP_A, icmpId: 7 }), 'echo reply');
    });

    it('two clients with the same source port get distinct translations', async () => {
      await write(d.hal, [ins(masquerade(10, '10.0.0.0/24', { lo: 20000, hi: 20009 }))]);
      const a = sourceOf(await send(d, 'host0', q));
      const b = sourceOf(await send(d, 'host1', { ...q, src: EP_B }, MAC.epB));
      expect(a.ip).to.equal(MASQ);
      expect(b.ip).to.equal(MASQ);
      expect(a.port).to.not.equal(b.port);
      // Each reply reaches its own client.
      const back = (port: number): Flow => ({ src: DNS, dst: MASQ, sport: 53, dport: port });
      expectEmitted(await send(d, 'uplink0', back(b.port)), 'host1', frameOut(d, 'host1', MAC.epB, { ...back(b.port), dst: EP_B, dport: 40000 }), 'to ep-b');
      expectEmitted(await send(d, 'uplink0', back(a.port)), 'host0', frameOut(d, 'host0', MAC.epA, { ...back(a.port), dst: EP_A, dport: 40000 }), 'to ep-a');
    });

    it('port exhaustion: with a two-port range the third flow to the same destination drops nat-ports-exhausted', async () => {
      await write(d.hal, [ins(masquerade(10, '10.0.0.0/24', { lo: 20000, hi: 20001 }))]);
      const ports = [sourceOf(await sendAt(d, 'host0', { ...q, sport: 1 }, SECOND)).port, sourceOf(await sendAt(d, 'host0', { ...q, sport: 2 }, SECOND)).port];
      expect(ports.sort()).to.deep.equal([20000, 20001]);
      expectDrop(await send(d, 'host0', { ...q, sport: 3 }), 'nat-ports-exhausted', 'third flow');
      expect((await d.hal.getCounters()).drops!['nat-ports-exhausted']).to.equal(1);
      expect(await d.hal.listConntrack({})).to.have.length(2);
      // When the connections expire (udpUnreplied 30 s), their ports are free again.
      await d.hal.advance(30 * SECOND);
      expect(sourceOf(await send(d, 'host0', { ...q, sport: 3 })).port).to.be.within(20000, 20001);
    });

    it('a reply to a masquerade port nobody holds is not translated', async () => {
      await write(d.hal, [ins(masquerade(10, '10.0.0.0/24', { lo: 20000, hi: 20009 }))]);
      // No connection: an ordinary packet to 192.0.2.100, routed by the default route.
      const stray: Flow = { src: DNS, dst: MASQ, sport: 53, dport: 20005 };
      expectEmitted(await send(d, 'uplink0', stray), 'uplink0', frameOut(d, 'uplink0', MAC.router0, stray), 'stray');
    });

    it('IPv6 masquerade', async () => {
      await write(d.hal, [ins(snat({ srcPrefix: '2001:db8:a::/64', priority: 10, masquerade: { ip: '2001:db8:ffff::1', ports: { lo: 1000, hi: 1000 } } }))]);
      const f: Flow = { src: '2001:db8:a::10', dst: '2001:4860::8888', sport: 5000, dport: 53 };
      expectEmitted(await send(d, 'host0', f), 'uplink0', frameOut(d, 'uplink0', MAC.router6, { ...f, src: '2001:db8:ffff::1', sport: 1000 }), 'out');
      const back: Flow = { src: '2001:4860::8888', dst: '2001:db8:ffff::1', sport: 53, dport: 1000 };
      expectEmitted(await send(d, 'uplink0', back), 'host0', frameOut(d, 'host0', MAC.epA, { ...back, dst: '2001:db8:a::10', dport: 5000 }), 'back');
    });
  });

  describe('rule choice', () => {
    const q: Flow = { src: EP_A, dst: DNS, sport: 40000, dport: 53 };

    it('snatIp rewrites the address only and keeps the port', async () => {
      await write(d.hal, [ins(snat({ srcPrefix: '10.0.0.0/24', priority: 10, snatIp: '192.0.2.50' }))]);
      expectEmitted(await send(d, 'host0', q), 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...q, src: '192.0.2.50' }), 'out');
      const back = reversed({ ...q, src: '192.0.2.50' });
      expectEmitted(await send(d, 'uplink0', back), 'host0', frameOut(d, 'host0', MAC.epA, { ...back, dst: EP_A }), 'back');
    });

    it('snatIp: a second client whose reply tuple would be the same drops ct-clash', async () => {
      await write(d.hal, [ins(snat({ srcPrefix: '10.0.0.0/24', priority: 10, snatIp: '192.0.2.50' }))]);
      expect((await send(d, 'host0', q)).disposition).to.equal('FORWARDED');
      expectDrop(await send(d, 'host1', { ...q, src: EP_B }, MAC.epB), 'ct-clash', 'same reply tuple');
      // Another source port does not clash.
      expectEmitted(await send(d, 'host1', { ...q, src: EP_B, sport: 40001 }, MAC.epB), 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...q, src: '192.0.2.50', sport: 40001 }), 'other port');
    });

    it('a higher-priority none exempts traffic from a lower-priority masquerade; a lower-priority none does not', async () => {
      await write(d.hal, [
        ins(masquerade(10, '10.0.0.0/24')),
        ins(snat({ dstPrefix: '8.8.4.4/32', priority: 20, none: {} })),
        ins(snat({ dstPrefix: `${DNS}/32`, priority: 5, none: {} })),
      ]);
      const exempt = { ...q, dst: '8.8.4.4' };
      expectEmitted(await send(d, 'host0', exempt), 'uplink0', frameOut(d, 'uplink0', MAC.router0, exempt), 'exempt');
      expect(sourceOf(await send(d, 'host0', q)).ip, 'not exempt').to.equal(MASQ);
      const [e] = await d.hal.listConntrack({ filter: ctf({ address: '8.8.4.4' }) });
      expect(e.snat ?? false).to.equal(false);
    });

    it('the highest priority wins between two masquerades, whatever the prefix lengths', async () => {
      await write(d.hal, [ins(masquerade(10, `${EP_A}/32`)), ins(snat({ srcPrefix: '10.0.0.0/8', priority: 20, snatIp: '192.0.2.77' }))]);
      expect(sourceOf(await send(d, 'host0', q))).to.deep.equal({ ip: '192.0.2.77', port: 40000 });
    });

    it('traffic no rule matches is not translated', async () => {
      await write(d.hal, [ins(masquerade(10, '10.9.0.0/16'))]);
      expectEmitted(await send(d, 'host0', q), 'uplink0', frameOut(d, 'uplink0', MAC.router0, q), 'untranslated');
    });

    it('SNAT rules see the packet after DNAT: a rule on the backend prefix applies to a VIP flow', async () => {
      await write(d.hal, [
        ins({ backendGroup: { id: 'g', members: [{ ip: '10.1.0.1', port: 5353 }] } }),
        ins({ service: { vip: VIP, protocol: 17, port: 53, balance: { backendGroupId: 'g' } } }),
        ins(snat({ dstPrefix: '10.1.0.0/24', priority: 10, masquerade: { ip: MASQ, ports: { lo: 4000, hi: 4000 } } })),
      ]);
      const f: Flow = { src: EP_A, dst: VIP, sport: 1234, dport: 53 };
      expectEmitted(await send(d, 'host0', f), 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...f, src: MASQ, sport: 4000, dst: '10.1.0.1', dport: 5353 }), 'out');
      const back: Flow = { src: '10.1.0.1', dst: MASQ, sport: 5353, dport: 4000 };
      expectEmitted(await send(d, 'uplink0', back), 'host0', frameOut(d, 'host0', MAC.epA, { src: VIP, dst: EP_A, sport: 53, dport: 1234 }), 'back as the VIP');
      const [e] = await d.hal.listConntrack({});
      expect([e.dnat, e.snat]).to.deep.equal([true, true]);
      expect(e.reply).to.deep.equal({ srcIp: '10.1.0.1', dstIp: MASQ, protocol: 17, srcPort: 5353, dstPort: 4000 });
    });
  });

  describe('service SNAT modes', () => {
    const web = (snatMode: string, snatIp?: string): Entry[] => [
      { backendGroup: { id: 'web', members: [{ ip: EP_A, port: 8080 }] } },
      { service: { vip: VIP, protocol: 6, port: 80, balance: { backendGroupId: 'web', snatMode, ...(snatIp && { snatIp }) } } } as Entry,
    ];

    it('hairpin: a client that is its own backend is source-translated to snatIp, and the reply returns as the VIP', async () => {
      await write(d.hal, web('SNAT_HAIRPIN', '10.0.0.1').map(ins));
      const syn: Flow = { src: EP_A, dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S', seq: 1 };
      const r = await send(d, 'host0', syn);
      const s = sourceOf(r);
      expect(s.ip).to.equal('10.0.0.1');
      expectEmitted(r, 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, src: '10.0.0.1', sport: s.port, dst: EP_A, dport: 8080 }), 'hairpinned SYN');
      const synack: Flow = { src: EP_A, dst: '10.0.0.1', proto: 'tcp', sport: 8080, dport: s.port, flags: 'SA', seq: 9, ack: 2 };
      expectEmitted(await send(d, 'host0', synack, MAC.epA), 'host0', frameOut(d, 'host0', MAC.epA, { ...synack, src: VIP, sport: 80, dst: EP_A, dport: 40000 }), 'SYN-ACK back as the VIP');
    });

    it('hairpin leaves other clients\' sources alone', async () => {
      await write(d.hal, web('SNAT_HAIRPIN', '10.0.0.1').map(ins));
      const syn: Flow = { src: EP_B, dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S' };
      expectEmitted(await send(d, 'host1', syn, MAC.epB), 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, dst: EP_A, dport: 8080 }), 'ep-b to the VIP');
    });

    it('masquerade mode translates every client to snatIp', async () => {
      await write(d.hal, web('SNAT_MASQUERADE', '10.0.0.1').map(ins));
      const syn: Flow = { src: '198.51.100.7', dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S' };
      const r = await send(d, 'uplink0', syn);
      const s = sourceOf(r);
      expect(s.ip).to.equal('10.0.0.1');
      expectEmitted(r, 'host0', frameOut(d, 'host0', MAC.epA, { ...syn, src: '10.0.0.1', sport: s.port, dst: EP_A, dport: 8080 }), 'SYN');
    });

    it('masquerade mode without snatIp still translates the source (the device picks a local address, hal-spec §3.2)', async () => {
      await write(d.hal, web('SNAT_MASQUERADE').map(ins));
      const syn: Flow = { src: '198.51.100.7', dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S' };
      const r = await send(d, 'uplink0', syn);
      const s = sourceOf(r);
      expect(s.ip).to.not.equal('198.51.100.7');
      const [e] = await d.hal.listConntrack({});
      expect(e.snat).to.equal(true);
      expect(e.reply).to.deep.include({ dstIp: s.ip, dstPort: s.port });
      // Whatever address it picked, the backend's answer to it returns to the client as the VIP.
      const synack: Flow = { src: EP_A, dst: s.ip, proto: 'tcp', sport: 8080, dport: s.port, flags: 'SA', seq: 1, ack: 1 };
      const back = await send(d, 'host0', synack, MAC.epA);
      expectEmitted(back, 'uplink0', frameOut(d, 'uplink0', MAC.router0, { ...synack, src: VIP, sport: 80, dst: '198.51.100.7', dport: 40000 }), 'SYN-ACK');
    });

    it('the service mode applies before the snat table', async () => {
      await write(d.hal, [...web('SNAT_MASQUERADE', '10.0.0.1').map(ins), ins(snat({ priority: 100, snatIp: '192.0.2.99' }))]);
      const syn: Flow = { src: '198.51.100.7', dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S' };
      expect(sourceOf(await send(d, 'uplink0', syn)).ip).to.equal('10.0.0.1');
    });
  });
});
