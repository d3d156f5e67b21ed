// Conntrack inputs from real frames, and a whole connection driven by frames.
import { expect } from 'chai';
import { CtEntry, ctPacketOf, tcpWindowScale } from '../../../src/sim/conntrack/index.js';
import { buildIcmpUnreachable } from '../../../src/sim/packet/icmp-errors.js';
import { buildFrame, parsePacket, type FrameSpec, type ParsedPacket } from '../../../src/sim/packet/index.js';
import { makeTable } from './helpers.js';

function parseOk(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.pkt;
}
const ct = (spec: FrameSpec) => {
  const f = buildFrame(spec);
  return ctPacketOf(f, parseOk(f));
};
// MSS 1460, NOP, window scale 7, SACK permitted, NOP NOP (RFC 7323 / 2018 layout).
const SYN_OPTS = Uint8Array.from([2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1]);
const V4 = { src: '10.0.0.1', dst: '10.0.0.2' };

describe('sim/conntrack packet inputs', () => {
  it('TCP: ports, flag byte, segment facts, window scale from SYN options only', () => {
    const syn = ct({ ipv4: V4, tcp: { sport: 40000, dport: 80, seq: 7, flags: 'S', window: 64240, options: SYN_OPTS } })!;
    expect(syn.tuple).to.deep.equal({ srcIp: '10.0.0.1', dstIp: '10.0.0.2', protocol: 6, srcPort: 40000, dstPort: 80 });
    expect(syn.tcpFlags).to.equal(0x02);
    expect(syn.meta.seg).to.deep.equal({ seq: 7, ack: 0, window: 64240, payloadLength: 0, wscale: 7 });
    const data = ct({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2' }, tcp: { sport: 1, dport: 2, seq: 8, ack: 99, flags: 'PA', options: SYN_OPTS }, payload: 'x'.repeat(333), padTo: 0 })!;
    expect(data.tcpFlags).to.equal(0x18);
    expect(data.meta.seg).to.deep.equal({ seq: 8, ack: 99, window: 65535, payloadLength: 333 });
    // Ethernet padding is not payload.
    expect(ct({ ipv4: V4, tcp: { sport: 1, dport: 2, flags: 'A' }, padTo: 60 })!.meta.seg!.payloadLength).to.equal(0);
  });

  it('window-scale parsing stops at malformed options', () => {
    const f = new Uint8Array(40);
    f.set([1, 1, 3, 3, 14], 20);
    expect(tcpWindowScale(f, 0, 28)).to.equal(14);
    f.set([8, 0, 3, 3, 5], 20); // option length 0
    expect(tcpWindowScale(f, 0, 28)).to.equal(undefined);
    f.set([8, 40, 3, 3, 5], 20); // runs past the header
    expect(tcpWindowScale(f, 0, 28)).to.equal(undefined);
    f.set([0, 0, 3, 3, 5], 20); // end of options first
    expect(tcpWindowScale(f, 0, 28)).to.equal(undefined);
  });

  it('UDP, SCTP, ICMP echo (id in srcPort), other ICMP, portless protocols', () => {
    expect(ct({ ipv4: V4, udp: { sport: 5, dport: 53 } })!.tuple).to.include({ protocol: 17, srcPort: 5, dstPort: 53 });
    expect(ct({ ipv4: V4, sctp: { sport: 9, dport: 38412 } })!.tuple).to.include({ protocol: 132, srcPort: 9, dstPort: 38412 });
    const echo = ct({ ipv4: V4, icmp: { type: 8, id: 4242, seq: 3 } })!;
    expect([echo.tuple.srcPort, echo.tuple.dstPort, echo.meta.icmpType, echo.meta.quoted]).to.deep.equal([4242, 0, 8, undefined]);
    const reply6 = ct({ ipv6: { src: '2001:db8::2', dst: '2001:db8::1' }, icmpv6: { type: 129, id: 4242 } })!;
    expect([reply6.tuple.protocol, reply6.tuple.srcPort, reply6.meta.icmpType]).to.deep.equal([58, 4242, 129]);
    const ts = ct({ ipv4: V4, icmp: { type: 13 } })!;
    expect([ts.tuple.srcPort, ts.meta.icmpType]).to.deep.equal([0, 13]);
    expect(ct({ ipv4: { ...V4, protocol: 47 }, payload: new Uint8Array(4) })!.tuple).to.deep.include({ protocol: 47, srcPort: 0, dstPort: 0 });
  });

  it('ICMP errors carry the quoted tuple; unreadable ones are INVALID, never NEW', () => {
    const off = buildFrame({ ipv4: V4, udp: { sport: 5, dport: 53 } });
    const err = buildIcmpUnreachable(off, parseOk(off), 'port')!;
    const p = ctPacketOf(err, parseOk(err))!;
    expect(p.meta).to.deep.equal({ icmpType: 3, quoted: { srcIp: '10.0.0.1', dstIp: '10.0.0.2', protocol: 17, srcPort: 5, dstPort: 53 } });
    const bad = ct({ ipv4: { src: '10.0.0.2', dst: '10.0.0.1' }, icmp: { type: 3, code: 3 }, payload: new Uint8Array(10) })!;
    expect(bad.meta.quoted).to.equal(undefined);
    const t = makeTable();
    expect(t.ct.classify(0, bad.tuple, 0, 0, bad.meta).state).to.equal('INVALID');
    expect(t.ct.commit(0, bad.tuple, undefined, {}, 0, 60, 0, bad.meta)).to.equal('invalid');
    // Neighbour solicitation is neither an echo reply nor an error.
    const ns = ct({ ipv6: { src: '2001:db8::1', dst: 'ff02::1:ff00:2' }, icmpv6: { type: 135 }, payload: new Uint8Array(16) })!;
    expect(t.ct.classify(0, ns.tuple, 0, 0, ns.meta).state).to.equal('NEW');
  });

  it('null for ARP and non-first fragments; a first fragment has its ports', () => {
    expect(ct({ arp: { op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' } })).to.equal(null);
    expect(ct({ ipv4: { ...V4, fragmentOffset: 100 }, udp: { sport: 1, dport: 2 } })).to.equal(null);
    expect(ct({ ipv4: { ...V4, flags: { mf: true } }, udp: { sport: 1, dport: 2 } })!.tuple).to.include({ srcPort: 1, dstPort: 2 });
  });

  it('drives a window-tracked connection from frames: handshake with scaling, data, an out-of-window segment', () => {
    const t = makeTable();
    t.zones.set(0, { tcpWindowTracking: true });
    const A = { eth: {}, ipv4: V4 };
    const B = { eth: {}, ipv4: { src: V4.dst, dst: V4.src } };
    const frames: [FrameSpec, string][] = [
      [{ ...A, tcp: { sport: 40000, dport: 80, seq: 1000, flags: 'S', window: 64240, options: SYN_OPTS } }, 'NEW'],
      [{ ...B, tcp: { sport: 80, dport: 40000, seq: 9000, ack: 1001, flags: 'SA', window: 65160, options: SYN_OPTS } }, 'REPLY'],
      [{ ...A, tcp: { sport: 40000, dport: 80, seq: 1001, ack: 9001, flags: 'A', window: 502 } }, 'ESTABLISHED'],
      [{ ...B, tcp: { sport: 80, dport: 40000, seq: 9001, ack: 1001, flags: 'A', window: 1000 } }, 'REPLY'],
      // 1000 << 7 = 128000 bytes of window: 100000 ahead fits only because both SYNs scaled.
      [{ ...A, tcp: { sport: 40000, dport: 80, seq: 101001, ack: 9001, flags: 'PA', window: 502 }, payload: 'z'.repeat(100) }, 'ESTABLISHED'],
      [{ ...A, tcp: { sport: 40000, dport: 80, seq: 201001, ack: 9001, flags: 'PA', window: 502 }, payload: 'z'.repeat(100) }, 'INVALID'],
    ];
    let entry: CtEntry | undefined;
    frames.forEach(([spec, want], i) => {
      const f = buildFrame(spec);
      const p = ctPacketOf(f, parseOk(f))!;
      const v = t.ct.classify(0, p.tuple, p.tcpFlags, i, p.meta);
      expect(v.state, `frame ${i}`).to.equal(want);
      if (v.state === 'NEW') entry = t.ct.commit(0, p.tuple, undefined, {}, p.tcpFlags, f.length, i, p.meta) as CtEntry;
      else if (v.state !== 'INVALID') expect(t.ct.update(v.entry!, v.direction!, p.tcpFlags, f.length, i, p.meta.seg)).to.equal(true);
    });
    expect(t.ct.toHal(entry!)).to.deep.include({ tcpState: 'TCP_ESTABLISHED', replied: true });
    expect([entry!.origPackets, entry!.replyPackets]).to.deep.equal([3, 2]);
  });
});
