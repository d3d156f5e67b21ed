// Ethernet line-rate arithmetic.
import { expect } from 'chai';
import { lineRatePps, wireBytes, wireBytesOfBuffer } from '../../../src/sim/cost/line-rate.js';

describe('sim/cost: line rate', () => {
  it('64-byte frames: 10/25/100/200/400 GbE', () => {
    // 64 + 8 preamble/SFD + 12 IFG = 84 bytes = 672 bits on the wire.
    expect(wireBytes(64)).to.equal(84);
    expect(Math.round(lineRatePps(25e9, 64))).to.equal(37_202_381);
    expect(Math.round(lineRatePps(10e9, 64))).to.equal(14_880_952);
    expect(Math.round(lineRatePps(100e9, 64))).to.equal(148_809_524);
    expect(Math.round(lineRatePps(200e9, 64))).to.equal(297_619_048);
    expect(Math.round(lineRatePps(400e9, 64))).to.equal(595_238_095);
  });

  it('short frames are padded to 64 bytes; buffers carry no FCS', () => {
    expect(wireBytes(40)).to.equal(84);
    expect(wireBytesOfBuffer(60)).to.equal(84); // 60 + 4 FCS
    expect(wireBytesOfBuffer(110)).to.equal(134); // a Geneve-wrapped 64-byte frame: 110 + 4 + 20
    expect(lineRatePps(25e9, 1518)).to.be.closeTo(25e9 / (1538 * 8), 1e-6);
  });
});
