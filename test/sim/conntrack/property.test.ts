// Random packet sequences (seeded): the table never throws, and its counters,
// sizes and ends stay consistent with what the test itself accounted.
import { expect } from 'chai';
import { CtEntry, type Tuple } from '../../../src/sim/conntrack/index.js';
import { F, S, icmp, makeTable, rev, tcp, udp } from './helpers.js';
import { prng } from '../../../src/sim/random.js';

const rng = prng;

describe('sim/conntrack property', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 10000 random packets keep counters, sizes and ends consistent`, () => {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
      const t = makeTable({ maxEntries: 40 });
      t.zones.set(1, { zone: 1, maxEntries: 10, timeouts: { tcpEstablished: 50, udpReplied: 20 }, tcpWindowTracking: false });
      const tuples: Tuple[] = [];
      for (let i = 0; i < 12; i++) {
        tuples.push(tcp(`10.0.0.${i % 3}`, 1000 + i, '10.0.1.1', 80));
        tuples.push(udp(`10.0.0.${i % 3}`, 2000 + i, '10.0.1.1', 53));
        tuples.push(icmp(`10.0.0.${i % 3}`, '10.0.1.1', i));
      }
      const flagsChoice = Object.values(F);
      const accounted = new Map<CtEntry, { o: number; r: number; ob: number; rb: number }>();
      const endCount = new Map<number, number>();
      let now = 0;
      for (let i = 0; i < 10000; i++) {
        const roll = r();
        if (roll < 0.1) {
          now += Math.floor(r() * 30 * S);
          t.clock.advanceTo(now);
          continue;
        }
        if (roll < 0.105) {
          const n = t.ct.delete(pick([{}, { zone: 1 }, { protocol: 17 }, { address: '10.0.0.1' }, { replySrcIp: '10.0.1.1', protocol: 6 }]));
          expect(n).to.be.at.least(0);
          continue;
        }
        const zone = pick([0, 1]);
        const base = pick(tuples);
        const tuple = r() < 0.5 ? base : rev(base);
        const flags = tuple.protocol === 6 ? pick(flagsChoice) : 0;
        const bytes = 40 + Math.floor(r() * 1400);
        const meta = tuple.protocol === 1 ? { icmpType: pick([8, 0, 8]) } : undefined;
        const v = t.ct.classify(zone, tuple, flags, now, meta);
        if (v.state === 'NEW') {
          const nat = r() < 0.3 ? { snat: { ip: '192.0.2.1', port: 30000 + Math.floor(r() * 8) } } : undefined;
          const e = t.ct.commit(zone, tuple, nat, { policyRef: 'x' }, flags, bytes, now, meta);
          if (e instanceof CtEntry) accounted.set(e, { o: 1, r: 0, ob: bytes, rb: 0 });
          else expect(['full', 'clash']).to.include(e);
        } else if (v.state === 'ESTABLISHED' || v.state === 'REPLY') {
          const e = v.entry!;
          expect(t.ct.update(e, v.direction!, flags, bytes, now)).to.equal(true);
          const a = accounted.get(e)!;
          if (v.direction === 'original') { a.o++; a.ob += bytes; } else { a.r++; a.rb += bytes; }
        } else if (v.state === 'INVALID' && v.entry) {
          const before = [v.entry.tcpState, v.entry.origPackets, v.entry.replyPackets];
          expect(t.ct.update(v.entry, v.direction!, flags, bytes, now)).to.equal(false);
          expect([v.entry.tcpState, v.entry.origPackets, v.entry.replyPackets]).to.deep.equal(before);
        }
      }
      for (const x of t.ended) endCount.set(x.id, (endCount.get(x.id) ?? 0) + 1);
      expect([...endCount.values()].every((n) => n === 1), 'each connection ends once').to.equal(true);
      const live = [...accounted.keys()].filter((e) => e.live);
      expect(live.length + t.ended.length).to.equal(accounted.size);
      expect(t.ct.size).to.equal(live.length);
      expect(t.ct.zoneSize(0) + t.ct.zoneSize(1)).to.equal(live.length);
      expect(t.ct.zoneSize(1)).to.be.at.most(10);
      expect(t.ct.list({}).length).to.equal(live.length);
      for (const [e, a] of accounted) {
        expect([e.origPackets, e.replyPackets, e.origBytes, e.replyBytes]).to.deep.equal([a.o, a.r, a.ob, a.rb]);
        expect(e.replied).to.equal(a.r > 0);
        if (e.live) {
          expect(t.ct.get(e.zone, e.original)).to.equal(e);
          expect(t.ct.get(e.zone, e.reply)).to.equal(e);
          expect(e.expiresNs).to.be.greaterThan(now);
        } else {
          expect(t.ct.get(e.zone, e.original)).to.not.equal(e);
        }
      }
      // Everything left ends once time runs far enough.
      t.clock.advance(1e6 * S);
      expect(t.ct.size).to.equal(0);
      expect(t.ended.length).to.equal(accounted.size);
    });
  }
});
