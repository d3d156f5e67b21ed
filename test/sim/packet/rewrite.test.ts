import { expect } from 'chai';
import {
  buildFrame, decrementTtl, expectedIpv4Checksum, expectedL4Checksum, parsePacket, refreshChecksums, rewriteDst,
  rewriteSrc, setMacs, verifyChecksums, rd16, rd32, buildVxlan,
  type ParsedPacket,
} from '../../../src/sim/packet/index.js';
import { innerTcp, mulberry32, validCorpus } from './helpers.js';

function parseOk(frame: Uint8Array): ParsedPacket {
  const r = parsePacket(frame);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}: ${r.detail}`);
  return r.pkt;
}

const V4 = { src: '10.0.0.1', dst: '10.0.0.2' };
const V6 = { src: '2001:db8::1', dst: '2001:db8::2' };

describe('packet/rewrite', () => {
  it('DNAT + SNAT on IPv4 TCP keeps every checksum valid and updates pkt', () => {
    const f = buildFrame({ ipv4: { src: '192.168.1.10', dst: '10.96.0.10' }, tcp: { sport: 40000, dport: 80, flags: 'S' }, payload: 'GET /' });
    const p = parseOk(f);
    expect(rewriteDst(f, p, '10.244.1.7', 8080)).to.equal(true);
    expect(rewriteSrc(f, p, '10.0.0.1', 61000)).to.equal(true);
    expect(verifyChecksums(f)).to.deep.equal([]);
    const q = parseOk(f);
    expect(q.l3).to.deep.include({ src: '10.0.0.1', dst: '10.244.1.7' });
    expect(q.l4).to.deep.include({ srcPort: 61000, dstPort: 8080 });
    expect(p.l3).to.deep.include({ src: '10.0.0.1', dst: '10.244.1.7', checksum: rd16(f, 24) });
    expect(p.l4).to.deep.include({ srcPort: 61000, dstPort: 8080, checksum: rd16(f, 50) });
  });

  it('NAT on UDP, ICMP echo id, ICMPv6, SCTP (CRC recompute) and IPv6 TCP', () => {
    const cases: [Uint8Array, string, string][] = [
      [buildFrame({ ipv4: V4, udp: { sport: 1, dport: 53 }, payload: 'q' }), '10.9.9.9', '10.8.8.8'],
      [buildFrame({ ipv4: V4, icmp: { type: 8, id: 77, seq: 1 }, payload: 'p' }), '10.9.9.9', '10.8.8.8'],
      [buildFrame({ ipv6: V6, icmpv6: { type: 128, id: 77, seq: 1 }, payload: 'p' }), '2001:db8::99', 'fd00::1'],
      [buildFrame({ ipv4: V4, sctp: { sport: 1, dport: 2, tag: 3 }, payload: new Uint8Array(16) }), '10.9.9.9', '10.8.8.8'],
      [buildFrame({ ipv6: V6, tcp: { sport: 1, dport: 2 }, payload: 'abc' }), '2001:db8::99', 'fd00::1'],
      [buildFrame({ ipv6: V6, udp: { sport: 1, dport: 2 }, payload: 'abc' }), '2001:db8::99', 'fd00::1'],
    ];
    for (const [f, s, d] of cases) {
      const p = parseOk(f);
      expect(rewriteSrc(f, p, s, 1234)).to.equal(true);
      expect(rewriteDst(f, p, d, 4321)).to.equal(true);
      expect(verifyChecksums(f), p.l4?.kind).to.deep.equal([]);
      const q = parseOk(f);
      expect(q.l3).to.deep.include({ src: s, dst: d });
      if (q.l4?.kind === 'icmp' || q.l4?.kind === 'icmpv6') expect(q.l4.id).to.equal(4321);
      else expect(q.l4).to.deep.include({ srcPort: 1234, dstPort: 4321 });
    }
  });

  it('works on Node Buffers (whose slice() is a view, not a copy)', () => {
    const f = Buffer.from(buildFrame({ ipv4: V4, tcp: { sport: 1, dport: 2 }, payload: 'abc' }));
    const p = parseOk(f);
    expect(rewriteSrc(f, p, '172.16.5.5', 999)).to.equal(true);
    expect(verifyChecksums(f)).to.deep.equal([]);
  });

  it('a zero UDP checksum over IPv4 stays zero', () => {
    const f = buildFrame({ ipv4: V4, udp: { sport: 1, dport: 2, checksum: false }, payload: 'x' });
    const p = parseOk(f);
    rewriteDst(f, p, '1.2.3.4', 99);
    expect(rd16(f, 34 + 6)).to.equal(0);
    expect(verifyChecksums(f)).to.deep.equal([]);
  });

  it('rejects mismatched family, bad text, or a port with nowhere to go — without changing bytes', () => {
    const f = buildFrame({ ipv4: { ...V4, fragmentOffset: 5, protocol: 6 }, payload: new Uint8Array(8) });
    const before = f.slice();
    const p = parseOk(f);
    expect(rewriteDst(f, p, '2001:db8::1')).to.equal(false);
    expect(rewriteDst(f, p, 'nonsense')).to.equal(false);
    expect(rewriteDst(f, p, '1.2.3.4', 80)).to.equal(false); // non-first fragment has no port
    expect(f).to.deep.equal(before);
    expect(rewriteDst(f, p, '1.2.3.4')).to.equal(true); // the address alone is fine
    expect(verifyChecksums(f)).to.deep.equal([]);
  });

  it('IPv6 dst rewrite with an in-transit routing header leaves the L4 pseudo-header alone', () => {
    const f = buildFrame({ ipv6: { ...V6, extensions: [{ type: 'routing', addresses: ['2001:db8::77', '2001:db8::2'], segmentsLeft: 1 }] }, udp: { sport: 1, dport: 2 }, payload: 'x' });
    const p = parseOk(f);
    rewriteDst(f, p, '2001:db8::3');
    expect(verifyChecksums(f)).to.deep.equal([]);
  });

  it('decrementTtl: IPv4 checksum patched, IPv6 hop limit, refuses to reach zero', () => {
    const f = buildFrame({ ipv4: { ...V4, ttl: 2 }, tcp: { sport: 1, dport: 2 } });
    const p = parseOk(f);
    expect(decrementTtl(f, p)).to.equal(true);
    expect(f[22]).to.equal(1);
    expect(verifyChecksums(f)).to.deep.equal([]);
    const snapshot = f.slice();
    expect(decrementTtl(f, p)).to.equal(false);
    expect(f).to.deep.equal(snapshot);
    const g = buildFrame({ ipv6: { ...V6, hopLimit: 64 }, udp: { sport: 1, dport: 2 } });
    const q = parseOk(g);
    expect(decrementTtl(g, q)).to.equal(true);
    expect(parseOk(g).l3).to.deep.include({ hopLimit: 63 });
    const h = buildFrame({ ipv6: { ...V6, hopLimit: 1 } });
    expect(decrementTtl(h, parseOk(h))).to.equal(false);
  });

  it('setMacs writes MACs and rejects bad text', () => {
    const f = buildFrame({ eth: { vlan: 3 }, ipv4: V4, udp: { sport: 1, dport: 2 } });
    const p = parseOk(f);
    expect(setMacs(f, p, 'AA:00:00:00:00:01', '02:00:00:00:00:99')).to.equal(true);
    expect(parseOk(f).eth).to.deep.include({ src: 'aa:00:00:00:00:01', dst: '02:00:00:00:00:99' });
    expect(setMacs(f, p, null, 'zz')).to.equal(false);
  });

  it('rewriting a tunnel inner packet, then refreshChecksums, fixes the outer UDP checksum', () => {
    const f = buildVxlan({ ipv4: V4 }, 10, innerTcp());
    const p = parseOk(f);
    const inner = p.tunnel!.inner!;
    rewriteDst(f, inner, '192.168.9.9', 8080);
    expect(verifyChecksums(f)).to.deep.equal(['udp']); // inner already right, outer stale
    expect(refreshChecksums(f)).to.deep.equal(['udp']);
    expect(verifyChecksums(f)).to.deep.equal([]);
  });

  it('incremental updates equal a full recompute over many random rewrites', () => {
    const rnd = mulberry32(20240601);
    const corpus = validCorpus().filter((c) => {
      const r = parsePacket(c.frame);
      return r.ok && r.pkt.l3 && r.pkt.l3.kind !== 'arp' && !r.pkt.tunnel;
    });
    const randIp = (v6: boolean): string => v6
      ? Array.from({ length: 8 }, () => (rnd() & 0xffff).toString(16)).join(':')
      : Array.from({ length: 4 }, () => rnd() & 0xff).join('.');
    let compared = 0;
    for (let n = 0; n < 3000; n++) {
      const c = corpus[rnd() % corpus.length];
      const f = c.frame.slice();
      const p = parseOk(f);
      const v6 = p.l3!.kind === 'ipv6';
      for (let k = 0; k < 1 + (rnd() % 4); k++) {
        const port = rnd() % 3 === 0 ? undefined : rnd() & 0xffff;
        const fn = rnd() & 1 ? rewriteSrc : rewriteDst;
        fn(f, p, randIp(v6), port);
        if (rnd() % 4 === 0) decrementTtl(f, p);
      }
      if (p.l3?.kind === 'ipv4') {
        expect(rd16(f, p.l3.offset + 10), `${c.name} #${n} ipv4`).to.equal(expectedIpv4Checksum(f, p));
        compared++;
      }
      const want = expectedL4Checksum(f, p);
      if (want !== null && p.l4 && p.l4.kind !== 'esp') {
        const got = p.l4.kind === 'sctp' ? rd32(f, p.l4.offset + 8) : rd16(f, p.l4.offset + (p.l4.kind === 'tcp' ? 16 : p.l4.kind === 'udp' ? 6 : 2));
        expect(got, `${c.name} #${n} ${p.l4.kind}`).to.equal(want);
        compared++;
      }
      expect(verifyChecksums(f), `${c.name} #${n}`).to.deep.equal([]);
    }
    expect(compared).to.be.greaterThan(3000);
  });
});
