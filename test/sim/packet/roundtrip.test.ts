import { expect } from 'chai';
import {
  buildFrame, parsePacket, BuildError, tcpFlagBits, verifyChecksums,
  type ParsedPacket,
} from '../../../src/sim/packet/index.js';
import { SCTP_DATA_CHUNK, fromHex, validCorpus } from './helpers.js';

function parseOk(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  return r.pkt;
}

const text = (b: Uint8Array, from: number, to: number): string => new TextDecoder().decode(b.subarray(from, to));

describe('packet/build -> parse round trips', () => {
  it('every corpus frame parses and carries valid checksums', () => {
    for (const { name, frame } of validCorpus()) {
      expect(parsePacket(frame).ok, name).to.equal(true);
      expect(verifyChecksums(frame), name).to.deep.equal([]);
    }
  });

  it('Ethernet + 802.1Q tag + IPv4 + TCP', () => {
    const f = buildFrame({
      eth: { src: '02:00:00:00:00:0A', dst: 'ff:ff:ff:ff:ff:ff', vlan: 0x2064 },
      ipv4: { src: '10.1.2.3', dst: '172.16.0.9', ttl: 17, id: 0xbeef, dscp: 46, ecn: 1, flags: { df: true } },
      tcp: { sport: 43210, dport: 443, seq: 0xfffffff0, ack: 12345, flags: 'SA', window: 1024 },
      payload: 'hi there',
    });
    const p = parseOk(f);
    expect(p.eth).to.deep.include({ src: '02:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff', vlans: [0x064], vlanTcis: [0x2064], vlanTpids: [0x8100], etherType: 0x0800, offset: 0, headerLength: 18 });
    expect(p.l3).to.deep.include({ kind: 'ipv4', offset: 18, headerLength: 20, src: '10.1.2.3', dst: '172.16.0.9', ttl: 17, id: 0xbeef, dscp: 46, ecn: 1, df: true, mf: false, fragmentOffset: 0, protocol: 6, totalLength: 48 });
    expect(p.l4).to.deep.include({ kind: 'tcp', offset: 38, srcPort: 43210, dstPort: 443, seq: 0xfffffff0, ack: 12345, dataOffset: 20, flagBits: 0x12, window: 1024 });
    expect(p.l4?.kind === 'tcp' && p.l4.flags).to.deep.equal({ fin: false, syn: true, rst: false, psh: false, ack: true, urg: false, ece: false, cwr: false });
    expect(p.fragment).to.equal(false);
    expect(text(f, p.payloadOffset, p.payloadEnd)).to.equal('hi there');
    expect(p.length).to.equal(f.length);
  });

  it('TCP flag strings and objects', () => {
    expect(tcpFlagBits('S')).to.equal(0x02);
    expect(tcpFlagBits('SA')).to.equal(0x12);
    expect(tcpFlagBits('FA')).to.equal(0x11);
    expect(tcpFlagBits('R')).to.equal(0x04);
    expect(tcpFlagBits('PAUEC')).to.equal(0xf8);
    expect(tcpFlagBits({ fin: true, psh: true })).to.equal(0x09);
    expect(() => tcpFlagBits('Q')).to.throw(BuildError);
  });

  it('IPv4 options and TCP options', () => {
    const f = buildFrame({ ipv4: { src: '1.1.1.1', dst: '2.2.2.2', options: fromHex('940400') }, tcp: { sport: 1, dport: 2, options: fromHex('020405b40101') } });
    const p = parseOk(f);
    expect(p.l3?.kind === 'ipv4' && p.l3.headerLength).to.equal(24);
    expect(p.l3?.kind === 'ipv4' && Array.from(p.l3.options)).to.deep.equal([0x94, 4, 0, 0]);
    expect(p.l4?.kind === 'tcp' && p.l4.dataOffset).to.equal(28);
  });

  it('Ethernet padding after a short IPv4 packet is allowed and excluded', () => {
    const f = buildFrame({ ipv4: { src: '1.1.1.1', dst: '2.2.2.2' }, udp: { sport: 7, dport: 9 }, payload: 'x', padTo: 60 });
    expect(f.length).to.equal(60);
    const p = parseOk(f);
    expect(p.payloadEnd).to.equal(14 + 20 + 9);
    expect(p.l4).to.deep.include({ kind: 'udp', srcPort: 7, dstPort: 9, length: 9 });
  });

  it('QinQ + IPv6 + UDP', () => {
    const f = buildFrame({
      eth: { vlan: [100, 200] },
      ipv6: { src: '2001:db8:0:0:1::1', dst: 'fe80::1', hopLimit: 3, flowLabel: 0xabcde, trafficClass: 0xb8 },
      udp: { sport: 5353, dport: 53 },
      payload: 'query',
    });
    const p = parseOk(f);
    expect(p.eth.vlans).to.deep.equal([100, 200]);
    expect(p.eth.vlanTpids).to.deep.equal([0x88a8, 0x8100]);
    expect(p.l3).to.deep.include({ kind: 'ipv6', offset: 22, src: '2001:db8::1:0:0:1', dst: 'fe80::1', hopLimit: 3, flowLabel: 0xabcde, trafficClass: 0xb8, payloadLength: 13, nextHeader: 17, upperProtocol: 17, upperOffset: 62 });
    expect(p.l4).to.deep.include({ kind: 'udp', srcPort: 5353, dstPort: 53, length: 13 });
    expect(text(f, p.payloadOffset, p.payloadEnd)).to.equal('query');
  });

  it('IPv6 extension header chain is walked to the upper layer', () => {
    const f = buildFrame({
      ipv6: {
        src: '2001:db8::1', dst: '2001:db8::2',
        extensions: [
          { type: 'hop-by-hop', options: [{ type: 5, data: new Uint8Array(2) }] },
          { type: 'destination', options: [{ type: 0x1e, data: new Uint8Array(10) }] },
          { type: 'routing', addresses: ['2001:db8::99', '2001:db8::2'], segmentsLeft: 1 },
          { type: 'fragment', id: 0x01020304 },
          { type: 'ah', spi: 0x100, seq: 1 },
        ],
      },
      tcp: { sport: 1, dport: 2 },
    });
    const p = parseOk(f);
    if (p.l3?.kind !== 'ipv6') throw new Error('not ipv6');
    expect(p.l3.nextHeader).to.equal(0);
    expect(p.l3.extensions.map((e) => [e.type, e.length, e.nextHeader])).to.deep.equal([[0, 8, 60], [60, 16, 43], [43, 40, 44], [44, 8, 51], [51, 24, 6]]);
    expect(p.l3.fragment).to.deep.equal({ offset: 0, more: false, id: 0x01020304 });
    expect(p.fragment).to.equal(false); // atomic fragment
    expect(p.l3.upperProtocol).to.equal(6);
    expect(p.l4).to.deep.include({ kind: 'tcp', srcPort: 1, dstPort: 2, offset: 14 + 40 + 8 + 16 + 40 + 8 + 24 });
  });

  it('IPv6 with no next header (59) parses with no L4', () => {
    const p = parseOk(buildFrame({ ipv6: { src: '::1', dst: '::2' }, payload: 'ignored' }));
    expect(p.l3?.kind === 'ipv6' && p.l3.upperProtocol).to.equal(59);
    expect(p.l4).to.equal(undefined);
  });

  it('ICMP echo and non-echo', () => {
    const p = parseOk(buildFrame({ ipv4: { src: '1.1.1.1', dst: '2.2.2.2' }, icmp: { type: 8, id: 0x1234, seq: 7 }, payload: 'abc' }));
    expect(p.l4).to.deep.include({ kind: 'icmp', type: 8, code: 0, id: 0x1234, seq: 7 });
    const q = parseOk(buildFrame({ ipv4: { src: '1.1.1.1', dst: '2.2.2.2' }, icmp: { type: 3, code: 4, seq: 1400 } }));
    expect(q.l4).to.deep.include({ kind: 'icmp', type: 3, code: 4 });
    expect(q.l4 && 'id' in q.l4).to.equal(false);
  });

  it('ICMPv6 echo and neighbour solicitation', () => {
    const p = parseOk(buildFrame({ ipv6: { src: '2001:db8::1', dst: '2001:db8::2' }, icmpv6: { type: 129, id: 5, seq: 6 } }));
    expect(p.l4).to.deep.include({ kind: 'icmpv6', type: 129, code: 0, id: 5, seq: 6 });
    const q = parseOk(buildFrame({ ipv6: { src: 'fe80::1', dst: 'ff02::1:ff00:2', hopLimit: 255 }, icmpv6: { type: 135 }, payload: new Uint8Array(16) }));
    expect(q.l4).to.deep.include({ kind: 'icmpv6', type: 135, code: 0 });
  });

  it('SCTP over IPv4 and IPv6', () => {
    for (const l3 of [{ ipv4: { src: '1.1.1.1', dst: '2.2.2.2' } }, { ipv6: { src: '::1', dst: '::2' } }]) {
      const p = parseOk(buildFrame({ ...l3, sctp: { sport: 36412, dport: 36412, tag: 0xdeadbeef }, payload: SCTP_DATA_CHUNK }));
      expect(p.l4).to.deep.include({ kind: 'sctp', srcPort: 36412, dstPort: 36412, verificationTag: 0xdeadbeef });
    }
  });

  it('ESP over IPv4 and IPv6 keeps the payload opaque', () => {
    for (const l3 of [{ ipv4: { src: '1.1.1.1', dst: '2.2.2.2' } }, { ipv6: { src: '::1', dst: '::2' } }]) {
      const p = parseOk(buildFrame({ ...l3, esp: { spi: 0xc0ffee, seq: 42 }, payload: new Uint8Array(40).fill(0xaa) }));
      expect(p.l4).to.deep.include({ kind: 'esp', spi: 0xc0ffee, seq: 42 });
      expect(p.payloadEnd - p.payloadOffset).to.equal(40);
    }
  });

  it('ARP request and reply', () => {
    const req = buildFrame({ arp: { op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetIp: '10.0.0.2' } });
    const p = parseOk(req);
    expect(p.eth.dst).to.equal('ff:ff:ff:ff:ff:ff');
    expect(p.l3).to.deep.equal({ kind: 'arp', offset: 14, op: 1, senderMac: '02:00:00:00:00:01', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
    const rep = parseOk(buildFrame({ eth: { dst: '02:00:00:00:00:01' }, arp: { op: 'reply', senderMac: '02:00:00:00:00:02', senderIp: '10.0.0.2', targetMac: '02:00:00:00:00:01', targetIp: '10.0.0.1' } }));
    expect(rep.l3).to.deep.include({ op: 2, senderMac: '02:00:00:00:00:02', targetIp: '10.0.0.1' });
  });

  it('unknown EtherType parses with no L3', () => {
    const p = parseOk(buildFrame({ eth: { etherType: 0x88cc }, payload: new Uint8Array(30) }));
    expect(p.eth.etherType).to.equal(0x88cc);
    expect(p.l3).to.equal(undefined);
  });

  it('IPv4 fragments: L4 only on the first, checksums of fragments not verified', () => {
    const first = parseOk(buildFrame({ ipv4: { src: '1.1.1.1', dst: '2.2.2.2', id: 9, flags: { mf: true } }, udp: { sport: 1, dport: 2 }, payload: new Uint8Array(64) }));
    expect(first.fragment).to.equal(true);
    expect(first.l4).to.deep.include({ kind: 'udp', srcPort: 1, dstPort: 2 });
    const later = buildFrame({ ipv4: { src: '1.1.1.1', dst: '2.2.2.2', id: 9, fragmentOffset: 9, protocol: 6 }, payload: new Uint8Array(30) });
    const p = parseOk(later);
    expect(p.fragment).to.equal(true);
    expect(p.l3).to.deep.include({ fragmentOffset: 9, mf: false, protocol: 6 });
    expect(p.l4).to.equal(undefined);
  });

  it('IPv6 non-first fragment has no L4', () => {
    const p = parseOk(buildFrame({ ipv6: { src: '::1', dst: '::2', extensions: [{ type: 'fragment', offset: 100, more: true, id: 3 }], nextHeader: 17 }, payload: new Uint8Array(8) }));
    expect(p.fragment).to.equal(true);
    expect(p.l3?.kind === 'ipv6' && p.l3.fragment).to.deep.equal({ offset: 100, more: true, id: 3 });
    expect(p.l4).to.equal(undefined);
  });

  it('builder rejects bad specs', () => {
    expect(() => buildFrame({ ipv4: { src: '1.2.3', dst: '1.1.1.1' } })).to.throw(BuildError, /IPv4/);
    expect(() => buildFrame({ tcp: { sport: 1, dport: 2 } })).to.throw(BuildError);
    expect(() => buildFrame({ ipv4: { src: '1.1.1.1', dst: '1.1.1.1' }, tcp: { sport: 70000, dport: 2 } })).to.throw(BuildError, /sport/);
    expect(() => buildFrame({ ipv4: { src: '1.1.1.1', dst: '1.1.1.1' }, options: undefined, udp: { sport: 1, dport: 2 }, tcp: { sport: 1, dport: 2 } } as never)).to.throw(BuildError);
  });
});
