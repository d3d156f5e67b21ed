import { expect } from 'chai';
import {
  crc32c, incrementalUpdate16, internetChecksum, sctpChecksum, sum16, foldSum,
} from '../../../src/sim/packet/index.js';
import { fromHex, mulberry32 } from './helpers.js';

describe('packet/checksum', () => {
  it('RFC 1071 §3 worked example: sum of 0001 f203 f4f5 f6f7 is ddf2', () => {
    const b = fromHex('0001f203f4f5f6f7');
    expect(foldSum(sum16(b, 0, b.length))).to.equal(0xddf2);
    expect(internetChecksum(b)).to.equal(0x220d);
  });

  it('odd length pads the last byte with zero', () => {
    expect(internetChecksum(fromHex('0102 03'))).to.equal(~(0x0102 + 0x0300) & 0xffff);
  });

  it('known IPv4 header checksum (45000073…, checksum b861)', () => {
    const hdr = fromHex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    expect(internetChecksum(hdr)).to.equal(0xb861);
    hdr[10] = 0xb8; hdr[11] = 0x61;
    expect(internetChecksum(hdr)).to.equal(0);
  });

  it('RFC 1624 §4 example: eqn. 3 gives 0x0000 where eqn. 2 gave 0xFFFF', () => {
    expect(incrementalUpdate16(0xdd2f, 0x5555, 0x3285)).to.equal(0x0000);
  });

  it('incremental update equals full recompute for random data and word changes', () => {
    const rnd = mulberry32(1624);
    for (let n = 0; n < 2000; n++) {
      const len = 2 * (1 + (rnd() % 40));
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = rnd() & 0xff;
      const before = internetChecksum(b);
      const w = 2 * (rnd() % (len / 2));
      const old = (b[w] << 8) | b[w + 1];
      const nw = rnd() & 0xffff;
      b[w] = nw >> 8; b[w + 1] = nw & 0xff;
      const full = internetChecksum(b);
      const inc = incrementalUpdate16(before, old, nw);
      // 0x0000 and 0xFFFF are the same ones'-complement value; the full sum never yields 0xFFFF unless all data is zero.
      expect(inc === full || (inc ^ full) === 0xffff && (inc === 0 || full === 0), `case ${n}`).to.equal(true);
    }
  });

  it('CRC32c check value and RFC 3720 B.4 vectors', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).to.equal(0xe3069283);
    expect(crc32c(new Uint8Array(32))).to.equal(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).to.equal(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).to.equal(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).to.equal(0x113fdb5c);
  });

  it('SCTP checksum field is the CRC transmitted least-significant byte first', () => {
    const pkt = new Uint8Array(32);
    pkt.set([1, 2, 3, 4], 8); // checksum field content must be ignored
    const crc = crc32c(new Uint8Array(32));
    const field = sctpChecksum(pkt, 0, 32);
    expect(field).to.equal(Buffer.from(new Uint32Array([crc]).buffer).readUInt32BE(0)); // LE bytes read as BE
  });
});
