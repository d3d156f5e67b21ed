// Seeded fuzzing of parsePacket: random bytes, valid frames, and mutations of
// valid frames. The parser must never throw and its counters must add up.

import { expect } from 'chai';
import {
  DropCounters, MALFORMED_REASONS, buildVxlan, internetChecksum, parsePacket, pseudoHeaderSumV6, rd16, refreshChecksums, wr16,
  type ParsedPacket,
} from '../../../src/sim/packet/index.js';
import { mulberry32, validCorpus } from './helpers.js';

interface Seed {
  frame: Uint8Array;
  /** Offsets of length/header-size fields worth corrupting. */
  lengthFields: number[];
  /** Offsets of IPv6 extension next-header bytes (for chain loops). */
  extNext: number[];
  /** Outer IP header offset and family, outer UDP offset (-1 when absent), for consistent truncation. */
  l3Off: number;
  v6: boolean;
  udpOff: number;
}

function collect(pkt: ParsedPacket, s: Seed): void {
  const l3 = pkt.l3;
  if (l3?.kind === 'ipv4') s.lengthFields.push(l3.offset, l3.offset + 2);
  if (l3?.kind === 'ipv6') {
    s.lengthFields.push(l3.offset + 4);
    s.extNext.push(l3.offset + 6, ...l3.extensions.map((e) => e.offset));
    for (const e of l3.extensions) s.lengthFields.push(e.offset + 1);
  }
  if (pkt.l4?.kind === 'udp') s.lengthFields.push(pkt.l4.offset + 4);
  if (pkt.l4?.kind === 'tcp') s.lengthFields.push(pkt.l4.offset + 12);
  if (pkt.tunnel) s.lengthFields.push(pkt.tunnel.offset);
  if (pkt.tunnel?.inner) collect(pkt.tunnel.inner, s);
}

function seeds(): Seed[] {
  return validCorpus().map(({ frame }) => {
    const s: Seed = { frame, lengthFields: [], extNext: [], l3Off: -1, v6: false, udpOff: -1 };
    const r = parsePacket(frame);
    if (r.ok) {
      collect(r.pkt, s);
      if (r.pkt.l3 && r.pkt.l3.kind !== 'arp') { s.l3Off = r.pkt.l3.offset; s.v6 = r.pkt.l3.kind === 'ipv6'; }
      if (r.pkt.l4?.kind === 'udp') s.udpOff = r.pkt.l4.offset;
    }
    return s;
  });
}

const INTERESTING_TYPES = [0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806];
const INTERESTING_WORDS = [0, 1, 7, 8, 0x14, 0x7fff, 0xffff];
const EXT_TYPES = [0, 43, 44, 51, 60];

/** Recompute the outer IPv4 header and UDP checksums by hand (the frame may not parse any more). */
function fixOuter(f: Uint8Array, s: Seed): void {
  const o = s.l3Off;
  if (!s.v6 && o + 20 <= f.length) {
    wr16(f, o + 10, 0);
    wr16(f, o + 10, internetChecksum(f, o, o + 20));
  }
  const u = s.udpOff;
  if (u < 0 || u + 8 > f.length) return;
  const ulen = Math.min(rd16(f, u + 4), f.length - u);
  wr16(f, u + 6, 0);
  if (s.v6 && ulen >= 8) {
    const c = internetChecksum(f, u, u + ulen, pseudoHeaderSumV6(f, o + 8, o + 24, 17, ulen));
    wr16(f, u + 6, c === 0 ? 0xffff : c);
  }
}

interface FuzzResult {
  total: number;
  ok: number;
  drops: DropCounters;
  exceptions: number;
  firstError?: string;
}

function runFuzz(seed: number, count: number): FuzzResult {
  const rnd = mulberry32(seed);
  const corpus = seeds();
  const drops = new DropCounters();
  const res: FuzzResult = { total: 0, ok: 0, drops, exceptions: 0 };
  for (let i = 0; i < count; i++) {
    const mode = rnd() % 100;
    let f: Uint8Array;
    if (mode < 20) {
      // Random bytes, often with a real EtherType so deeper layers are reached.
      f = new Uint8Array(rnd() % 160);
      for (let k = 0; k < f.length; k++) f[k] = rnd() & 0xff;
      if (f.length >= 22 && rnd() % 8 === 0) {
        for (let o = 12; o + 2 <= f.length && rnd() % 4 !== 0; o += 4) wr16(f, o, 0x8100); // tag stacks
      } else if (f.length >= 14 && rnd() & 1) {
        wr16(f, 12, INTERESTING_TYPES[rnd() % INTERESTING_TYPES.length]);
        if (f.length > 14 && rnd() & 1) f[14] = rnd() & 1 ? 0x45 : 0x60;
      }
    } else if (mode < 33) {
      f = corpus[rnd() % corpus.length].frame; // parse never writes to its input
    } else if (mode < 35) {
      // Wrap a (possibly tunnelled) frame in one more VXLAN header: reaches the depth limit.
      const inner = corpus[rnd() % corpus.length].frame;
      f = buildVxlan({ ipv4: { src: '10.9.0.1', dst: '10.9.0.2' }, udp: { sport: 50000 } }, rnd() & 0xffffff, inner);
    } else {
      const s = corpus[rnd() % corpus.length];
      f = s.frame.slice();
      const nMut = 1 + (rnd() % 3);
      for (let m = 0; m < nMut; m++) {
        const kind = rnd() % 7;
        if (kind === 0 && f.length > 0) {
          const bit = rnd() % (f.length * 8);
          f[bit >> 3] ^= 1 << (bit & 7);
        } else if (kind === 1) {
          f = f.subarray(0, rnd() % (f.length + 1));
        } else if (kind === 2 && s.lengthFields.length > 0) {
          const off = s.lengthFields[rnd() % s.lengthFields.length];
          if (off + 1 < f.length) {
            if (rnd() & 1) wr16(f, off, INTERESTING_WORDS[rnd() % INTERESTING_WORDS.length]);
            else f[off] = rnd() & 0xff;
          }
        } else if (kind === 3 && s.extNext.length > 0) {
          // Extension-header "loops": point next-header fields back at extension types.
          const t = EXT_TYPES[rnd() % EXT_TYPES.length];
          for (const off of s.extNext) if (off < f.length && rnd() & 1) f[off] = t;
        } else if (kind === 4 && s.l3Off >= 0) {
          // Truncate consistently: shorten the frame and the outer IP/UDP lengths, so the
          // cut is found by the layer inside (tunnel header, ICMP, inner frame…).
          const end = s.l3Off + (rnd() % (f.length - s.l3Off + 1));
          f = f.subarray(0, end);
          if (s.v6 && end >= s.l3Off + 40) wr16(f, s.l3Off + 4, end - s.l3Off - 40);
          if (!s.v6 && end >= s.l3Off + 20) wr16(f, s.l3Off + 2, end - s.l3Off);
          if (s.udpOff >= 0 && end >= s.udpOff + 8) wr16(f, s.udpOff + 4, end - s.udpOff);
          fixOuter(f, s);
        } else if (kind === 5 && s.udpOff >= 0 && s.udpOff + 8 < f.length) {
          // Corrupt the tunnel header (flags, option lengths) behind a valid outer checksum.
          const span = Math.min(24, f.length - s.udpOff - 8);
          const bit = rnd() % (span * 8);
          f[s.udpOff + 8 + (bit >> 3)] ^= 1 << (bit & 7);
          fixOuter(f, s);
        } else if (f.length > 0) {
          f[rnd() % f.length] = rnd() & 0xff;
        }
      }
      // Sometimes repair checksums so the mutation is judged by the deeper layers.
      if (rnd() % 8 === 0) refreshChecksums(f);
    }
    res.total++;
    try {
      const r = parsePacket(f);
      if (r.ok) res.ok++;
      else drops.record(r.reason);
    } catch (e) {
      res.exceptions++;
      res.firstError ??= `${String(e)} on ${Buffer.from(f).toString('hex')}`;
    }
  }
  return res;
}

describe('packet/parse fuzz', function () {
  this.timeout(120_000);

  it('parses 1,000,000 generated packets without a single exception; counters add up', () => {
    const N = 1_000_000;
    const t0 = process.hrtime.bigint();
    const r = runFuzz(0xc0ffee, N);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`      fuzz: ${N} packets in ${secs.toFixed(1)} s = ${Math.round(N / secs)} packets/s (ok ${r.ok}, dropped ${r.drops.total()})`);
    expect(r.firstError, 'first exception').to.equal(undefined);
    expect(r.exceptions).to.equal(0);
    expect(r.total).to.equal(N);
    expect(r.ok + r.drops.total()).to.equal(r.total);
    const perReason = Object.values(r.drops.toJSON()).reduce((a, b) => a + b, 0);
    expect(perReason).to.equal(r.drops.total());
    // The generator reaches every layer: each drop reason occurs at least once.
    const hit = MALFORMED_REASONS.filter((x) => r.drops.get(x) > 0);
    expect(hit.length, `reasons hit: ${hit.join(',')}`).to.equal(MALFORMED_REASONS.length);
    expect(r.ok).to.be.greaterThan(N / 10);
  });

  it('is deterministic: the same seed gives identical counters', () => {
    const a = runFuzz(42, 30_000);
    const b = runFuzz(42, 30_000);
    expect(b.ok).to.equal(a.ok);
    expect(b.drops.toJSON()).to.deep.equal(a.drops.toJSON());
    const c = runFuzz(43, 30_000);
    expect(c.drops.toJSON()).to.not.deep.equal(a.drops.toJSON());
  });
});
