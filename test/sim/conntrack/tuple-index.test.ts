// The open-addressing index against a Map reference under heavy churn: clusters,
// wrap-around at the end of the array, backward-shift deletion and growth.
import { expect } from 'chai';
import { CtEntry, replyTuple, type Tuple } from '../../../src/sim/conntrack/index.js';
import { TupleIndex, hashTuple } from '../../../src/sim/conntrack/tuple-index.js';

function entry(id: number, zone: number, o: Tuple, h = hashTuple): CtEntry {
  const r = replyTuple(o, id % 3 === 0 ? { snat: { ip: '192.0.2.1', port: 1024 + id } } : undefined);
  return new CtEntry(id, zone, o, r, h(zone, o), h(zone, r), false, id % 3 === 0, 0, '');
}

describe('sim/conntrack tuple index', () => {
  for (const [name, hash] of [
    ['real hash', hashTuple],
    // Only 64 distinct hashes: long clusters that wrap around the array end.
    ['colliding hash', (z: number, t: Tuple) => (hashTuple(z, t) % 64) * 16 + 1015],
  ] as const) {
    it(`finds exactly the live entries after random adds and removes (${name})`, () => {
      let s = 99;
      const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
      const idx = new TupleIndex();
      const live = new Map<number, CtEntry>();
      const dead: CtEntry[] = [];
      for (let id = 1; id <= 6000; id++) {
        const o: Tuple = { srcIp: `10.0.${rnd(4)}.${id & 255}`, dstIp: '10.9.0.1', protocol: rnd(2) ? 6 : 17, srcPort: id, dstPort: 80 };
        const e = entry(id, rnd(3), o, hash);
        idx.add(e);
        live.set(id, e);
        if (rnd(3) === 0) {
          const victims = [...live.keys()];
          const v = live.get(victims[rnd(victims.length)])!;
          idx.remove(v);
          live.delete(v.id);
          dead.push(v);
        }
      }
      for (const e of live.values()) {
        const a = idx.find(e.zone, e.original, e.origHash);
        const b = idx.find(e.zone, e.reply, e.replyHash);
        expect(idx.entry(a)).to.equal(e);
        expect(TupleIndex.dir(a)).to.equal(0);
        expect(idx.entry(b)).to.equal(e);
        expect(TupleIndex.dir(b)).to.equal(1);
        expect(idx.find(e.zone + 10, e.original, e.origHash)).to.equal(0);
      }
      for (const e of dead) {
        // Tuples are unique per id (srcPort = id), so a removed one is simply gone.
        expect(idx.find(e.zone, e.original, e.origHash)).to.equal(0);
        expect(idx.find(e.zone, e.reply, e.replyHash)).to.equal(0);
      }
    });
  }
});
