import { expect } from 'chai';
import { CtEntry, allocateSnatPort, portRange, type Tuple } from '../../../src/sim/conntrack/index.js';
import { F, S, icmp, makeTable, tcp, udp } from './helpers.js';

const MASQ = '192.0.2.1';

function masq(t: ReturnType<typeof makeTable>, o: Tuple, range?: { lo: number; hi: number }, zone = 0): CtEntry | string {
  const now = t.clock.now;
  const port = allocateSnatPort(t.ct, zone, o, { snatIp: MASQ, range, nowNs: now });
  if (port === 'exhausted') return port;
  const r = t.ct.commit(zone, o, { snat: { ip: MASQ, port } }, {}, o.protocol === 6 ? F.SYN : 0, 60, now);
  expect(r, 'allocated port must never clash').to.be.instanceOf(CtEntry);
  return r;
}

describe('sim/conntrack port allocator', () => {
  it('gives every connection to one destination a distinct port within the default range', () => {
    const t = makeTable({ maxEntries: 10000 });
    const ports = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const e = masq(t, tcp(`10.1.${i >> 8}.${i & 255}`, 40000, '203.0.113.5', 443)) as CtEntry;
      ports.add(e.reply.dstPort);
      expect(e.reply.dstPort).to.be.within(1024, 65535);
      expect(e.reply.dstIp).to.equal(MASQ);
    }
    expect(ports.size).to.equal(2000);
  });

  it('is deterministic and spreads the start by flow', () => {
    const a = makeTable();
    const b = makeTable();
    const o = udp('10.1.0.1', 5000, '203.0.113.5', 53);
    const pa = allocateSnatPort(a.ct, 0, o, { snatIp: MASQ, nowNs: 0 });
    expect(allocateSnatPort(b.ct, 0, o, { snatIp: MASQ, nowNs: 0 })).to.equal(pa);
    const starts = new Set<number | string>();
    for (let i = 0; i < 50; i++) starts.add(allocateSnatPort(a.ct, 0, udp('10.1.0.1', 5000 + i, '203.0.113.5', 53), { snatIp: MASQ, nowNs: 0 }));
    expect(starts.size).to.be.greaterThan(45);
  });

  it('reuses a port toward a different destination (the reply tuple differs), not toward the same one', () => {
    const t = makeTable();
    const range = { lo: 50000, hi: 50000 };
    expect((masq(t, tcp('10.1.0.1', 1111, '203.0.113.5', 443), range) as CtEntry).reply.dstPort).to.equal(50000);
    expect((masq(t, tcp('10.1.0.2', 2222, '203.0.113.6', 443), range) as CtEntry).reply.dstPort).to.equal(50000);
    expect((masq(t, tcp('10.1.0.3', 3333, '203.0.113.5', 8443), range) as CtEntry).reply.dstPort).to.equal(50000);
    expect(masq(t, tcp('10.1.0.4', 4444, '203.0.113.5', 443), range)).to.equal('exhausted');
    // Other zones are independent.
    expect((masq(t, tcp('10.1.0.4', 4444, '203.0.113.5', 443), range, 3) as CtEntry).reply.dstPort).to.equal(50000);
  });

  it('exhausts a small range, and frees ports when connections end', () => {
    const t = makeTable();
    const range = { lo: 40000, hi: 40009 };
    const got: CtEntry[] = [];
    for (let i = 0; i < 10; i++) got.push(masq(t, udp('10.1.0.1', 1000 + i, '203.0.113.5', 53), range) as CtEntry);
    expect(new Set(got.map((e) => e.reply.dstPort)).size).to.equal(10);
    expect(got.every((e) => e.reply.dstPort >= 40000 && e.reply.dstPort <= 40009)).to.equal(true);
    expect(masq(t, udp('10.1.0.1', 2000, '203.0.113.5', 53), range)).to.equal('exhausted');
    // A flush frees every port; one taken again is not handed out twice.
    const freed = got[4].reply.dstPort;
    expect(t.ct.delete({ address: '10.1.0.1', replySrcIp: '203.0.113.5', protocol: 17, replySrcPort: 53, zone: 0 })).to.equal(10);
    t.ct.commit(0, udp('10.1.0.1', 1000, '203.0.113.5', 53), { snat: { ip: MASQ, port: got[0].reply.dstPort } }, {}, 0, 60, 0);
    expect((masq(t, udp('10.1.0.1', 2000, '203.0.113.5', 53), range) as CtEntry).reply.dstPort).to.not.equal(got[0].reply.dstPort);
    // Expiry frees too.
    t.clock.advanceTo(30 * S);
    expect(t.ct.size).to.equal(0);
    expect(masq(t, udp('10.1.0.1', 2001, '203.0.113.5', 53), { lo: freed, hi: freed })).to.be.instanceOf(CtEntry);
  });

  it('includes the DNAT target in the reply tuple it checks', () => {
    const t = makeTable();
    const dnat = { ip: '10.2.0.7', port: 8080 };
    const range = { lo: 60000, hi: 60000 };
    const o1 = tcp('10.1.0.1', 1000, '10.96.0.10', 80);
    const p1 = allocateSnatPort(t.ct, 0, o1, { snatIp: MASQ, dnat, range, nowNs: 0 }) as number;
    const e = t.ct.commit(0, o1, { dnat, snat: { ip: MASQ, port: p1 } }, {}, F.SYN, 60, 0) as CtEntry;
    expect(e.reply).to.deep.equal(tcp('10.2.0.7', 8080, MASQ, 60000));
    expect(allocateSnatPort(t.ct, 0, tcp('10.1.0.2', 1000, '10.96.0.10', 80), { snatIp: MASQ, dnat, range, nowNs: 0 })).to.equal('exhausted');
    expect(allocateSnatPort(t.ct, 0, tcp('10.1.0.2', 1000, '10.96.0.10', 80), { snatIp: MASQ, dnat: { ip: '10.2.0.8', port: 8080 }, range, nowNs: 0 })).to.equal(60000);
  });

  it('allocates ICMP echo identifiers (full 16-bit range by default)', () => {
    const t = makeTable();
    expect(portRange(1, undefined)).to.deep.equal({ lo: 0, hi: 65535 });
    expect(portRange(6, undefined)).to.deep.equal({ lo: 1024, hi: 65535 });
    expect(portRange(6, { lo: 0, hi: 0 })).to.deep.equal({ lo: 1024, hi: 65535 });
    const a = masq(t, icmp('10.1.0.1', '203.0.113.5', 7), { lo: 100, hi: 101 }) as CtEntry;
    const b = masq(t, icmp('10.1.0.2', '203.0.113.5', 7), { lo: 100, hi: 101 }) as CtEntry;
    expect([a.reply.srcPort, b.reply.srcPort].sort()).to.deep.equal([100, 101]);
    expect(a.reply.dstPort).to.equal(0);
    expect(masq(t, icmp('10.1.0.3', '203.0.113.5', 7), { lo: 100, hi: 101 })).to.equal('exhausted');
  });

  it('protocols without ports keep port 0 and are exhausted when the address pair is taken', () => {
    const t = makeTable();
    const gre = { srcIp: '10.1.0.1', dstIp: '203.0.113.5', protocol: 47, srcPort: 0, dstPort: 0 };
    expect(masq(t, gre)).to.be.instanceOf(CtEntry);
    expect(masq(t, { ...gre, srcIp: '10.1.0.2' })).to.equal('exhausted');
  });
});
