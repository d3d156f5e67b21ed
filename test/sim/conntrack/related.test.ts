// RELATED: ICMP errors built by src/sim/packet/icmp-errors.ts, parsed back, and
// classified against committed connections.
import { expect } from 'chai';
import { CtEntry, type Tuple } from '../../../src/sim/conntrack/index.js';
import { buildIcmpUnreachable, quotedTuple } from '../../../src/sim/packet/icmp-errors.js';
import { buildFrame, parsePacket, type FrameSpec, type ParsedPacket } from '../../../src/sim/packet/index.js';
import { F, makeTable, tcp, udp } from './helpers.js';

function parseOk(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.pkt;
}

/** The ICMP error a host sends about `spec` (a packet it received), as the device then sees it. */
function errorAbout(spec: FrameSpec, kind: 'port' | 'admin' = 'port') {
  const f = buildFrame(spec);
  const err = buildIcmpUnreachable(f, parseOk(f), kind)!;
  const pkt = parseOk(err);
  const l3 = pkt.l3 as { src: string; dst: string };
  const q = quotedTuple(err, pkt)!;
  const quoted: Tuple = { srcIp: q.srcIp, dstIp: q.dstIp, protocol: q.protocol, srcPort: q.srcPort, dstPort: q.dstPort };
  const own: Tuple = { srcIp: l3.src, dstIp: l3.dst, protocol: pkt.l4!.kind === 'icmp' ? 1 : 58, srcPort: 0, dstPort: 0 };
  return { own, quoted };
}

describe('sim/conntrack RELATED', () => {
  it('an unreachable from a DNAT backend about a masqueraded packet is RELATED in the reply direction', () => {
    const t = makeTable();
    const orig = udp('10.1.0.5', 5353, '10.96.0.53', 53);
    const e = t.ct.commit(0, orig, { dnat: { ip: '10.2.0.9', port: 53 }, snat: { ip: '10.2.0.1', port: 61000 } }, {}, 0, 60, 0) as CtEntry;
    // What left the device towards the backend, after DNAT and SNAT:
    const { own, quoted } = errorAbout({ ipv4: { src: '10.2.0.1', dst: '10.2.0.9' }, udp: { sport: 61000, dport: 53 } });
    expect(own.srcIp).to.equal('10.2.0.9');
    const v = t.ct.classify(0, own, 0, 1, { quoted, icmpType: 3 });
    expect([v.state, v.entry, v.direction]).to.deep.equal(['RELATED', e, 'reply']);
    // The same error in another zone relates to nothing.
    expect(t.ct.classify(1, own, 0, 1, { quoted }).state).to.equal('INVALID');
  });

  it('an error from the client about a reply packet is RELATED in the original direction (TCP, IPv6)', () => {
    const t = makeTable();
    const orig = tcp('2001:db8::5', 40000, '2001:db8::10', 443);
    const e = t.ct.commit(0, orig, undefined, {}, F.SYN, 80, 0) as CtEntry;
    const { own, quoted } = errorAbout({ ipv6: { src: '2001:db8::10', dst: '2001:db8::5' }, tcp: { sport: 443, dport: 40000, flags: 'SA' } }, 'admin');
    const v = t.ct.classify(0, own, 0, 1, { quoted });
    expect([v.state, v.entry, v.direction]).to.deep.equal(['RELATED', e, 'original']);
  });

  it('an error about a plain (un-NATed) packet and about an echo request', () => {
    const t = makeTable();
    const u = t.ct.commit(0, udp('10.1.0.5', 7000, '10.3.0.3', 9999), undefined, {}, 0, 60, 0) as CtEntry;
    const a = errorAbout({ ipv4: { src: '10.1.0.5', dst: '10.3.0.3' }, udp: { sport: 7000, dport: 9999 } });
    expect(t.ct.classify(0, a.own, 0, 1, { quoted: a.quoted })).to.deep.include({ state: 'RELATED', entry: u, direction: 'reply' });
    const ping = t.ct.commit(0, { srcIp: '10.1.0.5', dstIp: '10.3.0.3', protocol: 1, srcPort: 99, dstPort: 0 }, undefined, {}, 0, 84, 0, { icmpType: 8 }) as CtEntry;
    const b = errorAbout({ ipv4: { src: '10.1.0.5', dst: '10.3.0.3' }, icmp: { type: 8, id: 99, seq: 1 } });
    expect(b.quoted).to.deep.equal({ srcIp: '10.1.0.5', dstIp: '10.3.0.3', protocol: 1, srcPort: 99, dstPort: 0 });
    expect(t.ct.classify(0, b.own, 0, 1, { quoted: b.quoted })).to.deep.include({ state: 'RELATED', entry: ping, direction: 'reply' });
  });

  it('an error quoting no connection, or an expired one, is INVALID', () => {
    const t = makeTable();
    const { own, quoted } = errorAbout({ ipv4: { src: '10.1.0.5', dst: '10.3.0.3' }, udp: { sport: 1, dport: 2 } });
    expect(t.ct.classify(0, own, 0, 0, { quoted }).state).to.equal('INVALID');
    t.ct.commit(0, udp('10.1.0.5', 1, '10.3.0.3', 2), undefined, {}, 0, 60, 0);
    expect(t.ct.classify(0, own, 0, 0, { quoted }).state).to.equal('RELATED');
    t.clock.advanceTo(30e9);
    expect(t.ct.classify(0, own, 0, 30e9, { quoted }).state).to.equal('INVALID');
  });
});
