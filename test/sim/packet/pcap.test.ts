import { expect } from 'chai';
import { PcapFormatError, readPcap, writePcap, PCAP_MAGIC_NS } from '../../../src/sim/packet/index.js';
import { validCorpus } from './helpers.js';

describe('packet/pcap', () => {
  it('writes the classic little-endian global header', () => {
    const b = writePcap([]);
    expect(Buffer.from(b).toString('hex')).to.equal('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000');
  });

  it('round trips frames and microsecond timestamps', () => {
    const frames = validCorpus().map((c) => c.frame);
    const recs = frames.map((frame, i) => ({ timeNs: 1_700_000_000_123_456_000n + BigInt(i) * 1000n, frame }));
    const back = readPcap(writePcap(recs));
    expect(back.linkType).to.equal(1);
    expect(back.nanosecond).to.equal(false);
    expect(back.records.length).to.equal(frames.length);
    back.records.forEach((r, i) => {
      expect(r.frame).to.deep.equal(frames[i]);
      expect(r.origLength).to.equal(frames[i].length);
      expect(r.timeNs).to.equal(recs[i].timeNs);
    });
  });

  it('truncates sub-microsecond digits when writing', () => {
    const back = readPcap(writePcap([{ timeNs: 5_000_001_999n, frame: new Uint8Array(14) }]));
    expect(back.records[0].timeNs).to.equal(5_000_001_000n);
  });

  it('reads big-endian and nanosecond files', () => {
    const frame = Uint8Array.from({ length: 20 }, (_, i) => i);
    const b = Buffer.alloc(24 + 16 + 20);
    b.writeUInt32BE(PCAP_MAGIC_NS, 0);
    b.writeUInt16BE(2, 4);
    b.writeUInt16BE(4, 6);
    b.writeUInt32BE(262144, 16);
    b.writeUInt32BE(1, 20);
    b.writeUInt32BE(12, 24);
    b.writeUInt32BE(999_999_999, 28);
    b.writeUInt32BE(20, 32);
    b.writeUInt32BE(1500, 36);
    Buffer.from(frame).copy(b, 40);
    const r = readPcap(new Uint8Array(b));
    expect(r).to.deep.include({ linkType: 1, nanosecond: true, snapLength: 262144 });
    expect(r.records[0]).to.deep.equal({ timeNs: 12_999_999_999n, frame, origLength: 1500 });
  });

  it('throws PcapFormatError on bad magic, version and truncation', () => {
    const good = writePcap([{ timeNs: 1n, frame: new Uint8Array(60) }]);
    expect(() => readPcap(good.slice(0, 10))).to.throw(PcapFormatError, /global header/);
    const badMagic = good.slice();
    badMagic[0] = 0x0a;
    expect(() => readPcap(badMagic)).to.throw(PcapFormatError, /bad magic/);
    const pcapng = Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Array(28).fill(0)]);
    expect(() => readPcap(pcapng)).to.throw(PcapFormatError, /pcapng/);
    const badVersion = good.slice();
    badVersion[4] = 3;
    expect(() => readPcap(badVersion)).to.throw(PcapFormatError, /version/);
    expect(() => readPcap(good.slice(0, 24 + 10))).to.throw(PcapFormatError, /record header/);
    expect(() => readPcap(good.slice(0, good.length - 1))).to.throw(PcapFormatError, /truncated record/);
    const badUsec = good.slice();
    badUsec.set([0x40, 0x42, 0x0f, 0x00], 28); // 1_000_000 µs
    expect(() => readPcap(badUsec)).to.throw(PcapFormatError, /sub-second/);
  });

  it('an empty capture is valid', () => {
    expect(readPcap(writePcap([])).records).to.deep.equal([]);
  });
});
