import { expect } from 'chai';
import { buildFrame, parsePacket, type FrameSpec, type ParsedPacket } from '../../../src/sim/packet/index.js';
import { quotedTuple } from '../../../src/sim/packet/icmp-errors.js';
import { rewriteQuoted } from '../../../src/sim/packet/icmp-quote-nat.js';

// Each case builds the error twice with the frame builder (full checksums): once
// quoting the translated packet, once quoting the packet before translation. The
// rewrite of the first must give exactly the second.

const ETH = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

function parsed(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.pkt;
}

/** The IP packet of `spec` (no Ethernet header), optionally cut to `len` bytes. */
function ipPacket(spec: FrameSpec, len?: number): Uint8Array {
  const f = buildFrame({ eth: ETH, ...spec }).subarray(14);
  return len === undefined ? f : f.subarray(0, len);
}

function errorV4(quote: Uint8Array): Uint8Array {
  return buildFrame({ eth: ETH, ipv4: { src: '192.0.2.254', dst: '10.0.0.1' }, icmp: { type: 3, code: 4 }, payload: quote });
}

function errorV6(quote: Uint8Array): Uint8Array {
  return buildFrame({ eth: ETH, ipv6: { src: '2001:db8::fe', dst: '2001:db8::1' }, icmpv6: { type: 2, code: 0 }, payload: quote });
}

function rewritten(frame: Uint8Array, want: { srcIp: string; dstIp: string; srcPort: number; dstPort: number }): { frame: Uint8Array; n: number } {
  const copy = frame.slice();
  const pkt = parsed(copy);
  const q = quotedTuple(copy, pkt);
  expect(q, 'quoted tuple').to.not.equal(null);
  return { frame: copy, n: rewriteQuoted(copy, pkt, q!, want) };
}

describe('packet/icmp-quote-nat', () => {
  it('IPv4 UDP, whole quote: addresses, ports, quoted IP and UDP checksums, and the ICMP checksum', () => {
    const after: FrameSpec = { ipv4: { src: '10.1.0.1', dst: '203.0.113.9', ttl: 63 }, udp: { sport: 5353, dport: 53 }, payload: 'query' };
    const before: FrameSpec = { ipv4: { src: '10.1.0.1', dst: '10.96.0.10', ttl: 63 }, udp: { sport: 5353, dport: 8053 }, payload: 'query' };
    const got = rewritten(errorV4(ipPacket(after)), { srcIp: '10.1.0.1', dstIp: '10.96.0.10', srcPort: 5353, dstPort: 8053 });
    expect(got.n).to.equal(1);
    expect(Buffer.from(got.frame).toString('hex')).to.equal(Buffer.from(errorV4(ipPacket(before))).toString('hex'));
    expect(parsePacket(got.frame).ok, 'outer checksums verify').to.equal(true);
  });

  it('IPv4 UDP without a checksum keeps it zero', () => {
    const withZero = (spec: FrameSpec) => { const p = ipPacket(spec); p[26] = 0; p[27] = 0; return p; };
    const after: FrameSpec = { ipv4: { src: '192.0.2.100', dst: '198.51.100.1' }, udp: { sport: 20000, dport: 53 }, payload: 'x' };
    const before: FrameSpec = { ipv4: { src: '10.0.0.5', dst: '198.51.100.1' }, udp: { sport: 5000, dport: 53 }, payload: 'x' };
    const got = rewritten(errorV4(withZero(after)), { srcIp: '10.0.0.5', dstIp: '198.51.100.1', srcPort: 5000, dstPort: 53 });
    expect(Buffer.from(got.frame).toString('hex')).to.equal(Buffer.from(errorV4(withZero(before))).toString('hex'));
  });

  it('IPv6 echo request quoted in a packet-too-big: identifier and the pseudo-header checksum', () => {
    const after: FrameSpec = { ipv6: { src: '2001:db8::100', dst: '2001:db8:9::1' }, icmpv6: { type: 128, code: 0, id: 30000, seq: 7 }, payload: 'ping' };
    const before: FrameSpec = { ipv6: { src: '2001:db8::1', dst: '2001:db8:9::1' }, icmpv6: { type: 128, code: 0, id: 77, seq: 7 }, payload: 'ping' };
    const got = rewritten(errorV6(ipPacket(after)), { srcIp: '2001:db8::1', dstIp: '2001:db8:9::1', srcPort: 77, dstPort: 0 });
    expect(got.n).to.equal(1);
    expect(Buffer.from(got.frame).toString('hex')).to.equal(Buffer.from(errorV6(ipPacket(before))).toString('hex'));
  });

  it('IPv6 TCP cut after 8 bytes: ports change, the absent checksum is not written past the quote', () => {
    const after: FrameSpec = { ipv6: { src: '2001:db8::100', dst: '2001:db8:9::1' }, tcp: { sport: 20001, dport: 443, flags: 'S', seq: 1 } };
    const before: FrameSpec = { ipv6: { src: '2001:db8::1', dst: '2001:db8:9::1' }, tcp: { sport: 40001, dport: 443, flags: 'S', seq: 1 } };
    const got = rewritten(errorV6(ipPacket(after, 48)), { srcIp: '2001:db8::1', dstIp: '2001:db8:9::1', srcPort: 40001, dstPort: 443 });
    expect(Buffer.from(got.frame).toString('hex')).to.equal(Buffer.from(errorV6(ipPacket(before, 48))).toString('hex'));
  });

  it('changes nothing when the quote already reads as wanted', () => {
    const spec: FrameSpec = { ipv4: { src: '10.1.0.1', dst: '10.96.0.10' }, udp: { sport: 1, dport: 2 } };
    const frame = errorV4(ipPacket(spec));
    const got = rewritten(frame, { srcIp: '10.1.0.1', dstIp: '10.96.0.10', srcPort: 1, dstPort: 2 });
    expect(got.n).to.equal(0);
    expect(Buffer.from(got.frame).equals(Buffer.from(frame))).to.equal(true);
  });
});
